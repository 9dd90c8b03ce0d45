"""Writes of prune_runs: the progress of `manage.py prune`, one row per table."""

from datetime import datetime

from django.utils import timezone

from faultportal.models import PruneRun


def prune_run_start(*, table: str, cutoff: datetime) -> PruneRun:
    now = timezone.now()
    run, _ = PruneRun.objects.update_or_create(
        table=table,
        defaults={
            "cutoff": cutoff,
            "started_at": now,
            "updated_at": now,
            "finished_at": None,
            "rows": 0,
            "error": "",
        },
    )
    return run


def prune_run_progress(*, run: PruneRun, rows: int) -> None:
    PruneRun.objects.filter(pk=run.pk).update(rows=rows, updated_at=timezone.now())


def prune_run_finish(*, run: PruneRun, rows: int, error: str = "") -> None:
    now = timezone.now()
    PruneRun.objects.filter(pk=run.pk).update(
        rows=rows, updated_at=now, finished_at=now, error=error[:255]
    )
