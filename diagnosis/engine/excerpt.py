"""Reading a pasted log excerpt into events: time, level, component, message, trace.

Only what diagnosis needs from Hadoop's log4j layouts (daemon, container with [thread], the old
yyMMdd HHmmss layout) and Java stack-trace continuation lines. Ingestion's full parser
(logs.parsing.preprocess_log, built in parallel) is the one to use once both are merged.
"""

import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings

_LEVEL = r"(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL)"
_LOG4J = re.compile(
    r"^(?P<time>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[,.]\d{1,6})?)\s+"
    rf"{_LEVEL}\s+(?:\[(?P<thread>[^\]]*)\]\s+)?(?P<component>[\w.$-]+)(?:\s*\([^)]*\))?:\s?"
    r"(?P<message>.*)$"
)
_OLD = re.compile(
    r"^(?P<time>\d{6} \d{6})\s+(?P<pid>\d+)\s+" + _LEVEL + r"\s+(?P<component>[\w.$-]+):\s?"
    r"(?P<message>.*)$"
)
_CONTINUATION = re.compile(r"^(\s+at |\s*Caused by:|\s+\.\.\. \d+ more|\s*Suppressed:|\t)")
_ANY_LEVEL = re.compile(rf"\b{_LEVEL}\b")


@dataclass
class ExcerptEvent:
    number: int  # 1-based line number of the event's first line in the excerpt
    time: datetime | None
    level: str
    component: str
    message: str
    trace_lines: list[str] = field(default_factory=list)

    @property
    def trace(self) -> str:
        return "\n".join(self.trace_lines)

    @property
    def text(self) -> str:
        return f"{self.message}\n{self.trace}" if self.trace_lines else self.message


def _level(raw: str) -> str:
    raw = raw.upper()
    return "WARN" if raw == "WARNING" else raw


def _aware(naive: datetime) -> datetime:
    return naive.replace(tzinfo=zoneinfo.ZoneInfo(settings.CLUSTER_TIME_ZONE)).astimezone(UTC)


def _parse_time(text: str, *, old_layout: bool) -> datetime | None:
    try:
        if old_layout:
            return _aware(datetime.strptime(text, "%y%m%d %H%M%S"))
        text = text.replace("T", " ").replace(",", ".")
        fmt = "%Y-%m-%d %H:%M:%S.%f" if "." in text else "%Y-%m-%d %H:%M:%S"
        return _aware(datetime.strptime(text, fmt))
    except ValueError:
        return None


def excerpt_parse(text: str, *, max_events: int = 2000) -> list[ExcerptEvent]:
    """Events of an excerpt in order; a line in no known layout is kept with what it shows."""
    events: list[ExcerptEvent] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if events and _CONTINUATION.match(line):
            events[-1].trace_lines.append(line.rstrip())
            continue
        log4j, old = _LOG4J.match(line), _OLD.match(line)
        if events and events[-1].time is not None and not (log4j or old):
            # A line in no layout after a timestamped event continues its message, e.g.
            # JvmPauseMonitor's "GC pool '…' had collection(s)" second line.
            events[-1].trace_lines.append(line.rstrip())
            continue
        if len(events) >= max_events:
            break
        if match := log4j:
            events.append(
                ExcerptEvent(
                    number=number,
                    time=_parse_time(match["time"], old_layout=False),
                    level=_level(match[2]),
                    component=match["component"],
                    message=match["message"],
                )
            )
        elif match := old:
            events.append(
                ExcerptEvent(
                    number=number,
                    time=_parse_time(match["time"], old_layout=True),
                    level=_level(match[3]),
                    component=match["component"],
                    message=match["message"],
                )
            )
        else:
            found = _ANY_LEVEL.search(line)
            events.append(
                ExcerptEvent(
                    number=number,
                    time=None,
                    level=_level(found[1]) if found else "",
                    component="",
                    message=line.strip(),
                )
            )
    return events
