"""Findings, the report every check writes into, and the small helpers the checks share."""

from __future__ import annotations

from dataclasses import dataclass

from flume.agent import LoadedConfig
from flume.properties import Entry, PropertiesFile

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    level: str
    key: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.level.upper()}: {self.key}{where}: {self.message}"


@dataclass
class CheckResult:
    agent: str | None
    findings: list[Finding]
    env_vars: list[str]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors


class Report:
    """What one check run found, and what every check reads: the file and the agents in it."""

    def __init__(
        self, props: PropertiesFile, loaded: LoadedConfig, *, allow_memory_channel, transport="http"
    ):
        self.props = props
        self.loaded = loaded
        self.allow_memory_channel = allow_memory_channel
        self.transport = transport  # the portal intake the agent is meant for: http or thrift
        self.findings: list[Finding] = []
        self.env_vars: set[str] = set()

    def report(self, level: str, key: str, message: str, entry: Entry | None = None) -> None:
        self.findings.append(Finding(level, key, message, entry.line if entry else None))

    def error(self, key, message, entry=None):
        self.report(ERROR, key, message, entry)

    def warn(self, key, message, entry=None):
        self.report(WARNING, key, message, entry)


def is_type(type_value: str, alias: str, cls: str) -> bool:
    return type_value.lower() in (alias, cls)


def known_type(type_value: str, aliases: set[str]) -> bool:
    # Anything with a dot is taken as a class name; only the class path can tell if it exists.
    return type_value.lower() in aliases or "." in type_value


def parse_int(value: str) -> int | None:
    text = value.strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isascii() or not digits.isdigit():
        return None
    return int(text)
