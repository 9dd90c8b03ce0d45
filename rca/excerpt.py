"""Reading a pasted log excerpt into events: time, level, component, message, trace.

Each line goes through ingestion's own parser (logs.parsing.preprocess_log), so an excerpt is
read exactly as the same lines would be stored. Pasted text is looser than a log file, so two
things are added: a line in no layout right after a timestamped event continues it (e.g.
JvmPauseMonitor's "GC pool '…' had collection(s)" second line), and a free-form line keeps the
level word it contains.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

from logs.layout_cache import log_layouts_current
from logs.parsing import UNKNOWN, preprocess_log

_ANY_LEVEL = re.compile(r"\b(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL)\b")


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


def excerpt_parse(text: str, *, max_events: int = 2000) -> list[ExcerptEvent]:
    """Events of an excerpt in order; a line in no known layout is kept with what it shows."""
    events: list[ExcerptEvent] = []
    layouts = log_layouts_current()  # an excerpt is read as ingestion reads lines
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parsed = preprocess_log(line, host="", logtype="excerpt", layouts=layouts)
        unknown = parsed.level == UNKNOWN
        if events and (parsed.is_continuation or (unknown and events[-1].time is not None)):
            events[-1].trace_lines.append(line.rstrip())
            continue
        if len(events) >= max_events:
            break
        if unknown:
            found = _ANY_LEVEL.search(line)
            level = "WARN" if found and found[1] == "WARNING" else (found[1] if found else "")
            events.append(ExcerptEvent(number, None, level, "", line.strip()))
        else:
            events.append(
                ExcerptEvent(
                    number=number,
                    time=parsed.log_time,
                    level=parsed.level,
                    component=parsed.component,
                    message=parsed.message,
                )
            )
    return events
