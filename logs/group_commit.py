"""Group commit: the single-row inserts of concurrent requests go to the database together.

Flume's sink sends one line per request, and a gunicorn worker serves several such requests
at once, each waiting on its own INSERT and commit. Here the first request to arrive while no
insert is running becomes the leader: it writes its row and every row queued meanwhile in one
multi-row INSERT on its own connection, then wakes the others. Nothing waits on a timer: a lone
request is written at once, and under load the batches form by themselves while the previous
insert is in flight.

Each request still gets its 2xx only after its row is committed, and a failed insert fails
every request of that batch (they answer 503 and the senders retry). A request contributes one
row, so each request's rows remain all-or-nothing whatever the batch does.
"""

import threading
from collections.abc import Callable, Sequence

from django.db import DatabaseError


class _Batch:
    __slots__ = ("rows", "done", "error", "cond")

    def __init__(self, lock: threading.Lock):
        self.rows: list[tuple] = []
        self.done = False
        self.error: BaseException | None = None
        # Its own condition on the shared lock: finishing a batch wakes only its requests.
        self.cond = threading.Condition(lock)


class GroupCommit:
    def __init__(self, insert: Callable[[Sequence[tuple]], None]):
        self._insert = insert
        self._lock = threading.Lock()
        self._open = _Batch(self._lock)
        self._writing = False

    def write(self, row: tuple) -> None:
        """Insert `row`, alone or with the rows of concurrent callers; returns once committed."""
        with self._lock:
            batch = self._open
            batch.rows.append(row)
            while not batch.done:
                if not self._writing and self._open is batch:
                    self._writing = True
                    self._open = _Batch(self._lock)
                    break  # this caller writes the batch
                batch.cond.wait()
            else:
                if batch.error is not None:
                    raise _copy(batch.error)
                return
        try:
            self._insert(batch.rows)
        except BaseException as exc:
            batch.error = exc
            raise
        finally:
            with self._lock:
                batch.done = True
                self._writing = False
                batch.cond.notify_all()
                if self._open.rows:  # rows queued meanwhile: one of their requests writes them
                    self._open.cond.notify()


def _copy(error: BaseException) -> BaseException:
    """A fresh exception for each waiting request (one instance must not be raised in many
    threads at once); the same type, so a database outage still answers 503."""
    try:
        return type(error)(*error.args)
    except Exception:  # an exception type with a constructor of its own
        return DatabaseError(str(error))
