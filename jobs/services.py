"""Writes for the job queue: enqueue, claim, finish, retry; worker heartbeats.

Exactly-once rests on three things:
- a claim is one transaction that locks the due rows (``FOR UPDATE SKIP LOCKED`` on MySQL 8 /
  MariaDB >= 10.6, so concurrent workers take different jobs without waiting) and gives each a
  lease; where the server has no SKIP LOCKED (SQLite, older MariaDB) each row is taken with a
  compare-and-set UPDATE that only one worker can win;
- finishing checks the lease holder, so a worker that lost its lease cannot overwrite the
  result of the one that took the job over;
- a lease that runs out (the worker was killed) makes the job due again.
"""

import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from jobs.models import Job, WorkerHeartbeat

Status = Job.Status


def job_enqueue(
    *,
    kind: str,
    payload: dict | None = None,
    idempotency_key: str | None = None,
    run_after: datetime | None = None,
    max_attempts: int | None = None,
) -> Job:
    """Queue a job (in the caller's transaction when there is one: it runs only if that commits).

    With an `idempotency_key`, enqueueing the same (kind, key) again returns the existing job.
    """
    from jobs.registry import job_handler

    handler = job_handler(kind)
    fields = {
        "kind": kind,
        "payload": payload or {},
        "idempotency_key": idempotency_key,
        "run_after": run_after or timezone.now(),
        "max_attempts": max_attempts or (handler.max_attempts if handler else 10),
    }
    if idempotency_key is None:
        return Job.objects.create(**fields)
    existing = Job.objects.filter(kind=kind, idempotency_key=idempotency_key).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return Job.objects.create(**fields)
    except IntegrityError:  # a concurrent enqueue of the same key won
        return Job.objects.get(kind=kind, idempotency_key=idempotency_key)


def _due(now: datetime) -> Q:
    return Q(status=Status.QUEUED, run_after__lte=now) | Q(
        status=Status.RUNNING, lease_expires_at__lt=now
    )


def _lease_seconds(kind: str) -> int:
    from jobs.registry import job_handler

    handler = job_handler(kind)
    if handler and handler.lease_seconds:
        return handler.lease_seconds
    return settings.JOBS_LEASE_SECONDS


def jobs_claim(*, worker_id: str, kinds: list[str], limit: int = 10) -> list[Job]:
    """Take up to `limit` due jobs of these kinds for this worker; returns them, leased."""
    if not kinds:
        return []
    now = timezone.now()
    candidates = Job.objects.filter(_due(now), kind__in=kinds).order_by("run_after", "id")
    claimed: list[int] = []
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            rows = list(
                candidates.select_for_update(skip_locked=True).values_list("id", "kind")[:limit]
            )
            for pk, kind in rows:
                _take(Job.objects.filter(pk=pk), worker_id, kind, now)
                claimed.append(pk)
        else:
            for pk, kind in list(candidates.values_list("id", "kind")[:limit]):
                # Compare-and-set: the row is still due, so no other worker took it meanwhile.
                if _take(Job.objects.filter(_due(now), pk=pk), worker_id, kind, now):
                    claimed.append(pk)
    return list(Job.objects.filter(pk__in=claimed).order_by("run_after", "id"))


def _take(rows, worker_id: str, kind: str, now: datetime) -> int:
    return rows.update(
        status=Status.RUNNING,
        locked_by=worker_id,
        lease_expires_at=now + timedelta(seconds=_lease_seconds(kind)),
        attempts=F("attempts") + 1,
        started_at=now,
    )


def _held(job: Job, worker_id: str):
    return Job.objects.filter(pk=job.pk, status=Status.RUNNING, locked_by=worker_id)


def job_holds_lease(*, job: Job, worker_id: str, lock: bool = False) -> bool:
    """Whether this worker still holds the job (`lock`: row-locked till the transaction ends)."""
    rows = _held(job, worker_id)
    if lock and connection.features.has_select_for_update:
        rows = rows.select_for_update()
    return rows.exists()


def job_complete(*, job: Job, worker_id: str) -> bool:
    """Mark the job done; False when this worker no longer held it (another one took over)."""
    return bool(
        _held(job, worker_id).update(
            status=Status.DONE, finished_at=timezone.now(), lease_expires_at=None, last_error=""
        )
    )


def retry_delay(attempts: int) -> float:
    """Seconds before attempt `attempts + 1`: exponential from JOBS_RETRY_BASE_SECONDS, capped,
    with ±20 % jitter so jobs that failed together do not all come back together."""
    base = settings.JOBS_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    return min(base, settings.JOBS_RETRY_MAX_SECONDS) * random.uniform(0.8, 1.2)


def job_fail(*, job: Job, worker_id: str, error: str, permanent: bool = False) -> bool:
    """Record a failed attempt: retry later with backoff, or give up after max_attempts."""
    job.refresh_from_db(fields=["attempts", "max_attempts"])
    give_up = permanent or job.attempts >= job.max_attempts
    now = timezone.now()
    fields = {"last_error": error[:4000], "lease_expires_at": None}
    if give_up:
        fields |= {"status": Status.FAILED, "finished_at": now}
    else:
        fields |= {
            "status": Status.QUEUED,
            "run_after": now + timedelta(seconds=retry_delay(job.attempts)),
        }
    return bool(_held(job, worker_id).update(**fields))


def job_retry_now(*, job: Job) -> None:
    """Operator action: run a failed (or waiting) job again as soon as a worker is free."""
    Job.objects.filter(pk=job.pk).exclude(status=Status.RUNNING).update(
        status=Status.QUEUED, run_after=timezone.now(), attempts=0, finished_at=None
    )


def leases_extend(*, worker_id: str) -> int:
    """Push out the leases of the jobs this worker is running (called with each heartbeat)."""
    now = timezone.now()
    return Job.objects.filter(status=Status.RUNNING, locked_by=worker_id).update(
        lease_expires_at=now + timedelta(seconds=settings.JOBS_LEASE_SECONDS)
    )


def worker_heartbeat_beat(
    *,
    worker_id: str,
    host: str,
    pid: int,
    started_at: datetime,
    jobs_done: int,
    jobs_failed: int,
    stopped: bool = False,
) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "host": host[:255],
            "pid": pid,
            "started_at": started_at,
            "beat_at": now,
            "stopped_at": now if stopped else None,
            "jobs_done": jobs_done,
            "jobs_failed": jobs_failed,
        },
    )
