"""preprocess_log: one raw Hadoop log line -> a structured record, with no I/O.

Layouts recognised (everything else is kept raw with level UNKNOWN, never dropped):

- daemon log4j, Hadoop's default  `%d{ISO8601} %p %c: %m`
      2026-11-28 10:15:32,123 INFO org.apache.hadoop.hdfs.server.datanode.DataNode: Receiving …
  also with `%-5p` padding, and log4j2's `T` between date and time (Hive, Hadoop 3.5+).
- MapReduce AM / YARN container / HBase layout with the thread  `%d{ISO8601} %p [%t] %c: %m`
      2026-11-28 10:15:32,123 WARN [LeaseRenewer:etl@nn01:8020] org.apache.hadoop.hdfs.Lease…
  Thread names hold spaces, colons and even brackets; the thread ends at the last `] ` that is
  followed by a logger and `: `.
- the older  `yyMMdd HHmmss pid LEVEL class: message`  (pid goes to `thread`)
      081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block … terminating
- Hadoop's console appender  `%d{yy/MM/dd HH:mm:ss} %p %c{2}: %m`
      26/11/28 10:15:32 INFO datanode.DataNode: STARTUP_MSG: …
- ZooKeeper, which HA NameNodes and ResourceManagers rely on
      `%d{ISO8601} [myid:%X{myid}] - %-5p [%t:%C{1}@%L] - %m`

Java stack-trace lines (`\tat …`, `Caused by: …`, `\t... 12 more`, an exception header such as
`java.io.IOException: Connection reset by peer`) are marked `is_continuation`;
attach_continuations() folds them into the event they follow when they share a request.

Timestamps carry no zone: they are read in CLUSTER_TIME_ZONE and returned in UTC.
"""

import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings

from logs.models import LogLevel, SystemLog

# log4j spellings -> stored level. WARNING appears in some layouts and in java.util.logging.
_LEVEL_NAMES = r"TRACE|DEBUG|INFO|WARN(?:ING)?|ERROR|FATAL"
_LEVELS = {
    "TRACE": LogLevel.TRACE.value,
    "DEBUG": LogLevel.DEBUG.value,
    "INFO": LogLevel.INFO.value,
    "WARN": LogLevel.WARN.value,
    "WARNING": LogLevel.WARN.value,
    "ERROR": LogLevel.ERROR.value,
    "FATAL": LogLevel.FATAL.value,
}
UNKNOWN = LogLevel.UNKNOWN.value
COMPONENT_MAX = SystemLog._meta.get_field("component").max_length
THREAD_MAX = SystemLog._meta.get_field("thread").max_length

# A logger name: a class or dotted category, never spaces or a colon.
_LOGGER = r"([^\s:\[\]]+)"

_ISO = re.compile(
    r"(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:[,.](\d{1,9}))?"
    rf" +({_LEVEL_NAMES})"
    # Lazy, so the thread stops at the first `] <logger>: ` and may itself hold `]`.
    r"(?: +\[(.*?)\])?"
    rf" +{_LOGGER}: ?(.*)",
    re.S,
)
_OLD = re.compile(
    r"(\d\d)(\d\d)(\d\d) (\d\d)(\d\d)(\d\d) (\d+)"
    rf" +({_LEVEL_NAMES})"
    rf" +{_LOGGER}: ?(.*)",
    re.S,
)
_CONSOLE = re.compile(
    r"(\d\d)/(\d\d)/(\d\d) (\d\d:\d\d:\d\d)"
    rf" +({_LEVEL_NAMES})"
    rf" +{_LOGGER}: ?(.*)",
    re.S,
)
_ZOOKEEPER = re.compile(
    r"(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:[,.](\d{1,9}))?"
    r" \[myid:\d*\] -"
    rf" +({_LEVEL_NAMES})"
    # [thread:Class@line]: the thread may hold colons, the class is after the last one.
    r" +\[(.*):([\w$.]+)@\d+\] - ?(.*)",
    re.S,
)
# Lines of a Java stack trace, as log4j writes them after the event's own line.
_CONTINUATION = re.compile(
    r"\t"  # log4j never starts an event with a tab: frames, "\t... 3 more", suppressed
    r"|\s+at \S"  # frames indented with spaces
    r"|\s*\.\.\. \d+ (?:more|common frames omitted)"
    r"|\s*(?:Caused by|Suppressed): "
    # The exception header: a qualified class name ending in Exception/Error/Throwable, then
    # end of line, `: message`, or RemoteException's `(wrapped.Class): message`.
    r"|(?:[a-z_$][\w$]*\.)+[\w$]*(?:Exception|Error|Throwable)(?:\([\w$.]*\))?(?::|$)"
)


@dataclass(slots=True)
class ParsedLine:
    """One row of system_logs, before it is stored. Times are aware, in UTC."""

    host: str
    logtype: str
    log_time: datetime | None
    level: str
    component: str
    thread: str
    message: str
    raw: str
    source_file: str = ""
    trace: str = ""
    is_continuation: bool = False
    truncated: bool = False
    decode_errors: int = 0
    received_at: datetime | None = None
    code_file: str = ""  # %F, where the layout prints it
    code_line: int | None = None  # %L


# The UTC datetime of the last local second converted, per zone: lines come in time order, so
# most lines of a batch (and consecutive events of an agent) share it. One tuple, replaced
# whole, so threads never see half an update.
_last_second: tuple[str, str, datetime | None] = ("", "", None)


def _zone(name: str):
    return UTC if name == "UTC" else zoneinfo.ZoneInfo(name)  # ZoneInfo caches instances


def _utc_time(day: str, clock: str, fraction: str | None, zone_name: str) -> datetime | None:
    """'2026-11-28', '10:15:32', '123' read in zone_name -> aware UTC datetime, None if invalid."""
    global _last_second
    key = day + clock
    last_zone, last_key, base = _last_second
    if last_key != key or last_zone != zone_name:
        try:
            local = datetime.fromisoformat(f"{day} {clock}")
            # MySQL's DATETIME holds years 1000-9999; a bogus year must not fail the insert.
            if not 1000 < local.year < 9999:
                return None
            base = local.replace(tzinfo=_zone(zone_name)).astimezone(UTC)
        except (ValueError, OverflowError):  # month 13, 25 o'clock, Feb 30: keep the line
            return None
        _last_second = (zone_name, key, base)
    if fraction:
        return base.replace(microsecond=int(fraction[:6].ljust(6, "0")))
    return base


def _unknown(line: str, host: str, logtype: str, **extra) -> ParsedLine:
    return ParsedLine(host, logtype, None, UNKNOWN, "", "", line, line, **extra)


def preprocess_log(
    line: str,
    *,
    host: str,
    logtype: str,
    source_file: str = "",
    truncated: bool = False,
    decode_errors: int = 0,
    received_at: datetime | None = None,
    time_zone: str | None = None,
) -> ParsedLine:
    """Parse one log line (already decoded, without its newline). Never raises on any text.

    `time_zone` is the zone of the line's timestamp (default: settings.CLUSTER_TIME_ZONE).
    """
    extra = {
        "source_file": source_file,
        "truncated": truncated,
        "decode_errors": decode_errors,
        "received_at": received_at,
    }
    if "0" <= line[:1] <= "9":
        zone = time_zone or settings.CLUSTER_TIME_ZONE
        log_time = m = None
        if line[4:5] == "-":
            m = _ISO.match(line)
            if m is not None or (m := _ZOOKEEPER.match(line)) is not None:
                day, clock, fraction, level, thread, component, message = m.groups()
                log_time = _utc_time(day, clock, fraction, zone)
        elif line[2:3] == "/":
            m = _CONSOLE.match(line)
            if m is not None:
                yy, mo, dd, clock, level, component, message = m.groups()
                log_time = _utc_time(f"20{yy}-{mo}-{dd}", clock, None, zone)
                thread = ""
        elif line[6:7] == " ":
            m = _OLD.match(line)
            if m is not None:
                yy, mo, dd, hh, mi, ss, thread, level, component, message = m.groups()
                log_time = _utc_time(f"20{yy}-{mo}-{dd}", f"{hh}:{mi}:{ss}", None, zone)
        if m is None:
            return _unknown(line, host, logtype, **extra)
        return ParsedLine(
            host,
            logtype,
            log_time,
            _LEVELS[level],
            component[:COMPONENT_MAX],
            thread[:THREAD_MAX] if thread else "",
            message,
            line,
            **extra,
        )
    if _CONTINUATION.match(line) is not None:
        return _unknown(line, host, logtype, is_continuation=True, **extra)
    return _unknown(line, host, logtype, **extra)


# One event's attached trace is capped, so a runaway trace (or hostile input) cannot build a
# row bigger than the database accepts in one packet; the rest starts a new continuation row.
MAX_TRACE_CHARS = 1024 * 1024


def attach_continuations(lines: Iterable[ParsedLine]) -> list[ParsedLine]:
    """Fold stack-trace lines into the row they continue; returns the rows to store, in order.

    A continuation line joins the row before it (an event, an unknown line, or a continuation
    that itself had nothing before it in this request): `trace` gets the line, `raw` keeps all
    the lines as received. A continuation with nothing before it stays a row of its own,
    marked is_continuation, as when Flume sends each line in its own request.
    """
    rows: list[ParsedLine] = []
    parts: list[list[str]] = []  # the raw lines of rows[i], joined once at the end
    size = 0
    for line in lines:
        if line.is_continuation and rows and size + len(line.raw) < MAX_TRACE_CHARS:
            head = rows[-1]
            parts[-1].append(line.raw)
            size += len(line.raw) + 1
            head.truncated = head.truncated or line.truncated
            head.decode_errors += line.decode_errors
            continue
        rows.append(line)
        parts.append([line.raw])
        size = 0
    for row, row_parts in zip(rows, parts, strict=True):
        if len(row_parts) > 1:
            trace = "\n".join(row_parts[1:])
            row.trace = f"{row.trace}\n{trace}" if row.trace else trace
            row.raw = "\n".join(row_parts)
    return rows
