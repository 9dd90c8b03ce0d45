"""Retention: how long each growing table keeps its rows, and the batched deletes of `prune`.

The core imports no app. Each app registers its own tables in its AppConfig.ready() with
`retention_register(...)`; `manage.py prune` walks whatever is registered. A policy names the
setting that holds its retention, so every table has its own knob.

Why batched deletes and not daily partitions of system_logs (docs/retention.md has the
figures): a partitioned InnoDB table must carry the partition column in every unique key,
primary key included, which means rebuilding the largest table of an existing install; and
deleting a few thousand rows per short transaction already keeps ingestion's p99 flat while it
runs. `IdWalk` deletes in primary-key order: rows are appended with their receipt time, so the
oldest rows are the lowest ids, each batch is a range of the clustered index at the far end from
where ingestion inserts, and no secondary index on the receipt time is needed (each index costs
every insert).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

DEFAULT_BATCH_SIZE = 2000

# progress(rows) is called after every batch with the rows that batch deleted (or would delete).
Progress = Callable[[int], None]


@dataclass
class RetentionPolicy:
    """One table's retention. Subclasses implement `walk`; the rest is shared."""

    table: str  # the table's name, as operators and the summary line know it
    setting: str  # the Django setting holding the retention, in `unit`s
    description: str  # what is deleted, for --help and the docs
    unit: timedelta = timedelta(days=1)

    def keep(self) -> timedelta:
        return getattr(settings, self.setting) * self.unit

    def cutoff(self, now: datetime) -> datetime:
        return now - self.keep()

    def estimate(self, cutoff: datetime) -> int | None:
        """About how many rows a run would delete (for a progress bar); None if unknown."""
        return None

    def walk(self, *, cutoff: datetime, batch_size: int, dry_run: bool, progress: Progress) -> int:
        raise NotImplementedError


@dataclass
class IdWalk(RetentionPolicy):
    """Deletes rows whose `time_field` is before the cutoff, walking the primary key upwards.

    For tables whose time field is set when the row is written (a receipt time), so that it
    grows with the id. The walk stops at the first row newer than the cutoff; a row written a
    moment out of order behind it waits for the next run. `eligible` narrows which old rows go
    (e.g. only the history of resolved faults); rows it keeps are stepped over.
    """

    model: type[models.Model] | None = None
    time_field: str = ""
    eligible: Callable[[datetime], models.Q] | None = None

    def _manager(self):
        return self.model._base_manager

    def _boundary(self, cutoff: datetime) -> tuple[int, int] | None:
        """(lowest id, first id at or after the cutoff) found by bisecting the ids: O(log n)."""
        manager = self._manager()
        ids = manager.aggregate(low=models.Min("pk"), high=models.Max("pk"))
        low, high = ids["low"], ids["high"]
        if low is None:
            return None
        first_low = low
        high += 1  # invariant: the row at `high` (or past the end) is new, below `low` is old
        while low < high:
            middle = (low + high) // 2
            row = manager.filter(pk__gte=middle).order_by("pk").values_list("pk", self.time_field)
            row = row.first()
            if row is None or row[1] >= cutoff:
                high = middle
            else:
                low = row[0] + 1
        return first_low, high

    def estimate(self, cutoff: datetime) -> int | None:
        bounds = self._boundary(cutoff)
        return 0 if bounds is None else max(0, bounds[1] - bounds[0])

    def walk(self, *, cutoff: datetime, batch_size: int, dry_run: bool, progress: Progress) -> int:
        manager = self._manager()
        done, after = 0, None
        while True:
            page = manager.order_by("pk")
            if after is not None:
                page = page.filter(pk__gt=after)
            rows = list(page.values_list("pk", self.time_field)[:batch_size])
            old = []
            for pk, at in rows:
                if at is None or at >= cutoff:
                    break
                old.append(pk)
            if not old:
                return done
            batch = manager.filter(
                pk__gte=old[0], pk__lte=old[-1], **{f"{self.time_field}__lt": cutoff}
            )
            if self.eligible is not None:
                batch = batch.filter(self.eligible(cutoff))
            if dry_run:
                count = batch.count()
            else:
                # One short transaction per batch: its locks cover one range of old ids.
                with transaction.atomic():
                    count = batch.delete()[1].get(self.model._meta.label, 0)
            done += count
            progress(count)
            if len(old) < len(rows) or len(rows) < batch_size:
                return done  # reached a row newer than the cutoff, or the end of the table
            after = old[-1]


@dataclass
class IndexWalk(RetentionPolicy):
    """Deletes rows whose `time_field` is before the cutoff, oldest first, through an index on
    that field: for tables whose rows are not written in time order, or that have the index
    anyway. Each batch selects ids by the index, then deletes them by primary key."""

    model: type[models.Model] | None = None
    time_field: str = ""

    def _old(self, cutoff: datetime):
        return self.model._base_manager.filter(**{f"{self.time_field}__lt": cutoff})

    def estimate(self, cutoff: datetime) -> int | None:
        return self._old(cutoff).count()

    def walk(self, *, cutoff: datetime, batch_size: int, dry_run: bool, progress: Progress) -> int:
        if dry_run:
            count = self._old(cutoff).count()
            progress(count)
            return count
        done = 0
        while True:
            ids = list(
                self._old(cutoff)
                .order_by(self.time_field)
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                return done
            with transaction.atomic():
                count = self.model._base_manager.filter(pk__in=ids).delete()[1]
            count = count.get(self.model._meta.label, 0)
            done += count
            progress(count)


@dataclass
class PruneResult:
    policy: RetentionPolicy
    cutoff: datetime
    rows: int = 0
    seconds: float = 0.0
    error: str = ""


@dataclass
class _Registry:
    policies: dict[str, RetentionPolicy] = field(default_factory=dict)


_registry = _Registry()


def retention_register(policy: RetentionPolicy) -> None:
    """Called from an app's AppConfig.ready(); registering the same table again replaces it."""
    _registry.policies[policy.table] = policy


def retention_policies() -> list[RetentionPolicy]:
    return list(_registry.policies.values())


def retention_now() -> datetime:
    return timezone.now()
