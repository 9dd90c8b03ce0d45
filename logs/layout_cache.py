"""The operator's enabled layouts (table log_layouts), compiled and cached per process.

Ingestion reads lines on every request, so it must not query log_layouts per request. Each
process keeps the compiled layouts and checks whether they are still current at most every
LOG_LAYOUTS_REFRESH_SECONDS, with one aggregate query over the small table (row count, enabled
count, latest updated_at), as the fault-type catalogue does (diagnosis/catalogue.py says why the
database rather than a cache key). A layout saved in the admin of any instance, or with
`manage.py add_log_layout`, is therefore read by every process within that time; the process
that saved it through the ORM drops its copy at once (the signals in LogsConfig.ready).

A row whose pattern no longer compiles (it cannot be saved so, but a database edit could) is
skipped and logged, never allowed to fail ingestion. If the check itself fails (the database is
away), the layouts already compiled are kept and the check is retried after the interval.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Count, Max, Q

from logs.layouts import LayoutError, LayoutSet, compile_layout
from logs.models import LogLayout

logger = logging.getLogger(__name__)

# Tests replace this to step over the refresh interval without sleeping.
clock = time.monotonic


def _signature() -> tuple:
    row = LogLayout.objects.aggregate(
        total=Count("id"), enabled=Count("id", filter=Q(enabled=True)), changed=Max("updated_at")
    )
    return (row["total"], row["enabled"], row["changed"])


def log_layouts_compile(rows) -> LayoutSet:
    """The compiled layouts of `rows`, in their order; rows that do not compile are skipped."""
    compiled = []
    for row in rows:
        try:
            compiled.append(compile_layout(row.pattern, name=row.name))
        except LayoutError as exc:
            logger.warning("log layout %r is not read: %s", row.name, exc)
    return LayoutSet(compiled)


class _LayoutCache:
    def __init__(self):
        self._lock = threading.Lock()
        self._layouts: LayoutSet | None = None
        self._signature: tuple | None = None
        self._checked_at = 0.0

    def get(self) -> LayoutSet:
        layouts, now = self._layouts, clock()
        interval = settings.LOG_LAYOUTS_REFRESH_SECONDS
        if layouts is not None and now - self._checked_at < interval:
            return layouts
        with self._lock:  # one thread of a gthread worker checks; the others wait briefly
            if self._layouts is not None and clock() - self._checked_at < interval:
                return self._layouts
            try:
                signature = _signature()
                if self._layouts is None or signature != self._signature:
                    rows = LogLayout.objects.filter(enabled=True).order_by("position", "name")
                    self._layouts = log_layouts_compile(list(rows))
                    self._signature = signature
            except DatabaseError:
                # Keep reading with what this process has; ingestion reports the outage itself.
                logger.warning("log layouts could not be checked; keeping the ones loaded")
                if self._layouts is None:
                    self._layouts = LayoutSet(())
            self._checked_at = clock()
            return self._layouts

    def invalidate(self) -> None:
        with self._lock:
            self._layouts = None
            self._signature = None


_cache = _LayoutCache()


def log_layouts_current() -> LayoutSet:
    """The enabled operator layouts, compiled, at most LOG_LAYOUTS_REFRESH_SECONDS behind."""
    return _cache.get()


def log_layouts_invalidate() -> None:
    """Forget this process's copy; the next request reloads it."""
    _cache.invalidate()


def log_layouts_changed(**_kwargs) -> None:
    """LogLayout save/delete signal: forget now, and again once the change is committed (a
    concurrent request may have reloaded the old rows in between)."""
    _cache.invalidate()
    transaction.on_commit(_cache.invalidate)
