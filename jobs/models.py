from django.db import models


class Job(models.Model):
    """One unit of background work, durable in the database (no broker, no Redis).

    A worker claims due jobs under a row lock (SKIP LOCKED where the server has it), holds a
    lease while it runs one, and marks it done or schedules the next attempt. A job whose worker
    died is claimed again when its lease runs out; `idempotency_key` makes enqueueing it twice a
    no-op.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed", "failed (gave up)"

    kind = models.CharField(max_length=64, help_text="Which registered handler runs it.")
    payload = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(
        max_length=128, null=True, blank=True, help_text="Unique per kind: enqueued once."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    run_after = models.DateTimeField(help_text="Not claimed before this time (retries back off).")
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=10)
    locked_by = models.CharField(max_length=128, blank=True, help_text="Worker holding the lease.")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "jobs"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "idempotency_key"], name="jobs_kind_idempotency_key"
            )
        ]
        indexes = [
            # The claim: queued jobs that are due, oldest first; leases that ran out.
            models.Index(fields=["status", "run_after"], name="jobs_status_run_after"),
            models.Index(fields=["status", "lease_expires_at"], name="jobs_status_lease"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class WorkerHeartbeat(models.Model):
    """A worker process (`manage.py notify`) saying it is alive, every WORKER_HEARTBEAT_SECONDS."""

    worker_id = models.CharField(max_length=128, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True, help_text="Set on a clean stop.")
    jobs_done = models.PositiveBigIntegerField(default=0)
    jobs_failed = models.PositiveBigIntegerField(default=0)

    class Meta:
        db_table = "worker_heartbeats"
        ordering = ["-beat_at"]
        indexes = [models.Index(fields=["beat_at"], name="worker_heartbeats_beat")]

    def __str__(self) -> str:
        return self.worker_id
