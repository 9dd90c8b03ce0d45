"""The worker loop behind `manage.py notify`: runs every registered job kind and periodic task.

One process, one thread doing work, one thread beating: the heartbeat (worker_heartbeats) and
the leases of the running job are renewed every WORKER_HEARTBEAT_SECONDS even while a handler
takes long. A database outage never stops the loop: the error is logged, the connection is
dropped, and the loop tries again after a pause (the work stays in the database meanwhile).
"""

import logging
import os
import socket
import threading
import time
import traceback
import uuid

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone

from jobs import registry
from jobs.models import Job
from jobs.services import (
    job_complete,
    job_fail,
    job_holds_lease,
    jobs_claim,
    leases_extend,
    worker_heartbeat_beat,
)

log = logging.getLogger("jobs.worker")


def _drop_connection() -> None:
    try:
        connection.close()
    except Exception:  # a dead connection may fail to close; it is gone either way
        log.debug("closing the database connection failed", exc_info=True)


class Worker:
    def __init__(self, *, batch: int = 10, poll_seconds: float | None = None, once: bool = False):
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.worker_id = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"
        self.batch = batch
        self.poll_seconds = settings.WORKER_POLL_SECONDS if poll_seconds is None else poll_seconds
        self.started_at = timezone.now()
        self.jobs_done = 0
        self.jobs_failed = 0
        self._stop = threading.Event()
        self._last_run: dict[str, float] = {}
        self._once = once
        # Jobs claimed by the batch in hand and not finished yet. When the database goes away
        # mid-batch they are still RUNNING under this worker, and its heartbeat would keep
        # renewing their leases for as long as it lives: the next tick hands them back.
        self._in_hand: set[int] = set()

    # --- lifecycle ------------------------------------------------------------------------

    def stop(self, *_args) -> None:
        self._stop.set()

    def run_forever(self) -> None:
        beat = threading.Thread(target=self._beat_loop, name="heartbeat", daemon=True)
        beat.start()
        log.info("worker %s started: job kinds %s", self.worker_id, sorted(registry.job_handlers()))
        try:
            while not self._stop.is_set():
                try:
                    busy = self.tick()
                except DatabaseError as exc:
                    log.warning("database unavailable, retrying: %s", exc)
                    _drop_connection()
                    self._stop.wait(min(5.0, max(self.poll_seconds, 1.0)))
                    continue
                if not busy:
                    self._stop.wait(self.poll_seconds)
        finally:
            self._stop.set()
            beat.join(timeout=5)
            self._beat(stopped=True)

    def run_once(self) -> int:
        """Run each periodic task once and every due job until none is left; returns jobs run."""
        self._beat()
        total = 0
        for task in registry.periodic_tasks():
            self._run_periodic(task, force=True)
        while True:
            done = self._run_jobs()
            total += done
            if not done:
                break
            for task in registry.periodic_tasks():  # jobs may have made new work for the tasks
                self._run_periodic(task, force=True)
        self._beat(stopped=True)
        return total

    # --- one pass ---------------------------------------------------------------------------

    def tick(self) -> bool:
        """Due periodic tasks, then one batch of jobs; True when there was a job to run."""
        close_old_connections()
        self._release_in_hand()
        for task in registry.periodic_tasks():
            self._run_periodic(task)
        return bool(self._run_jobs())

    def _run_periodic(self, task, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_run.get(task.name, -1e9) < task.every_seconds:
            return
        self._last_run[task.name] = now
        try:
            task.run()
        except DatabaseError:
            raise
        except Exception:
            log.exception("periodic task %s failed", task.name)

    def _release_in_hand(self) -> None:
        """Requeue what an interrupted batch left claimed (due at once; its attempt counts)."""
        if not self._in_hand:
            return
        Job.objects.filter(
            pk__in=list(self._in_hand), status=Job.Status.RUNNING, locked_by=self.worker_id
        ).update(status=Job.Status.QUEUED, lease_expires_at=None, locked_by="")
        self._in_hand.clear()

    def _run_jobs(self) -> int:
        handlers = registry.job_handlers()
        batched = [kind for kind, handler in handlers.items() if handler.claim_limit is None]
        jobs = jobs_claim(worker_id=self.worker_id, kinds=batched, limit=self.batch)
        self._in_hand = {job.pk for job in jobs}
        for kind, handler in handlers.items():
            if handler.claim_limit is not None:  # a slow kind: a few per pass, after the rest
                jobs += jobs_claim(
                    worker_id=self.worker_id, kinds=[kind], limit=handler.claim_limit
                )
                self._in_hand.update(job.pk for job in jobs)
        for job in jobs:
            if self._stop.is_set() and not self._once:
                # Stopping: hand the rest back at once instead of waiting for their leases.
                Job.objects.filter(pk=job.pk, locked_by=self.worker_id).update(
                    status=Job.Status.QUEUED, lease_expires_at=None, locked_by=""
                )
                continue
            self._run_one(handlers[job.kind], job)
            self._in_hand.discard(job.pk)
        self._in_hand.clear()
        return len(jobs)

    def _run_one(self, handler, job: Job) -> None:
        try:
            if handler.atomic:
                with transaction.atomic():
                    if not job_holds_lease(job=job, worker_id=self.worker_id, lock=True):
                        return  # another worker took it over after our lease ran out
                    handler.run(job)
                    job_complete(job=job, worker_id=self.worker_id)
            else:
                handler.run(job)
                job_complete(job=job, worker_id=self.worker_id)
            self.jobs_done += 1
        except DatabaseError:
            raise  # the loop pauses; the lease runs out and the job is claimed again
        except Exception as exc:
            permanent = isinstance(exc, registry.PermanentJobError)
            log.warning("job %s (%s) failed: %s", job.pk, job.kind, exc)
            self.jobs_failed += 1
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            job_fail(job=job, worker_id=self.worker_id, error=error, permanent=permanent)

    # --- heartbeat ------------------------------------------------------------------------------

    def _beat(self, stopped: bool = False) -> None:
        try:
            worker_heartbeat_beat(
                worker_id=self.worker_id,
                host=self.host,
                pid=self.pid,
                started_at=self.started_at,
                jobs_done=self.jobs_done,
                jobs_failed=self.jobs_failed,
                stopped=stopped,
            )
            if not stopped:
                leases_extend(worker_id=self.worker_id)
        except DatabaseError as exc:
            log.warning("heartbeat not written (database unavailable): %s", exc)
            _drop_connection()

    def _beat_loop(self) -> None:
        try:
            while not self._stop.is_set():
                self._beat()
                self._stop.wait(settings.WORKER_HEARTBEAT_SECONDS)
        finally:
            connection.close()
