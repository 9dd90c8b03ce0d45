"""preprocess_log: one raw Hadoop log line -> a structured record, with no I/O.

Layouts recognised (everything else is kept raw with level UNKNOWN, never dropped; real
lines and the distributions' patterns are in docs/layouts.md):

- daemon log4j, Hadoop's default  `%d{ISO8601} %p %c: %m`, which Cloudera Manager also writes
  for the roles it manages, and the HDFS/YARN/MapReduce audit logs (`%c{2}`, key=value message)
      2026-11-28 10:15:32,123 INFO org.apache.hadoop.hdfs.server.datanode.DataNode: Receiving …
  also with `%-5p` padding, and log4j2's `T` between date and time (Hive, Hadoop 3.5+).
- MapReduce AM / YARN container / HBase layout with the thread  `%d{ISO8601} %p [%t] %c: %m`
      2026-11-28 10:15:32,123 WARN [LeaseRenewer:etl@nn01:8020] org.apache.hadoop.hdfs.Lease…
  Thread names hold spaces, colons and even brackets; the thread ends at the first `] ` after
  which the rest of a layout matches.
- HDP/Ambari  `%d{ISO8601} %-5p [%t] %c{2} (%F:%M(%L)) - %m`, with or without `[%t]`; the file
  and line go to code_file/code_line
      2026-11-28 10:15:32,123 INFO  [main] namenode.NameNode (NameNode.java:<init>(1608)) - …
- the Hadoop docker image's  `%d{yyyy-MM-dd HH:mm:ss} %-5p %c{1}:%L - %m` (and Oozie's, Ambari
  server's `%c{1}:%L - %m` after a thread)
      2026-11-28 10:15:32 INFO  DataNode:420 - Receiving …
- Cloudera Manager's server  `%d{ISO8601} %p %t:%c: %m`
      2026-11-28 10:15:32,200 INFO main:com.cloudera.server.cmf.Main: Starting SCM Server. …
- the older  `yyMMdd HHmmss pid LEVEL class: message`  (pid goes to `thread`)
      081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block … terminating
- Hadoop's console appender  `%d{yy/MM/dd HH:mm:ss} %p %c{2}: %m`
      26/11/28 10:15:32 INFO datanode.DataNode: STARTUP_MSG: …
- ZooKeeper, which HA NameNodes and ResourceManagers rely on
      `%d{ISO8601} [myid:%X{myid}] - %-5p [%t:%C{1}@%L] - %m`  (Ambari's has no `[myid:…]`)
- the operator's own layouts (table log_layouts, logs/layouts.py), tried in order when no
  built-in layout reads a line: `layouts=`.

Java stack-trace lines (`\tat …`, `Caused by: …`, `\t... 12 more`, an exception header such as
`java.io.IOException: Connection reset by peer`) are marked `is_continuation`;
attach_continuations() folds them into the event they follow when they share a request.

Timestamps carry no zone: they are read in CLUSTER_TIME_ZONE and returned in UTC.
"""

import re
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings

from logs.layouts import Layout, LayoutSet
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
CODE_FILE_MAX = SystemLog._meta.get_field("code_file").max_length

# A logger name: a class or dotted category, never spaces or a colon.
_LOGGER = r"([^\s:\[\]]+)"

_ISO = re.compile(
    r"(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:[,.](\d{1,9}))?"
    rf" +({_LEVEL_NAMES})"
    # Lazy, so the thread stops at the first `] ` after which the rest of a layout matches,
    # and may itself hold `]`.
    r"(?: +\[(.*?)\])?"
    # The logger (Cloudera Manager's server writes its thread here, then `:` and the logger).
    r" +([^\s:\[\]()]+)"
    r"(?:"
    r":(\d{1,9}) - (.*)"  # 7, 8: the Hadoop docker image's  %c{1}:%L - %m
    r"|:([^\s:\[\]()]+): (.*)"  # 9, 10: Cloudera Manager's  %t:%c: %m
    r"| \(([^\s:()]*):([^\s:()]*)\((\d{1,9}|\?)\)\) - (.*)"  # 11-14: HDP (%F:%M(%L)) - %m
    r"| - (.*)"  # 15: %c - %m
    r"|: ?(.*)"  # 16: Hadoop's  %c: %m
    r")",
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
    r"(?: \[myid:\d*\])? -"  # Apache's layout has the myid, Ambari's has not
    rf" +({_LEVEL_NAMES})"
    # [thread:Class@line]: the thread may hold colons, the class is after the last one.
    r" +\[(.*):([\w$.]+)@(\d{1,9})\] - ?(.*)",
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
    # Set at ingest (logs/events.py, docs/events.md): the sender's stream, and for a row that
    # continues an event stored by an earlier request, that event's first row and its place.
    stream: int = 0
    event_head: int | None = None
    event_seq: int = 0


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
    layouts: LayoutSet | Sequence[Layout] = (),
) -> ParsedLine:
    """Parse one log line (already decoded, without its newline). Never raises on any text.

    `time_zone` is the zone of the line's timestamp (default: settings.CLUSTER_TIME_ZONE).
    `layouts` are the operator's layouts (logs.layout_cache.log_layouts_current()), tried in
    order when no built-in layout reads the line.
    """
    if "0" <= line[:1] <= "9":
        zone = time_zone or settings.CLUSTER_TIME_ZONE
        log_time = m = None
        code_file, code_line = "", None
        if line[4:5] == "-":
            m = _ISO.match(line)
            if m is not None:
                groups = m.groups()
                day, clock, fraction, level, thread, component = groups[:6]
                message = groups[15]
                if message is None:  # not Hadoop's  %c: %m, the typical line
                    last = m.lastindex
                    if last == 8:
                        code_line, message = int(groups[6]), groups[7]
                    elif last == 10:
                        # Cloudera Manager's `thread:logger:` (a [thread] before stays the thread)
                        thread = thread or component
                        component, message = groups[8], groups[9]
                    elif last == 14:
                        code_file, line_text, message = groups[10], groups[12], groups[13]
                        code_line = int(line_text) if line_text != "?" else None
                        code_file = "" if code_file == "?" else code_file[:CODE_FILE_MAX]
                    else:
                        message = groups[14]
                log_time = _utc_time(day, clock, fraction, zone)
            elif (m := _ZOOKEEPER.match(line)) is not None:
                day, clock, fraction, level, thread, component, line_text, message = m.groups()
                code_line = int(line_text)
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
        if m is not None:
            # Positional: this is the hot path, and keywords cost a third of the construction.
            return ParsedLine(
                host,
                logtype,
                log_time,
                _LEVELS[level],
                component[:COMPONENT_MAX],
                thread[:THREAD_MAX] if thread else "",
                message,
                line,
                source_file,
                "",
                False,
                truncated,
                decode_errors,
                received_at,
                code_file,
                code_line,
            )
    elif _CONTINUATION.match(line) is not None:
        return ParsedLine(
            host, logtype, None, UNKNOWN, "", "", line, line, source_file, "", True,
            truncated, decode_errors, received_at,
        )  # fmt: skip
    else:
        zone = time_zone or settings.CLUSTER_TIME_ZONE
    if layouts:
        if isinstance(layouts, LayoutSet):
            read = layouts.read(line, zone)
        else:
            read = next((r for x in layouts if (r := x.read(line, zone)) is not None), None)
        if read is not None:
            return ParsedLine(
                host,
                logtype,
                read.log_time,
                read.level,
                read.component[:COMPONENT_MAX],
                read.thread[:THREAD_MAX],
                read.message,
                line,
                source_file,
                "",
                False,
                truncated,
                decode_errors,
                received_at,
                read.code_file[:CODE_FILE_MAX],
                read.code_line,
            )
    return ParsedLine(
        host, logtype, None, UNKNOWN, "", "", line, line, source_file, "", False, truncated,
        decode_errors, received_at,
    )  # fmt: skip


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
