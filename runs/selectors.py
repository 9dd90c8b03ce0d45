"""Reads for execution runs: lists and per-script health (success rate, last run, p95)."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from runs.models import ExecLog

Status = ExecLog.Status

# Columns too large for lists: the output tails.
OUTPUT_FIELDS = ("stdout_tail", "stderr_tail")


def exec_run_list() -> QuerySet[ExecLog]:
    """Runs newest first, without their output (lists never show it)."""
    return ExecLog.objects.defer(*OUTPUT_FIELDS).order_by("-started_at", "-id")


def exec_runs_recent(*, limit: int, host: str = "", fault_id: int | None = None) -> list[ExecLog]:
    """The newest runs of a host (the (host, started_at) index) or of a fault, without output."""
    runs = exec_run_list()
    if host:
        runs = runs.filter(host=host)
    if fault_id is not None:
        runs = runs.filter(fault_id=fault_id)
    return list(runs[:limit])


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile (the value at or below which `fraction` of the values lie)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class ScriptStats:
    script: str
    runs: int
    succeeded: int
    failed: int
    timed_out: int
    aborted: int
    running: int
    last_run_id: int
    last_run_at: datetime
    last_status: str
    p50_duration_seconds: float | None
    p95_duration_seconds: float | None

    @property
    def finished(self) -> int:
        return self.runs - self.running

    @property
    def success_rate(self) -> float | None:
        """Succeeded / finished runs (running ones are not counted yet); None before any end."""
        return self.succeeded / self.finished if self.finished else None


def exec_script_stats(*, days: int = 30, now: datetime | None = None) -> list[ScriptStats]:
    """Health of every script run in the last `days` days, least healthy first.

    Three queries whatever the number of scripts: counts per script, the latest run of each,
    and the durations for the percentiles (computed here: MySQL 8 has no percentile function).
    """
    since = (now or timezone.now()) - timedelta(days=days)
    window = ExecLog.objects.filter(started_at__gte=since)
    counts = list(
        window.values("script")
        .annotate(
            runs=Count("id"),
            last_run_at=Max("started_at"),
            **{status: Count("id", filter=Q(status=status)) for status in Status.values},
        )
        .order_by()
    )
    if not counts:
        return []

    latest_filter = Q()
    for row in counts:
        latest_filter |= Q(script=row["script"], started_at=row["last_run_at"])
    latest = {}
    for run_id, script, status in (
        window.filter(latest_filter).order_by("id").values_list("id", "script", "status")
    ):
        latest[script] = (run_id, status)  # ties on started_at: the highest id wins

    durations: dict[str, list[float]] = {}
    for script, duration in window.filter(duration_seconds__isnull=False).values_list(
        "script", "duration_seconds"
    ):
        durations.setdefault(script, []).append(duration)

    stats = [
        ScriptStats(
            script=row["script"],
            runs=row["runs"],
            succeeded=row[Status.SUCCEEDED],
            failed=row[Status.FAILED],
            timed_out=row[Status.TIMED_OUT],
            aborted=row[Status.ABORTED],
            running=row[Status.RUNNING],
            last_run_id=latest[row["script"]][0],
            last_run_at=row["last_run_at"],
            last_status=latest[row["script"]][1],
            p50_duration_seconds=percentile(durations.get(row["script"], []), 0.50),
            p95_duration_seconds=percentile(durations.get(row["script"], []), 0.95),
        )
        for row in counts
    ]
    stats.sort(key=lambda s: (s.success_rate if s.success_rate is not None else 2, s.script))
    return stats


def exec_recent_scripts(*, days: int = 30, limit: int = 50) -> list[str] | None:
    """Names of the scripts run in the last `days` days, or None when there are over `limit`.

    For the admin's script filter: a short list is a useful filter, a long one is not (search
    by name instead), and capping keeps the DISTINCT small.
    """
    since = timezone.now() - timedelta(days=days)
    names = list(
        ExecLog.objects.filter(started_at__gte=since)
        .order_by("script")
        .values_list("script", flat=True)
        .distinct()[: limit + 1]
    )
    return None if len(names) > limit else names
