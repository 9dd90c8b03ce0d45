"""Writes for ingested log lines: rows, detected faults and the idempotency key, committed together.

The hot path of the portal. Rows go in with one multi-row INSERT per chunk (mysqlclient's
executemany rewrites `INSERT … VALUES (%s, …)` into multi-row statements), never one query per
line and never through model instances: bench/ingest_bench.py measures what this is worth.
"""

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from logs.events import Folded, event_line, event_text_rows, events_fold
from logs.group_commit import GroupCommit
from logs.hooks import line_detection
from logs.layouts import compile_layout
from logs.metrics import DETECTION_SECONDS, GROUP_COMMIT_ROWS
from logs.models import IngestRequest, LogLayout, SystemLog
from logs.parsing import ParsedLine
from logs.sources import log_sources_note

_COLUMNS = (
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
    "is_continuation",
    "truncated",
    "decode_errors",
    "received_at",
    "code_file",
    "code_line",
    "stream",
    "event_head",
    "event_seq",
)


class IdempotencyKeyReused(Exception):
    """The key was already used by this token for a different body."""


@dataclass(frozen=True)
class IngestResult:
    accepted: int  # input lines stored (a row holds an event and its attached trace lines)
    rows: int | None  # rows written; None for a replayed request
    replayed: bool = False


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def log_layout_save(
    *,
    name: str,
    pattern: str,
    position: int | None = None,
    enabled: bool = True,
    source: str | None = None,
) -> tuple[LogLayout, bool]:
    """Create the operator layout `name`, or replace its pattern (so configuration management
    can run it again and again); returns (layout, created). The pattern is stored as cleaned
    (a pasted `…ConversionPattern=` prefix dropped). Raises LayoutError naming the part of the
    pattern that cannot be read, and ValueError for a bad name."""
    name = name.strip()
    if not name or len(name) > LogLayout._meta.get_field("name").max_length:
        raise ValueError("The name must be 1 to 64 characters.")
    layout = compile_layout(pattern, name=name)
    defaults: dict = {"pattern": layout.pattern, "enabled": enabled}
    if position is not None:
        defaults["position"] = position
    if source is not None:
        defaults["source"] = source
    return LogLayout.objects.update_or_create(name=name, defaults=defaults)


def _insert_sql(rows: int = 1) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(SystemLog._meta.get_field(name).column) for name in _COLUMNS)
    values = ", ".join(["(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"] * rows)
    return f"INSERT INTO {quote(SystemLog._meta.db_table)} ({columns}) VALUES {values}"


_sql_by_vendor: dict[tuple[str, int], str] = {}
# Rows per multi-row INSERT of a group commit: 52 x 19 parameters stays under SQLite's oldest
# limit of 999 variables per statement.
GROUP_STATEMENT_ROWS = 999 // len(_COLUMNS)


def _db_datetime_mysql(value: datetime | None) -> str | None:
    """The column's text for an aware datetime: UTC (Django's convention), written by us.

    mysqlclient formats datetime parameters in Python, which measured as a sixth of a batch
    request's CPU; isoformat() is done in C and MySQL reads the same text.
    """
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ")


def _row_params(line: ParsedLine, db_datetime) -> tuple:
    return (
        line.host,
        line.logtype,
        line.source_file,
        db_datetime(line.log_time),
        line.level,
        line.component,
        line.thread,
        line.message,
        line.trace,
        line.raw,
        line.is_continuation,
        line.truncated,
        line.decode_errors,
        db_datetime(line.received_at),
        line.code_file,
        line.code_line,
        line.stream,
        line.event_head,
        line.event_seq,
    )


def _sql_for(rows: int = 1) -> str:
    key = (connection.vendor, rows)
    sql = _sql_by_vendor.get(key)
    if sql is None:
        sql = _sql_by_vendor[key] = _insert_sql(rows)
    return sql


def _params(rows: Sequence[ParsedLine]) -> list[tuple]:
    if connection.vendor == "mysql":
        adapt = _db_datetime_mysql
    else:
        adapt = connection.ops.adapt_datetimefield_value
    done: dict[datetime, str | None] = {}  # a request's rows share received_at, often log_time

    def db_datetime(value):
        if value is None:
            return None
        text = done.get(value)
        if text is None:
            text = done[value] = adapt(value)
        return text

    return [_row_params(row, db_datetime) for row in rows]


# Rows per multi-row INSERT: SQLite's oldest limit is 999 variables per statement (19 columns,
# so 52 rows); MySQL/MariaDB take a statement up to max_allowed_packet (16 MiB and more), so a
# request's rows go in one or two statements there, within a byte budget.
STATEMENT_ROWS = {"mysql": 1000}
STATEMENT_BYTES = 4 * 1024 * 1024


def _statements(params: Sequence[tuple]):
    """(start, end) of each multi-row INSERT that `params` is written with, in order."""
    limit = STATEMENT_ROWS.get(connection.vendor, GROUP_STATEMENT_ROWS)
    start, size = 0, 0
    for index, row in enumerate(params):
        # The text columns are the bulk of a row: message, trace, raw.
        row_size = len(row[7]) + len(row[8]) + len(row[9]) + 256
        if index > start and (index - start >= limit or size + row_size > STATEMENT_BYTES):
            yield start, index
            start, size = index, 0
        size += row_size
    if start < len(params):
        yield start, len(params)


def _insert_rows(rows: Sequence[ParsedLine], wanted: Sequence[int]) -> dict[int, int]:
    """Insert rows in order with multi-row INSERTs; return the ids of the rows at `wanted`.

    Portable ids: MySQL 8 has no RETURNING, and a multi-row INSERT reports one id (the first
    row's on MySQL/MariaDB, the last row's on SQLite). The other rows' ids are computed from it
    as if the statement's ids were consecutive — InnoDB gives a multi-row INSERT its ids
    together and SQLite has one writer — and then checked with one query; a row whose id does
    not check out (interleaved auto-increment under load on MySQL 8) is looked up among the
    rows written since this request's first id. Ids follow the order of the lines.
    """
    params = _params(rows)
    written: list[tuple[int, int, int]] = []  # (start, end, id the database reported)
    with connection.cursor() as cursor:
        for start, end in _statements(params):
            flat = [value for row in params[start:end] for value in row]
            cursor.execute(_sql_for(end - start), flat)
            written.append((start, end, cursor.lastrowid))
    if not wanted:
        return {}
    reported_is_last = connection.vendor == "sqlite"
    consecutive = _statement_ids_are_consecutive()
    ids: dict[int, int] = {}
    guesses: dict[int, int] = {}
    for index in wanted:
        start, end, reported = next(w for w in written if w[0] <= index < w[1])
        first = reported - (end - start - 1) if reported_is_last else reported
        guess = first + (index - start)
        if guess == reported or consecutive:
            ids[index] = guess
        else:
            guesses[index] = guess
    if guesses:
        stored = dict(SystemLog.objects.filter(pk__in=guesses.values()).values_list("pk", "raw"))
        for index, guess in guesses.items():
            if stored.get(guess) == rows[index].raw:
                ids[index] = guess
    missing = [index for index in wanted if index not in ids]
    if missing:
        lowest = min(reported - (end - start - 1) if reported_is_last else reported
                     for start, end, reported in written)  # fmt: skip
        ids.update(_ids_looked_up(rows, missing, lowest, taken=set(ids.values())))
    return ids


_consecutive_by_alias: dict[str, bool] = {}


def _statement_ids_are_consecutive() -> bool:
    """Whether the database documents one INSERT's auto-increment ids as consecutive.

    SQLite has a single writer. InnoDB does in its "traditional" (0) and "consecutive" (1)
    lock modes — MariaDB's default — but not in "interleaved" (2), MySQL 8's default, where
    the guesses are checked. The mode is fixed at server start-up: read once per process.
    """
    alias = connection.alias
    known = _consecutive_by_alias.get(alias)
    if known is None:
        if connection.vendor == "mysql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT @@innodb_autoinc_lock_mode")
                known = int(cursor.fetchone()[0]) in (0, 1)
        else:
            known = connection.vendor == "sqlite"
        _consecutive_by_alias[alias] = known
    return known


def _ids_looked_up(rows, missing: list[int], lowest: int, *, taken: set[int]) -> dict[int, int]:
    """Ids of the rows at `missing`, found among the rows written since `lowest` with this
    request's received_at (identical lines take the ids in order)."""
    candidates = (
        SystemLog.objects.filter(
            pk__gte=lowest, received_at__in={rows[index].received_at for index in missing}
        )
        .order_by("pk")
        .values_list("pk", "host", "raw")
    )
    free: dict[tuple[str, str], list[int]] = {}
    for pk, host, raw in candidates:
        if pk not in taken:
            free.setdefault((host, raw), []).append(pk)
    found = {}
    for index in missing:
        pks = free.get((rows[index].host, rows[index].raw))
        if pks:
            found[index] = pks.pop(0)
    return found


def _insert_params(params: Sequence[tuple]) -> list[int]:
    """Insert ready rows in autocommit, as few multi-row statements as the limit allows; returns
    the rows' ids as if each statement's were consecutive (true where
    _statement_ids_are_consecutive() says so).

    Built here rather than by executemany: for a handful of rows its rewriting (a regex over
    the statement on every call) costs more than the insert itself.
    """
    if len(params) > GROUP_STATEMENT_ROWS:  # several statements: all or none
        with transaction.atomic():
            return _insert_statements(params)
    try:
        return _insert_statements(params)
    except DatabaseError:
        if not connection.in_atomic_block:
            # A dead connection is closed now, so a retry of these rows opens a new one.
            connection.close_if_unusable_or_obsolete()
        raise


def _insert_statements(params: Sequence[tuple]) -> list[int]:
    ids: list[int] = []
    reported_is_last = connection.vendor == "sqlite"  # see _insert_rows
    with connection.cursor() as cursor:
        for start in range(0, len(params), GROUP_STATEMENT_ROWS):
            chunk = params[start : start + GROUP_STATEMENT_ROWS]
            cursor.execute(_sql_for(len(chunk)), [value for row in chunk for value in row])
            first = cursor.lastrowid - (len(chunk) - 1 if reported_is_last else 0)
            ids += range(first, first + len(chunk))
    return ids


_group_commit = GroupCommit(_insert_params, on_batch=GROUP_COMMIT_ROWS.observe)


def _insert_single(row: ParsedLine) -> int | None:
    """Write one row (with concurrent requests' rows, outside a transaction); its id."""
    (params,) = _params([row])
    if connection.in_atomic_block:  # rows of other requests must not join a transaction
        return _insert_params([params])[0]  # that could still roll back
    return _group_commit.write(params)


def _recorded_later(detection, detected):
    """Detection's function to record `detected` once the row is committed without a
    transaction around both, or None (then lines and faults are written together)."""
    if detection.record_later is None or not _statement_ids_are_consecutive():
        return None  # the row's id must be known from the group commit's INSERT
    return detection.record_later(detected)


class _KeyTaken(Exception):
    pass


def system_logs_ingest(
    *,
    lines: Sequence[ParsedLine],
    token_id: int | None = None,
    idempotency_key: str | None = None,
    body_sha256: str = "",
    savepoint: bool = True,
) -> IngestResult:
    """Store one request's lines and what detection finds in them, all or nothing.

    `savepoint=False`: a caller whose own transaction holds these lines and that gives up the
    whole transaction on any error (the Thrift intake's batch) saves the savepoint's two round
    trips.

    Lines are folded into events per stream (logs/events.py): a line that continues an event
    stored by an earlier request is stored with that event's time, level and component, and
    detection sees the whole event. With an idempotency key, the key row is inserted first in
    the same transaction: a concurrent retry blocks on its unique index until this one
    commits, then is answered from the stored row (replayed) and stores nothing.
    """
    if not lines:
        return IngestResult(accepted=0, rows=0)
    now = timezone.now()
    folded = events_fold(lines, token_id=token_id, now=now)
    rows = folded.rows
    for row in rows:
        if row.received_at is None:  # callers other than the endpoint may leave it to us
            row.received_at = now
    # Detection lives above logs and is registered in logs/hooks.py (by diagnosis).
    detection = line_detection()
    started = time.perf_counter()
    detected, updates = _detect(detection, folded) if detection is not None else ([], [])
    DETECTION_SECONDS.observe(time.perf_counter() - started)
    wanted = sorted({index for index, _ in detected})

    later = None
    if idempotency_key is None and detected and not updates and len(rows) == 1:
        later = _recorded_later(detection, detected)
    if (
        idempotency_key is None
        and not updates
        and (not detected or later is not None)
        and len(rows) == 1
    ):
        # Flume's one-line request, the portal's most frequent: no BEGIN/COMMIT round trips
        # (one INSERT statement commits on its own), and written together with the rows of
        # concurrent requests (logs/group_commit.py). So is one whose faults detection can
        # record after the commit (a fault storm's line: counted by diagnosis's flusher).
        row_id = _insert_single(rows[0])
        if later is not None:
            ids = {index: row_id for index, _ in detected}
            if connection.in_atomic_block:  # the caller's transaction commits the row
                transaction.on_commit(lambda: later(ids))
            else:
                later(ids)
        log_sources_note(rows)
        return IngestResult(accepted=len(lines), rows=1)

    for _ in range(2):
        try:
            with transaction.atomic(savepoint=savepoint or idempotency_key is not None):
                if idempotency_key is not None:
                    _claim_key(token_id, idempotency_key, body_sha256, accepted=len(lines))
                ids = _insert_rows(rows, wanted)
                if detected:
                    detection.record(detected, ids)
                if updates:
                    detection.event_record(updates)
            log_sources_note(rows)
            return IngestResult(accepted=len(lines), rows=len(rows))
        except _KeyTaken:
            replay = _replayed(token_id=token_id, key=idempotency_key, body_sha256=body_sha256)
            if replay is not None:
                return replay
            # The key's row vanished (pruned) between our insert and the read: store afresh.
    raise IntegrityError(f"Idempotency-Key {idempotency_key!r} could not be claimed.")


def _detect(detection, folded: Folded):
    """(detected, event updates): the rows that start or stand alone are judged on their own
    (with the lines folded into them); a row that continues a stored event is judged as that
    whole event, before and after it, so the event's type follows its whole text."""
    rows, joined = folded.rows, folded.joined
    if not joined:
        return detection.detect(rows), []
    alone = [index for index in range(len(rows)) if index not in joined]
    detected = [(alone[i], found) for i, found in detection.detect([rows[i] for i in alone])]
    updates = []
    if detection.event_update is None:
        return detected, updates
    for index, event in joined.items():
        row = rows[index]
        stored = event_text_rows(stream=row.stream, head_id=event.head_id)
        before = event_line(stored, event.head_id)
        if before is None:  # the event's first row was pruned meanwhile
            continue
        after = event_line(stored, event.head_id, extra=row.raw)
        change = detection.event_update(before, after)
        if change is not None:
            updates.append((change, event.head_id))
    return detected, updates


def _claim_key(token_id: int | None, key: str, body_sha256: str, *, accepted: int) -> None:
    try:
        IngestRequest.objects.create(
            token_id=token_id, idempotency_key=key, body_sha256=body_sha256, accepted=accepted
        )
    except IntegrityError:
        raise _KeyTaken from None


def _replayed(*, token_id: int | None, key: str, body_sha256: str) -> IngestResult | None:
    stored = (
        IngestRequest.objects.filter(token_id=token_id, idempotency_key=key)
        .values("accepted", "body_sha256")
        .first()
    )
    if stored is None:
        return None
    if stored["body_sha256"] and body_sha256 and stored["body_sha256"] != body_sha256:
        raise IdempotencyKeyReused(key)
    return IngestResult(accepted=stored["accepted"], rows=None, replayed=True)
