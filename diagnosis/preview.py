"""Try a fault-type pattern against recent logs before saving it (the admin's preview).

Bounded on purpose: only the newest lines of each level at or above the chosen minimum are read,
each level through the (level, log_time) index, never a scan of system_logs. Lines without a
level (stack-trace lines that arrived alone) have no such path and are not previewed.

Bounded in time as well: patterns run on RE2 (diagnosis/patterns.py), linear in the text, and
the scan stops after PREVIEW_MAX_SECONDS whatever is left, saying how far it got; a viewer's
pattern cannot hold a worker.
"""

import heapq
import time
from dataclasses import dataclass

from diagnosis.catalogue import LEVEL_RANKS, catalogue_build
from diagnosis.detection import line_text
from diagnosis.models import FaultType
from diagnosis.patterns import pattern_compile
from logs.models import SystemLog

DEFAULT_SCAN_LINES = 5000
MAX_SCAN_LINES = 20000
MAX_MATCHES_SHOWN = 100
# Patterns run on at most this much of a line, so one huge line cannot stall the page.
MAX_TEXT_CHARS = 16_384
# The scan stops after this long (checked between lines); the page says it stopped early.
PREVIEW_MAX_SECONDS = 2.0
# Tests replace this to step over the time bound without sleeping.
clock = time.monotonic


@dataclass(frozen=True)
class PreviewResult:
    scanned: int
    matched: int
    matches: list[SystemLog]
    read: int = 0  # lines read from the database; more than `scanned` when time ran out
    timed_out: bool = False


def pattern_preview(
    *, patterns: str, component_pattern: str = "", min_level: str = "WARN", limit: int
) -> PreviewResult:
    """Run the patterns as detection would over the newest `limit` lines at `min_level`+.

    Raises PatternError for a pattern RE2 does not compile (the form validates first).
    """
    for pattern in [*patterns.splitlines(), component_pattern]:
        if pattern.strip():
            pattern_compile(pattern)
    probe = FaultType(
        pk=0,
        code="preview",
        name="preview",
        default_severity="major",
        patterns=patterns,
        component_pattern=component_pattern,
        min_level=min_level,
    )
    compiled = catalogue_build([probe]).types
    if not compiled:
        return PreviewResult(scanned=0, matched=0, matches=[])
    (probe_type,) = compiled
    lines = _recent_lines(min_level=min_level, limit=limit)
    deadline = clock() + PREVIEW_MAX_SECONDS
    matches, scanned, timed_out = [], 0, False
    for line in lines:
        if clock() > deadline:
            timed_out = True
            break
        scanned += 1
        if probe_type.search(line_text(line)[:MAX_TEXT_CHARS], line.component) is not None:
            matches.append(line)
    return PreviewResult(
        scanned=scanned,
        matched=len(matches),
        matches=matches[:MAX_MATCHES_SHOWN],
        read=len(lines),
        timed_out=timed_out,
    )


def _recent_lines(*, min_level: str, limit: int) -> list[SystemLog]:
    floor = LEVEL_RANKS.get(min_level, LEVEL_RANKS["WARN"])
    levels = [level for level, rank in LEVEL_RANKS.items() if rank >= floor]
    fields = ("id", "host", "log_time", "level", "component", "message", "trace", "raw")
    per_level = [
        list(
            SystemLog.objects.filter(level=level).order_by("-log_time", "-id").only(*fields)[:limit]
        )
        for level in levels
    ]
    newest = heapq.merge(
        *per_level,
        key=lambda line: (line.log_time is not None, line.log_time, line.id),
        reverse=True,
    )
    return [line for _, line in zip(range(limit), newest, strict=False)]
