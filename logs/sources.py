"""Which (host, log type) sent lines last when: kept in log_sources for the watchdogs.

Ingestion notes every stored request here in memory (a dict update, no query); the notes are
written with one upsert at most every LOG_SOURCES_FLUSH_SECONDS per process, after the request's
own commit and outside its transaction, so the hot path gains no row lock that every request of
one host would queue on. A flush that fails (database down) keeps its notes for the next one and
never fails the request; a process that dies loses at most the last few seconds of notes, which
a dead man's switch counting in minutes does not notice.
"""

import contextlib
import logging
import threading
import time
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, connection, transaction

from logs.models import LogSource

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_pending: dict[tuple[str, str], datetime] = {}
_last_flush = 0.0


def log_sources_note(rows: Iterable) -> None:
    """Remember that these parsed rows were stored; flush when the interval has passed."""
    global _last_flush
    with _lock:
        for row in rows:
            key = (row.host, row.logtype)
            seen = _pending.get(key)
            if seen is None or row.received_at > seen:
                _pending[key] = row.received_at
        now = time.monotonic()
        if now - _last_flush < settings.LOG_SOURCES_FLUSH_SECONDS:
            return
        _last_flush = now
        batch = dict(_pending)
        _pending.clear()
    log_sources_flush(batch)


def log_sources_flush(batch: dict[tuple[str, str], datetime] | None = None) -> None:
    """Write `batch` (default: everything pending) to log_sources, keeping the latest times."""
    if batch is None:
        with _lock:
            batch = dict(_pending)
            _pending.clear()
    if not batch:
        return
    try:
        _upsert(sorted(batch.items()))  # sorted: concurrent flushes lock rows in one order
    except DatabaseError as exc:
        logger.warning("log_sources not updated (kept for the next flush): %s", exc)
        with _lock:
            for key, at in batch.items():
                if key not in _pending or _pending[key] < at:
                    _pending[key] = at


def _upsert(items) -> None:
    quote = connection.ops.quote_name
    table = quote(LogSource._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    values = ", ".join(["(%s, %s, %s, %s)"] * len(items))
    params = []
    for (host, logtype), at in items:
        params += [host, logtype, adapt(at), adapt(at)]
    columns = "host, logtype, first_received_at, last_received_at"
    if connection.vendor == "mysql":
        tail = (
            "ON DUPLICATE KEY UPDATE last_received_at = "
            "GREATEST(last_received_at, VALUES(last_received_at))"
        )
    else:
        tail = (
            "ON CONFLICT (host, logtype) DO UPDATE SET last_received_at = "
            "MAX(last_received_at, excluded.last_received_at)"
        )
    sql = f"INSERT INTO {table} ({columns}) VALUES {values} {tail}"
    # Inside a caller's transaction, a savepoint keeps a failed upsert from breaking it.
    guard = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    with guard, connection.cursor() as cursor:
        cursor.execute(sql, params)


def log_sources_forget() -> None:
    """Drop this process's unflushed notes (tests roll back their rows)."""
    global _last_flush
    with _lock:
        _pending.clear()
        _last_flush = 0.0
