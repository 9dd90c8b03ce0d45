"""Parsed log lines for detection tests, built from the text Hadoop really writes.

Ingestion's parser (logs/) produces objects with these attributes; detection only reads them, so
the tests build their own from full log4j lines: `log4j("2024-05-01 10:15:42,123 WARN org…: msg",
trace="java.io.IOException: …")`, or `continuation("\tat …")` for a stack-trace line that arrived
alone.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.utils import timezone

_LAYOUT = re.compile(
    r"^(?P<time>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) "
    r"(?P<level>TRACE|DEBUG|INFO|WARN|ERROR|FATAL) "
    r"(?:\[(?P<thread>[^\]]*)\] )?"
    r"(?P<component>[\w.$]+): ?(?P<message>.*)$",
    re.S,
)


@dataclass
class LogLine:
    host: str = "dn01.example.com"
    logtype: str = "hadoop"
    log_time: datetime | None = None
    received_at: datetime = field(default_factory=timezone.now)
    level: str = "INFO"
    component: str = ""
    thread: str = ""
    message: str = ""
    trace: str = ""
    raw: str = ""
    is_continuation: bool = False


def log4j(text: str, *, host: str = "dn01.example.com", trace: str = "", **overrides) -> LogLine:
    match = _LAYOUT.match(text)
    if match is None:
        raise ValueError(f"not a log4j line: {text[:80]!r}")
    log_time = datetime.strptime(match["time"], "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=UTC)
    line = LogLine(
        host=host,
        log_time=log_time,
        level=match["level"],
        component=match["component"],
        thread=match["thread"] or "",
        message=match["message"],
        trace=trace,
        raw=text + (f"\n{trace}" if trace else ""),
    )
    for name, value in overrides.items():
        setattr(line, name, value)
    return line


def continuation(raw: str, *, host: str = "dn01.example.com") -> LogLine:
    return LogLine(host=host, level="UNKNOWN", message=raw, raw=raw, is_continuation=True)


def unparsed(raw: str, *, host: str = "dn01.example.com") -> LogLine:
    return LogLine(host=host, level="UNKNOWN", message=raw, raw=raw)
