"""Script runs (`exec_logs`): what remediation and inspection scripts report about each run."""

from django.db import models


class ExecLog(models.Model):
    """One run of a remediation or inspection script, reported by the script's wrapper."""

    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        TIMED_OUT = "timed_out", "timed out"
        ABORTED = "aborted"

    class Trigger(models.TextChoices):
        MANUAL = "manual"
        CRON = "cron"
        FAULT = "fault", "fault remediation"
        API = "api"
        OTHER = "other"

    script = models.CharField(max_length=255)
    args = models.JSONField(default=list, blank=True, help_text="Arguments as a list of strings.")
    host = models.CharField(max_length=255)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    exit_code = models.SmallIntegerField(null=True, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    timeout_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="A run still running after this long is timed out."
    )
    stdout_tail = models.TextField(blank=True)
    stderr_tail = models.TextField(blank=True)
    stdout_bytes = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="Total size of stdout; more than the tail means it was cut.",
    )
    stderr_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    fault = models.ForeignKey(
        "diagnosis.FaultRecord",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="exec_runs",
    )
    # The wrapper's own id for the run, so a report re-sent from its spool is recorded once.
    client_run_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    reported_by = models.ForeignKey(
        "faultportal.ApiToken", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "exec_logs"
        ordering = ["-started_at", "-id"]
        verbose_name = "execution log"
        indexes = [
            # Per-script success rate, last run and p95 duration.
            models.Index(fields=["script", "started_at"], name="exec_logs_script_started"),
            # The timeout sweep (running runs past their deadline) and status filters.
            models.Index(fields=["status", "started_at"], name="exec_logs_status_started"),
            # A host's page: its recent runs.
            models.Index(fields=["host", "started_at"], name="exec_logs_host_started"),
        ]

    def __str__(self) -> str:
        return f"{self.script} on {self.host} ({self.status})"
