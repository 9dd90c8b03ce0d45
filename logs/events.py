"""Events, not lines: lines that continue an event join it, in one request or across requests.

A log4j event is its header line (a line in a known layout) and the lines after it that carry
no layout of their own: Java stack frames, `Caused by:`, `... N more`, and multi-line messages
(the NameNode's safe-mode explanation, a QuorumException's per-JournalNode lines, the
NodeManager's process-tree dump). Flume's HTTP sink sends each line in its own request, so the
lines of one event arrive one request at a time. docs/events.md is the contract; in short:

- A *stream* is one sender's sequence of lines: token + host + log type + source file (the
  file only where the sender names it: a JSON event's `file` header, Thrift's `file` header,
  `?file=`). A line continues the last event **of its own stream**, never of another.
- Inside a request, a continuation line is folded into the row of the event it continues
  (`trace` gets the line, `raw` keeps all of them), as before.
- The first lines of a request that continue an event stored by an earlier request become one
  row that carries that event's log time, level, component and thread, and points at the
  event's first row (`event_head`, `event_seq`): every time-window query finds it, and the
  event is read whole by `event_head` (logs/selectors.py).
- The stream's open event is the stream's last stored row, found by the (stream, id) index:
  the state is in the database, so any worker of any process, and a restarted portal, joins
  the next line to the same event. It stays joinable for LOG_EVENT_JOIN_SECONDS after the
  stream's last line and up to LOG_EVENT_MAX_ROWS rows; after that a continuation is stored as
  a row of its own (`is_continuation`, no log time), as lines were before events.

Which lines continue an event: a stack-trace line (`is_continuation` from preprocess_log, which
joins any row), and a line in no known layout (level UNKNOWN, no log time), which joins only an
event whose header has a layout: a run of unreadable lines is not folded into itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings

from logs.models import LogLevel, SystemLog
from logs.parsing import ParsedLine

UNKNOWN = LogLevel.UNKNOWN.value
# One row's folded lines are capped, so a runaway event (or hostile input) cannot build a row
# bigger than the database takes in one packet; the rest starts a row of its own.
MAX_ROW_CHARS = 1024 * 1024

_stream_keys: dict[tuple, int] = {}


def stream_key(token_id: int | None, host: str, logtype: str, source_file: str) -> int:
    """The stream's 64-bit key (a signed BIGINT): the same in every process, never 0."""
    parts = (token_id, host, logtype, source_file)
    key = _stream_keys.get(parts)
    if key is None:
        text = f"{token_id or 0}\x1f{host}\x1f{logtype}\x1f{source_file}"
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        key = int.from_bytes(digest, "big", signed=True) or 1
        if len(_stream_keys) > 50_000:
            _stream_keys.clear()
        _stream_keys[parts] = key
    return key


def continues(line: ParsedLine) -> bool:
    """Whether the line continues the event before it rather than starting one."""
    return line.is_continuation or (line.log_time is None and line.level == UNKNOWN)


@dataclass(frozen=True)
class OpenEvent:
    """A stream's last stored row, as far as joining needs it."""

    head_id: int
    seq: int  # event_seq of the stream's last row
    log_time: datetime | None
    level: str
    component: str
    thread: str
    received_at: datetime


_OPEN_FIELDS = ("id", "event_head", "event_seq", "log_time", "level", "component", "thread",
                "received_at")  # fmt: skip


def stream_open_event(*, stream: int, host: str, logtype: str, now: datetime) -> OpenEvent | None:
    """The stream's open event (its last row, when still joinable), or None. One index dive."""
    last = (
        SystemLog.objects.filter(stream=stream, host=host, logtype=logtype)
        .order_by("-id")
        .values_list(*_OPEN_FIELDS)
        .first()
    )
    if last is None:
        return None
    pk, head, seq, log_time, level, component, thread, received_at = last
    if level == UNKNOWN:  # the last row is a line in no layout: nothing to join
        return None
    if received_at < now - timedelta(seconds=settings.LOG_EVENT_JOIN_SECONDS):
        return None
    if seq + 1 >= settings.LOG_EVENT_MAX_ROWS:
        return None
    return OpenEvent(head or pk, seq, log_time, level, component, thread, received_at)


@dataclass
class Folded:
    """A request's rows to store, and the rows that continue events stored earlier."""

    rows: list[ParsedLine] = field(default_factory=list)
    # Index in rows -> the open event the row continues.
    joined: dict[int, OpenEvent] = field(default_factory=dict)


@dataclass
class _Current:
    index: int  # the stream's row in this request that lines fold into
    parts: list[str]
    size: int
    layout: bool  # the event has a header in a known layout


def events_fold(lines: Sequence[ParsedLine], *, token_id: int | None, now: datetime) -> Folded:
    """Fold a request's lines into the rows to store, per stream, in order (module docstring).

    Looks up the open event of each stream whose first line in this request continues one
    (one indexed query per such stream; none for a request that starts with a header).
    """
    folded = Folded()
    rows = folded.rows
    current: dict[int, _Current] = {}
    keys: dict[tuple, int] = {}
    for line in lines:
        origin = (line.host, line.logtype, line.source_file)
        key = keys.get(origin)
        if key is None:
            key = keys[origin] = stream_key(token_id, *origin)
        line.stream = key
        cont = continues(line)
        cur = current.get(key)
        if cont and cur is not None:
            if (line.is_continuation or cur.layout) and cur.size + len(line.raw) < MAX_ROW_CHARS:
                head = rows[cur.index]
                cur.parts.append(line.raw)
                cur.size += len(line.raw) + 1
                head.truncated = head.truncated or line.truncated
                head.decode_errors += line.decode_errors
                continue
        elif cont and key not in current:
            # The stream's first line here continues an event: the one stored before, if open.
            event = stream_open_event(stream=key, host=line.host, logtype=line.logtype, now=now)
            if event is not None:
                line.log_time = event.log_time
                line.level = event.level
                line.component = event.component
                line.thread = event.thread
                line.is_continuation = True
                line.event_head = event.head_id
                line.event_seq = event.seq + 1
                folded.joined[len(rows)] = event
                current[key] = _Current(len(rows), [line.raw], len(line.raw), True)
                rows.append(line)
                continue
        if cur is not None:
            _close(rows[cur.index], cur.parts)
        current[key] = _Current(len(rows), [line.raw], len(line.raw), line.level != UNKNOWN)
        rows.append(line)
    for cur in current.values():
        _close(rows[cur.index], cur.parts)
    return folded


def _close(row: ParsedLine, parts: list[str]) -> None:
    if len(parts) > 1:
        trace = "\n".join(parts[1:])
        row.trace = f"{row.trace}\n{trace}" if row.trace else trace
        row.raw = "\n".join(parts)


# --- The whole event, for detection ----------------------------------------------------------

# Detection reads at most this much of an event (its first rows): a trace's signatures are in
# its first lines and its `Caused by:` lines, and re-reading a runaway event on every line
# would make it quadratic.
EVENT_DETECT_ROWS = 500
EVENT_DETECT_CHARS = 256 * 1024


def event_text_rows(*, stream: int, head_id: int) -> list[tuple]:
    """(host, logtype, source_file, log_time, level, component, thread, message, trace, raw,
    received_at) of the event's stored rows, first row first (the stream's rows from the head:
    the open event is the stream's last)."""
    return list(
        SystemLog.objects.filter(stream=stream, id__gte=head_id)
        .order_by("id")
        .values_list(
            "id",
            "event_head",
            "host",
            "logtype",
            "source_file",
            "log_time",
            "level",
            "component",
            "thread",
            "message",
            "trace",
            "raw",
            "received_at",
        )[:EVENT_DETECT_ROWS]
    )


def event_line(rows: list[tuple], head_id: int, extra: str = "") -> ParsedLine | None:
    """The stored event as one ParsedLine (header message, every later line in `trace`, all
    of it in `raw`), plus `extra` lines; None when its first row is gone (pruned)."""
    if not rows or rows[0][0] != head_id:
        return None
    (_, _, host, logtype, source_file, log_time, level, component, thread, message, trace, raw,
     received_at) = rows[0]  # fmt: skip
    traces = [trace] if trace else []
    raws = [raw]
    size = len(raw)
    for row in rows[1:]:
        if row[1] != head_id or size > EVENT_DETECT_CHARS:
            break
        traces.append(row[11])
        raws.append(row[11])
        size += len(row[11])
    if extra:
        traces.append(extra)
        raws.append(extra)
    return ParsedLine(
        host,
        logtype,
        log_time,
        level,
        component,
        thread,
        message,
        "\n".join(raws),
        source_file=source_file,
        trace="\n".join(traces),
        received_at=received_at,
    )
