"""Group commit: the single-row inserts of concurrent requests go to the database together.

Flume's sink sends one line per request, and a gunicorn worker serves several such requests
at once, each waiting on its own INSERT and commit. Here the first request to arrive while no
insert is running becomes the leader: it writes its row and every row queued meanwhile in one
multi-row INSERT on its own connection, then wakes the others. Nothing waits on a timer: a lone
request is written at once, and under load the batches form by themselves while the previous
insert is in flight.

Each request still gets its 2xx only after its row is committed. A request contributes one
row, so each request's rows remain all-or-nothing whatever the batch does. When a batch of
several rows fails, each of its requests writes its row again alone: one bad row, or a row
that meets a stale connection, must not fail the requests it happened to share a batch with.
Only what fails alone fails the request (a database outage: 503, and the sender retries).
"""

import threading
from collections.abc import Callable, Sequence


class _Batch:
    __slots__ = ("rows", "done", "failed", "cond", "ids")

    def __init__(self, lock: threading.Lock):
        self.rows: list[tuple] = []
        self.ids: Sequence[int | None] | None = None  # what the insert reported, row by row
        self.done = False
        self.failed = False
        # Its own condition on the shared lock: finishing a batch wakes only its requests.
        self.cond = threading.Condition(lock)


class GroupCommit:
    def __init__(
        self,
        insert: Callable[[Sequence[tuple]], Sequence[int | None] | None],
        on_batch: Callable[[int], None] | None = None,
    ):
        self._insert = insert
        self._on_batch = on_batch  # told the size of every batch written (for /metrics)
        self._lock = threading.Lock()
        self._open = _Batch(self._lock)
        self._writing = False

    def write(self, row: tuple) -> int | None:
        """Insert `row`, alone or with the rows of concurrent callers; returns once committed,
        with the row's id when the insert function reports ids."""
        with self._lock:
            batch = self._open
            position = len(batch.rows)
            batch.rows.append(row)
            leader = False
            while not batch.done:
                if not self._writing and self._open is batch:
                    self._writing = True
                    self._open = _Batch(self._lock)
                    leader = True  # this caller writes the batch
                    break
                batch.cond.wait()
        if leader:
            self._write_batch(batch)
        if batch.failed:  # the shared insert failed: this row on its own decides
            ids = self._insert([row])
            return ids[0] if ids else None
        return batch.ids[position] if batch.ids else None

    def _write_batch(self, batch: _Batch) -> None:
        batch.failed = True  # until the insert returns, whatever interrupts it
        try:
            batch.ids = self._insert(batch.rows)
            batch.failed = False
            if self._on_batch is not None:
                self._on_batch(len(batch.rows))
        except Exception:
            if len(batch.rows) == 1:
                batch.failed = False  # nobody else is waiting: the error is this request's
                raise
        finally:
            with self._lock:
                batch.done = True
                self._writing = False
                batch.cond.notify_all()
                if self._open.rows:  # rows queued meanwhile: one of their requests writes them
                    self._open.cond.notify()
