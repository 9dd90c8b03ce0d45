"""Occurrences merged per fingerprint, and the process's store of counts not yet written.

A fault storm (every client of a NameNode that cannot place blocks logs the same refusal) makes
every ingest request count into the same fault record. Taking that row's lock in each request
serialises all of them, so in a long-running intake process (a gunicorn worker, the Thrift
intake) the occurrences of a fault that is already open are only merged here, after the
request commits, and written by a background flusher (diagnosis/flusher.py) every
FAULT_COUNT_FLUSH_SECONDS. What changes a fault's state (a new fault, a regression, a raised
severity) is never deferred: diagnosis/services.py folds those in the request, under the lock.
docs/ingestion.md ("Counting a fault storm") says what a crash can lose.
"""

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass
class Merged:
    """Several occurrences of one fingerprint: the earliest and latest by log time, and how many."""

    first: object  # diagnosis.services.Occurrence
    latest: object
    count: int = 0
    severity: str | None = None


def occurrences_merge(occurrences: Iterable) -> dict[str, Merged]:
    merged: dict[str, Merged] = {}
    for occ in occurrences:
        entry = merged.get(occ.fingerprint)
        if entry is None:
            entry = merged[occ.fingerprint] = Merged(first=occ, latest=occ)
        if occ.seen_at < entry.first.seen_at:
            entry.first = occ
        if occ.seen_at >= entry.latest.seen_at:
            entry.latest = occ
        entry.count += occ.count
        if occ.severity:
            entry.severity = occ.severity
    return merged


def merged_combine(older: Merged, newer: Merged) -> Merged:
    """One entry for both, as if `older`'s occurrences had been merged before `newer`'s."""
    return Merged(
        first=older.first if older.first.seen_at <= newer.first.seen_at else newer.first,
        latest=newer.latest if newer.latest.seen_at >= older.latest.seen_at else older.latest,
        count=older.count + newer.count,
        severity=newer.severity or older.severity,
    )


class PendingCounts:
    """Merged occurrences of open faults committed in this process and not yet written.

    Active only in the process that activated it (a forked child has no flusher of its own, so
    it counts synchronously until it starts one).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._pending: dict[str, Merged] = {}
        self.active = False  # read on every ingest request: a plain attribute
        # A forked child starts inactive with nothing pending: its parent's flusher thread
        # does not exist there, and the parent's counts are the parent's to write.
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self.active = False
        self._lock = threading.Lock()
        self._pending = {}

    def activate(self) -> None:
        self.active = True

    def deactivate(self) -> None:
        self.active = False

    def add(self, merged: dict[str, Merged]) -> None:
        with self._lock:
            pending = self._pending
            for fingerprint, entry in merged.items():
                known = pending.get(fingerprint)
                pending[fingerprint] = entry if known is None else merged_combine(known, entry)

    def take(self) -> dict[str, Merged]:
        with self._lock:
            taken, self._pending = self._pending, {}
        return taken

    def put_back(self, taken: dict[str, Merged]) -> None:
        """Return what a failed flush took; what was added meanwhile is newer."""
        with self._lock:
            pending = self._pending
            for fingerprint, entry in taken.items():
                newer = pending.get(fingerprint)
                pending[fingerprint] = entry if newer is None else merged_combine(entry, newer)

    def occurrences(self) -> int:
        with self._lock:
            return sum(entry.count for entry in self._pending.values())


pending = PendingCounts()
