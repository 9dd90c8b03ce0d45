"""Reads for the job queue: live workers (for /api/health and watchdogs), due work."""

from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Min, Q
from django.utils import timezone

from jobs.models import Job, WorkerHeartbeat
from jobs.registry import backlog_probes


def workers_alive(*, within_seconds: float | None = None):
    """Workers whose last heartbeat is recent and that did not stop cleanly, newest first."""
    within = settings.WORKER_STALE_SECONDS if within_seconds is None else within_seconds
    cutoff = timezone.now() - timedelta(seconds=within)
    return WorkerHeartbeat.objects.filter(beat_at__gte=cutoff, stopped_at__isnull=True)


def worker_heartbeat_latest() -> WorkerHeartbeat | None:
    return WorkerHeartbeat.objects.order_by("-beat_at").first()


def worker_silence(*, now=None) -> tuple[bool, object]:
    """(silent, latest beat): a worker has heartbeated and the newest heartbeat of any worker
    is older than WORKER_SILENT_SECONDS. A clean stop counts once that long has passed (a
    restart within it is not silence); an install that never ran a worker is never silent.
    The watchdog `worker_silent` and /api/health's `worker` check both read this."""
    latest = worker_heartbeat_latest()
    if latest is None:
        return False, None
    now = now or timezone.now()
    silent = (now - latest.beat_at).total_seconds() > settings.WORKER_SILENT_SECONDS
    return silent, latest.beat_at


def jobs_due_oldest(*, kinds: list[str] | None = None):
    """run_after of the oldest queued job that is due now (None: nothing is waiting)."""
    due = Job.objects.filter(
        Q(status=Job.Status.QUEUED, run_after__lte=timezone.now())
        | Q(status=Job.Status.RUNNING, lease_expires_at__lt=timezone.now())
    )
    if kinds is not None:
        due = due.filter(kind__in=kinds)
    return due.aggregate(oldest=Min("run_after"))["oldest"]


def workers_health() -> dict:
    try:
        return _workers_health()
    except DatabaseError as exc:  # a health check must not raise; the database check says why
        return {"ok": False, "error": str(exc)[:200]}


def _workers_health() -> dict:
    """The `worker` entry of /api/health.

    ok is False when work has waited longer than WORKER_STALE_SECONDS and no worker is alive,
    or when a worker ran and every worker has been silent for WORKER_SILENT_SECONDS (the
    `worker_silent` watchdog's condition): notifications are not going out. An install with
    nothing queued that never ran a worker is fine.
    """
    alive = list(workers_alive().values("worker_id", "host", "pid", "beat_at")[:20])
    now = timezone.now()
    silent, latest_beat = worker_silence(now=now)
    oldest = jobs_due_oldest()
    for probe in backlog_probes().values():
        due = probe()
        if due is not None and (oldest is None or due < oldest):
            oldest = due
    waiting_seconds = round((now - oldest).total_seconds(), 1) if oldest else 0.0
    ok = (bool(alive) or waiting_seconds <= settings.WORKER_STALE_SECONDS) and not silent
    return {
        "ok": ok,
        "alive": len(alive),
        "silent": silent,
        "workers": [
            {**w, "beat_age_seconds": round((now - w.pop("beat_at")).total_seconds(), 1)}
            for w in alive
        ],
        "last_beat_at": latest_beat.isoformat() if latest_beat else None,
        "oldest_due_job_seconds": waiting_seconds,
    }
