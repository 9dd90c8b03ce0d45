"""The background flusher: writes the process's pending fault counts every few seconds.

Started by a long-running intake process (a gunicorn worker's post_worker_init, the Thrift
intake's serving loop) through logs' registry (logs/hooks.py: intake_process_started /
intake_process_stopping), which DiagnosisConfig.ready fills in with the two functions below.
Every other process (management commands, tests, the shell) never starts it and counts every
occurrence in its request, as before. docs/ingestion.md ("Counting a fault storm") describes
what it saves and what a crash can lose.
"""

import contextlib
import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection

from diagnosis.counting import pending
from diagnosis.services import fault_counts_flush

logger = logging.getLogger("diagnosis.counting")

# On stop, how long the last flush may keep retrying while the database does not answer.
STOP_FLUSH_SECONDS = 10.0


class _Flusher:
    def __init__(self):
        self.thread: threading.Thread | None = None
        self.stopping = threading.Event()
        self.interval = 0.0
        self.lock = threading.Lock()


_flusher = _Flusher()


def fault_counting_start(*, interval: float | None = None) -> bool:
    """Defer the counting of open faults' occurrences in this process and start the flusher;
    False (nothing started) when FAULT_COUNT_FLUSH_SECONDS is 0."""
    interval = settings.FAULT_COUNT_FLUSH_SECONDS if interval is None else interval
    if interval <= 0:
        return False
    with _flusher.lock:
        if pending.active and _flusher.thread is not None and _flusher.thread.is_alive():
            return True
        _flusher.interval = interval
        _flusher.stopping = threading.Event()
        _flusher.thread = threading.Thread(
            target=_run, args=(_flusher.stopping, interval), name="fault-count-flusher", daemon=True
        )
        pending.activate()
        _flusher.thread.start()
    return True


def fault_counting_stop(*, timeout: float = STOP_FLUSH_SECONDS) -> None:
    """Count synchronously again, stop the flusher and write what is pending (retrying for up to
    `timeout` seconds while the database does not answer)."""
    with _flusher.lock:
        pending.deactivate()  # from now on, requests fold their own counts
        thread, _flusher.thread = _flusher.thread, None
        _flusher.stopping.set()
    if thread is not None and thread.is_alive():
        thread.join(timeout)
    deadline = time.monotonic() + timeout
    while True:
        try:
            fault_counts_flush()
            break
        except Exception:
            if time.monotonic() >= deadline:
                logger.exception(
                    "%d fault occurrences could not be counted before exit", pending.occurrences()
                )
                break
            close_old_connections()
            time.sleep(0.5)


def _run(stopping: threading.Event, interval: float) -> None:
    failing = False
    while not stopping.wait(interval):
        try:
            close_old_connections()  # a connection the database dropped is replaced
            fault_counts_flush()
            if failing:
                logger.warning("fault counts are written again")
            failing = False
        except Exception:
            # The counts stay pending and the next tick retries; say so once per outage.
            if not failing:
                logger.exception("writing fault counts failed; retrying every %g s", interval)
            failing = True
            with contextlib.suppress(Exception):  # a broken connection may fail to close
                connection.close()
    connection.close()
