"""What a check found: a metric or log fact, whether it confirms the fault, and the cause it
points at when it narrows the catalogue's list of usual causes down to one."""

from dataclasses import dataclass
from typing import Any

from rca.context import ContextLine

CONFIRMS, CONTRADICTS, CONTEXT = "confirms", "contradicts", "context"


@dataclass(frozen=True)
class CauseHint:
    key: str  # stable, so two checks pointing at the same cause merge
    title: str
    explanation: str
    confidence: float
    step: str = ""  # a remediation step for this cause, put before the catalogue's


@dataclass(frozen=True)
class Finding:
    name: str
    value: Any
    threshold: str
    verdict: str
    source: str
    note: str
    cause: CauseHint | None = None
    line: ContextLine | None = None  # the log line a text finding was read from
