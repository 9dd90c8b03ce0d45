"""Reads of system_logs for pages other than the admin list (host pages, fault pages), and of
log_sources for the watchdogs."""

import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db import InternalError, OperationalError, connection
from django.db.models import Count, F, Lookup, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Left

from logs.models import SEVERE_LEVELS, LogLevel, LogSource, SystemLog
from logs.search import SearchQuery
from logs.search_index import SQLITE_TABLE, match_expression, search_index_state

# Pages show the start of a message; a line may hold 64 KiB.
MESSAGE_HEAD_CHARS = 500
LIST_FIELDS = ("id", "host", "logtype", "log_time", "level", "component")


def system_log_severe_recent(*, host: str, since: datetime, limit: int) -> list[SystemLog]:
    """A host's newest WARN/ERROR/FATAL lines since `since`, newest first.

    Served by the (host, level, log_time) index: one range per level, merged and cut at
    `limit`, however many INFO lines the host wrote meanwhile.
    """
    return list(
        SystemLog.objects.filter(
            host=host, level__in=[str(level) for level in SEVERE_LEVELS], log_time__gte=since
        )
        .only(*LIST_FIELDS)
        .annotate(message_head=Left("message", MESSAGE_HEAD_CHARS))
        .order_by("-log_time", "-id")[:limit]
    )


def system_log_host_exists(*, host: str) -> bool:
    """Whether any line came from `host` (one (host, log_time) index dive)."""
    return SystemLog.objects.filter(host=host).exists()


# --- search -------------------------------------------------------------------------------------
# How the search runs (docs/search.md): the newest SEARCH_WINDOW_ROWS rows that pass the filters
# are checked first with the terms' regular expressions (a common term fills its page there);
# what is left comes from the full-text index (a rare term), or, where the index holds none of
# the terms' words (or is turned off), from further windows until SEARCH_SCAN_SECONDS are spent.
SEARCH_WINDOW_ROWS = 10_000
SEARCH_SCAN_WINDOW_ROWS = 50_000
SEARCH_SCAN_SECONDS = 2.0
SEARCH_MAX_LIMIT = 500
# A term found this often among the newest SEARCH_WINDOW_ROWS rows is common: further windows
# find it quickly, while the index would read its whole posting list (a count of a word in 1/12
# of 5 M lines took 55 s on InnoDB with a 128 MiB buffer pool; docs/search.md).
SEARCH_COMMON_MATCHES = 20
SEARCH_INDEX_SECONDS = 3.0
SEARCH_STATEMENT_SECONDS = 5.0
# Levels from the least to the most severe: "level at least WARN" is WARN, ERROR, FATAL.
LEVEL_ORDER = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
SEARCH_FIELDS = (
    "id",
    "host",
    "logtype",
    "source_file",
    "log_time",
    "level",
    "component",
    "thread",
    "message",
    "trace",
    "is_continuation",
    "truncated",
    "received_at",
)


@dataclass(frozen=True)
class LogFilters:
    """What to search: a parsed query and the filters beside it. `since` is required: a
    search always has a time range (rows without a log time are outside every range)."""

    since: datetime
    until: datetime | None = None
    query: SearchQuery = SearchQuery()
    host: str = ""  # exact, or a glob with * and ?
    level: str = ""  # at least this level; UNKNOWN alone means exactly UNKNOWN
    logtype: str = ""
    source_file: str = ""  # exact, or a glob


@dataclass(frozen=True)
class Position:
    """A place in the newest-first order (log_time, id): a page holds the rows after it."""

    log_time: datetime
    id: int


@dataclass
class SearchPage:
    lines: list
    next: Position | None  # None: nothing older matches in the range
    plan: str  # "filters", "window", "index" or "scan": how the rows were found
    partial: bool = False  # the scan stopped at `next` to stay in its time budget


def is_glob(value: str) -> bool:
    return "*" in value or "?" in value


def glob_to_like(value: str) -> str:
    out = []
    for char in value:
        if char in "!%_":
            out.append("!" + char)
        elif char == "*":
            out.append("%")
        elif char == "?":
            out.append("_")
        else:
            out.append(char)
    return "".join(out)


class _Like(Lookup):
    """`field LIKE pattern ESCAPE '!'` (a Lookup, so MySQL sees a plain condition)."""

    lookup_name = "portal_like"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs} ESCAPE '!'", [*lhs_params, *rhs_params]


class _FulltextMatch(Lookup):
    """MySQL/MariaDB: MATCH (message, trace) AGAINST (… IN BOOLEAN MODE), as a condition."""

    lookup_name = "portal_fulltext"

    def as_sql(self, compiler, connection):
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"MATCH (message, trace) AGAINST ({rhs} IN BOOLEAN MODE)", rhs_params


def levels_at_least(level: str) -> list[str]:
    if level == "UNKNOWN":
        return ["UNKNOWN"]
    return list(LEVEL_ORDER[LEVEL_ORDER.index(level) :])


def _field_filter(queryset, field: str, value: str):
    if not value:
        return queryset
    if is_glob(value):
        return queryset.filter(_Like(F(field), glob_to_like(value)))
    return queryset.filter(**{field: value})


def _filtered(filters: LogFilters):
    queryset = SystemLog.objects.filter(log_time__gte=filters.since)
    if filters.until is not None:
        queryset = queryset.filter(log_time__lt=filters.until)
    queryset = _field_filter(queryset, "host", filters.host)
    queryset = _field_filter(queryset, "source_file", filters.source_file)
    if filters.logtype:
        queryset = queryset.filter(logtype=filters.logtype)
    if filters.level:
        levels = levels_at_least(filters.level)
        if len(levels) < len(LEVEL_ORDER):
            queryset = queryset.filter(level__in=levels)
    return queryset


def _older_than(queryset, position: Position | None):
    """Rows after `position` in newest-first order, written as a range on log_time."""
    if position is None:
        return queryset
    return queryset.filter(log_time__lte=position.log_time).exclude(
        log_time=position.log_time, id__gte=position.id
    )


def _not_older_than(queryset, position: Position):
    """Rows up to and including `position`."""
    return queryset.filter(log_time__gte=position.log_time).exclude(
        log_time=position.log_time, id__lt=position.id
    )


def _text_condition(term) -> Q:
    pattern = term.pattern
    if connection.vendor == "mysql":
        pattern = "(?i)" + pattern  # the column's collation decides otherwise
    return Q(message__iregex=pattern) | Q(trace__iregex=pattern)


def _with_terms(queryset, query: SearchQuery):
    for term in query.positive:
        queryset = queryset.filter(_text_condition(term))
    for term in query.negative:
        queryset = queryset.exclude(_text_condition(term))
    return queryset


def _with_index(queryset, query: SearchQuery):
    """`queryset` narrowed by the full-text index, or None when the index cannot help."""
    state = search_index_state()
    if not state.present:
        return None
    expression = match_expression(query.positive, vendor=connection.vendor, state=state)
    if expression is None:
        return None
    if connection.vendor == "mysql":
        return queryset.filter(_FulltextMatch(F("message"), expression))
    return queryset.filter(
        id__in=RawSQL(
            f"SELECT rowid FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s", [expression]
        )
    )


def _newest(queryset, fields, limit: int) -> list:
    return list(queryset.only(*fields).order_by("-log_time", "-id")[:limit])


def _window_edge(queryset, size: int) -> Position | None:
    """The `size`-th row of `queryset` newest first (read from an index), or None if fewer."""
    edge = list(
        queryset.order_by("-log_time", "-id").values_list("log_time", "id")[size - 1 : size]
    )
    return Position(*edge[0]) if edge else None


STATEMENT_STOPPED_CODES = (1969, 3024, 188, 1317)


class SearchTooSlow(Exception):
    """A statement of the search ran past SEARCH_STATEMENT_SECONDS and the database stopped it."""


@contextmanager
def _statement_limit(seconds: float):
    """MySQL/MariaDB: stop any statement of the block that runs longer than `seconds`."""
    if connection.vendor != "mysql":
        yield
        return
    if connection.mysql_is_mariadb:
        setting, value = "max_statement_time", seconds
    else:
        setting, value = "max_execution_time", int(seconds * 1000)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT @@SESSION.{setting}")
        (previous,) = cursor.fetchone()
        cursor.execute(f"SET SESSION {setting} = %s", [value])
    try:
        yield
    except (OperationalError, InternalError) as exc:
        # The statement ran past its limit and was stopped: MariaDB says 1969, or, when the stop
        # lands inside the storage engine (an InnoDB full-text read), the handler's 188
        # (HA_ERR_ABORTED_BY_USER) as an InternalError; MySQL says 3024; 1317 is "interrupted".
        if exc.args and exc.args[0] in STATEMENT_STOPPED_CODES:
            raise SearchTooSlow(str(exc)) from exc
        raise
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"SET SESSION {setting} = %s", [previous])


def system_log_search(
    *,
    filters: LogFilters,
    after: Position | None = None,
    limit: int = 50,
    fields=SEARCH_FIELDS,
    scan_seconds: float = SEARCH_SCAN_SECONDS,
    scan_window_rows: int | None = None,
) -> SearchPage:
    """One page of the lines matching `filters`; every statement under SEARCH_STATEMENT_SECONDS
    (SearchTooSlow otherwise: a query must never hold a worker)."""
    with _statement_limit(SEARCH_STATEMENT_SECONDS):
        return _search(
            filters=filters,
            after=after,
            limit=limit,
            fields=fields,
            scan_seconds=scan_seconds,
            scan_window_rows=scan_window_rows or SEARCH_SCAN_WINDOW_ROWS,
        )


def _search(
    *,
    filters: LogFilters,
    after: Position | None,
    limit: int,
    fields,
    scan_seconds: float,
    scan_window_rows: int,
) -> SearchPage:
    """One page of the lines matching `filters`, newest first (log_time, then id), after `after`.

    Bounded work, never a count: a window of rows checked directly, the index only for a term
    that looks rare (a common word's posting list costs seconds to read on InnoDB), and a scan
    that stops after SEARCH_SCAN_SECONDS with a position to continue from.
    """
    limit = max(1, limit)
    base = _older_than(_filtered(filters), after)
    query = filters.query
    if not query:
        rows = _newest(base, fields, limit + 1)
        return _page(rows, limit, plan="filters")

    found: list = []
    rest = base
    narrowed = bool(filters.host or filters.level or filters.logtype or filters.source_file)
    probe = (
        _text_frequency(
            _older_than(_filtered(LogFilters(since=filters.since, until=filters.until)), after),
            query,
        )
        if narrowed
        else None
    )
    if probe is None or probe >= SEARCH_COMMON_MATCHES:
        # 1. The newest rows that pass the filters, checked directly (a common term is here).
        edge = _window_edge(base, SEARCH_WINDOW_ROWS)
        window = base if edge is None else _not_older_than(base, edge)
        found = _newest(_with_terms(window, query), fields, limit + 1)
        if len(found) > limit or edge is None:
            return _page(found, limit, plan="window")
        rest = _older_than(base, edge)
        common = len(found) >= SEARCH_COMMON_MATCHES
    else:
        # The filters' rows are scattered (one host among many): reading a window of them costs
        # a disk read each, and the newest rows of the range say the term is rare. Index first.
        common = False

    # 2. A rare term: the rest of the range through the index, within a statement time limit.
    if not common:
        indexed = _with_index(rest, query)
        if indexed is not None:
            more = _newest_limited(_with_terms(indexed, query), fields, limit + 1 - len(found))
            if more is not None:
                return _page(found + more, limit, plan="index")

    # 3. A common term, words the index does not hold, or an index too slow for this term:
    # scan on, window by window, within the time budget.
    started = time.monotonic()
    while True:
        edge = _window_edge(rest, scan_window_rows)
        window = rest if edge is None else _not_older_than(rest, edge)
        found += _newest(_with_terms(window, query), fields, limit + 1 - len(found))
        if len(found) > limit or edge is None:
            return _page(found, limit, plan="scan")
        if time.monotonic() - started > scan_seconds:
            return SearchPage(found, edge, plan="scan", partial=True)
        rest = _older_than(rest, edge)


def _text_frequency(queryset, query) -> int:
    """Matches among the newest SEARCH_WINDOW_ROWS rows of `queryset`, counted up to
    SEARCH_COMMON_MATCHES (rows of one time range: contiguous in the table, so cheap)."""
    edge = _window_edge(queryset, SEARCH_WINDOW_ROWS)
    window = queryset if edge is None else _not_older_than(queryset, edge)
    matches = _with_terms(window, query).order_by("-log_time", "-id").values_list("id", flat=True)
    return len(matches[:SEARCH_COMMON_MATCHES])  # ordered: read along the log_time index


def _newest_limited(queryset, fields, limit: int) -> list | None:
    """`_newest` under SEARCH_INDEX_SECONDS; None when the database gave up on it.

    Never longer than the whole search's SEARCH_STATEMENT_SECONDS: this limit replaces the
    session's for the lookup, so a smaller statement limit must win."""
    try:
        with _statement_limit(min(SEARCH_INDEX_SECONDS, SEARCH_STATEMENT_SECONDS)):
            return _newest(queryset, fields, limit)
    except SearchTooSlow:
        return None


def _page(rows: list, limit: int, *, plan: str) -> SearchPage:
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        return SearchPage(rows, Position(last.log_time, last.id), plan=plan)
    return SearchPage(rows, None, plan=plan)


# --- context and histogram ----------------------------------------------------------------------
CONTEXT_MAX = 500


def system_log_context(*, line: SystemLog, before: int, after: int) -> tuple[list, list]:
    """The lines before and after `line` on its host and stream (log type and source file), in
    the stream's order (log_time, then id); each list in reading order, oldest first.

    Served by the (host, log_time) index. A line without a log time is placed by id alone.
    """
    stream = SystemLog.objects.filter(
        host=line.host, logtype=line.logtype, source_file=line.source_file
    ).only(*SEARCH_FIELDS)
    if line.log_time is None:
        window = 50 * (before + after + 1)
        earlier = stream.filter(id__lt=line.id, id__gte=line.id - window).order_by("-id")
        later = stream.filter(id__gt=line.id, id__lte=line.id + window).order_by("id")
    else:
        at = Position(line.log_time, line.id)
        earlier = _older_than(stream, at).order_by("-log_time", "-id")
        later = (
            stream.filter(log_time__gte=line.log_time)
            .exclude(log_time=line.log_time, id__lte=line.id)
            .order_by("log_time", "id")
        )
    earlier_rows = list(earlier[: min(before, CONTEXT_MAX)]) if before else []
    later_rows = list(later[: min(after, CONTEXT_MAX)]) if after else []
    return earlier_rows[::-1], later_rows


HISTOGRAM_MAX_MATCHES = 10_000
HISTOGRAM_SCAN_SECONDS = 0.5  # a common term is counted for this long at most (then cut_at)
HISTOGRAM_MAX_BUCKETS = 360
BUCKET_CHOICES = (60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 24 * 3600)


@dataclass
class Histogram:
    since: datetime
    until: datetime
    bucket_seconds: int
    counts: list[int]
    counted: int
    # When more lines matched than were counted, the oldest moment counted: bars before it
    # are incomplete.
    cut_at: datetime | None = None


def bucket_seconds_for(span_seconds: float) -> int:
    """Per minute, unless that makes more than HISTOGRAM_MAX_BUCKETS bars."""
    for seconds in BUCKET_CHOICES:
        if span_seconds / seconds <= HISTOGRAM_MAX_BUCKETS:
            return seconds
    return BUCKET_CHOICES[-1]


def system_log_histogram(*, filters: LogFilters, now: datetime) -> Histogram:
    """Matches per bucket over the range, counting the newest HISTOGRAM_MAX_MATCHES at most."""
    until = filters.until or now
    span = max((until - filters.since).total_seconds(), 60)
    bucket = bucket_seconds_for(span)
    buckets = int(span // bucket) + 1
    counts = [0] * buckets
    page = (
        system_log_search(filters=filters, limit=HISTOGRAM_MAX_MATCHES, fields=("id", "log_time"))
        if filters.query
        else None
    )
    if page is not None:
        times = [row.log_time for row in page.lines]
        more = page.next is not None
    else:
        rows = list(
            _filtered(filters)
            .order_by("-log_time", "-id")
            .values_list("log_time", flat=True)[: HISTOGRAM_MAX_MATCHES + 1]
        )
        more = len(rows) > HISTOGRAM_MAX_MATCHES
        times = rows[:HISTOGRAM_MAX_MATCHES]
    for moment in times:
        index = int((moment - filters.since).total_seconds() // bucket)
        if 0 <= index < buckets:
            counts[index] += 1
    return Histogram(
        since=filters.since,
        until=until,
        bucket_seconds=bucket,
        counts=counts,
        counted=len(times),
        cut_at=times[-1] if more and times else None,
    )


TAIL_MAX_ROWS = 20_000  # new rows read per poll at most; a faster stream is followed in steps


def system_log_tail(*, filters: LogFilters, after_id: int, limit: int) -> tuple[list, int]:
    """Lines newer than id `after_id` that match `filters`, oldest first, and the id the next
    poll continues from. Reads at most TAIL_MAX_ROWS new rows (a primary-key range)."""
    newest = list(
        SystemLog.objects.filter(id__gt=after_id)
        .order_by("id")
        .values_list("id", flat=True)[TAIL_MAX_ROWS - 1 : TAIL_MAX_ROWS]
    )
    queryset = _filtered(filters).filter(id__gt=after_id)
    if newest:
        queryset = queryset.filter(id__lte=newest[0])
    if filters.query:
        queryset = _with_terms(queryset, filters.query)
    rows = list(queryset.only(*SEARCH_FIELDS).order_by("id")[: limit + 1])
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, rows[-1].id
    return rows, newest[0] if newest else max([after_id, *(row.id for row in rows)], default=0)


def system_log_last_id() -> int:
    return SystemLog.objects.order_by("-id").values_list("id", flat=True).first() or 0


def log_sources_heard_since(*, since: datetime) -> list[tuple[str, str, datetime]]:
    """(host, logtype, last received) of every source that sent lines since `since`."""
    return list(
        LogSource.objects.filter(last_received_at__gte=since)
        .order_by("host", "logtype")
        .values_list("host", "logtype", "last_received_at")
    )


# --- lines in no known layout (docs/layouts.md) ----------------------------------------------

UNREADABLE_CACHE_KEY = "logs:unreadable:v1"
UNREADABLE_CACHE_SECONDS = 60


def system_log_first_id_received_since(*, since: datetime) -> int | None:
    """The id of the first line received at or after `since`, None if none was.

    Ids grow with receipt, so a binary search over the primary key finds it in ~30 point reads,
    where `received_at >= since` would scan the table (received_at has no index: every index
    costs insert speed, and retention walks the primary key the same way).
    """
    rows = SystemLog.objects.order_by("pk")
    newest = rows.values_list("pk", "received_at").last()
    if newest is None or newest[1] < since:
        return None
    low = rows.values_list("pk", flat=True).first()
    high = newest[0]
    while low < high:
        middle = (low + high) // 2
        row = rows.filter(pk__gte=middle).values_list("pk", "received_at").first()
        if row[1] < since:
            low = row[0] + 1
        else:
            high = middle if row[0] > middle else row[0]
    return low


def _unreadable(first_id: int):
    # (level, log_time) index: level = UNKNOWN AND log_time IS NULL AND id >= first_id is one
    # range of it (InnoDB appends the primary key); lines of a stack trace are not in a layout
    # by nature and are not counted.
    return SystemLog.objects.filter(
        level=LogLevel.UNKNOWN, log_time__isnull=True, pk__gte=first_id, is_continuation=False
    )


def log_unreadable_by_host(*, since: datetime) -> list[tuple[str, int]]:
    """(host, lines) of the lines received since `since` that no layout read, most first.

    Cached UNREADABLE_CACHE_SECONDS: the count reads one index entry and one row per such line.
    """

    def count():
        first_id = system_log_first_id_received_since(since=since)
        if first_id is None:
            return []
        rows = _unreadable(first_id).values("host").annotate(lines=Count("id")).order_by()
        return sorted(((r["host"], r["lines"]) for r in rows), key=lambda hl: (-hl[1], hl[0]))

    return cache.get_or_set(UNREADABLE_CACHE_KEY, count, UNREADABLE_CACHE_SECONDS)


def log_unreadable_forget() -> None:
    """Drop the cached count (tests; after a bulk delete)."""
    cache.delete(UNREADABLE_CACHE_KEY)


def system_log_unreadable_recent(*, limit: int, scan: int, chars: int) -> list[SystemLog]:
    """The newest lines no layout read (at most `limit`, among the newest `scan` UNKNOWN rows),
    newest first, each with `line`: its text, cut at `chars` characters."""
    rows = (
        SystemLog.objects.filter(level=LogLevel.UNKNOWN, log_time__isnull=True)
        .order_by("-pk")
        .only("pk", "host", "logtype", "received_at", "is_continuation")
        .annotate(line=Left("message", chars))[:scan]
    )
    return [row for row in rows if not row.is_continuation][:limit]


# --- Events (logs/events.py) ------------------------------------------------------------------

# An event shown whole is cut here: a page holds the start of a runaway event, not all of it.
EVENT_SHOWN_ROWS = 500
EVENT_SHOWN_CHARS = 256 * 1024


def system_log_event_rows(*, head: SystemLog) -> list[SystemLog]:
    """The rows that later requests added to the event `head` starts, in order (none for a
    line that arrived with its whole event): its stream's rows that point at it."""
    after = SystemLog.objects.filter(stream=head.stream, id__gt=head.pk).order_by("id")
    # The event's later rows are the stream's next rows (it was the stream's open event while
    # they arrived): read the stream forward by its index and keep the prefix that points at
    # the head, never scanning the stream past the event.
    first = after.values_list("event_head", flat=True).first()
    if first != head.pk:
        return []
    ids = []
    for pk, event_head in after.values_list("id", "event_head")[:EVENT_SHOWN_ROWS]:
        if event_head != head.pk:
            break
        ids.append(pk)
    return list(SystemLog.objects.filter(pk__in=ids).order_by("id").only("id", "raw"))


def system_log_event_whole(*, line: SystemLog) -> SystemLog:
    """`line` as its whole event: for the first row of an event that continued in later
    requests, `raw` and `trace` extended with the later rows' lines (capped). Other lines are
    returned as they are. Not saved."""
    if line.event_head is not None or not line.stream:
        return line
    later = system_log_event_rows(head=line)
    if not later:
        return line
    raws, traces, size = [line.raw], [line.trace] if line.trace else [], len(line.raw)
    for row in later:
        if size + len(row.raw) > EVENT_SHOWN_CHARS:
            raws.append("[… cut]")
            break
        raws.append(row.raw)
        traces.append(row.raw)
        size += len(row.raw) + 1
    line.raw = "\n".join(raws)
    line.trace = "\n".join(traces)
    return line
