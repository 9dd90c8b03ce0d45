from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A credential for agents and scripts. Only a hash of the token is stored.

    Flume's HTTP sink cannot send headers, so the same token is accepted as `?token=` in the
    URL as well as in `Authorization: Token …`.
    """

    class Scope(models.TextChoices):
        INGEST = "ingest", "ingest (send logs, exec runs, host metrics)"
        READ = "read", "read (query faults, status, logs)"
        DIAGNOSE = "diagnose", "diagnose (diagnose and transition faults)"

    name = models.CharField(max_length=100, unique=True, help_text="Who uses it, e.g. flume-dn01.")
    prefix = models.CharField(
        max_length=12, help_text="The token's first characters, to recognise it in lists."
    )
    # Authentication looks the token up by this hash on every uncached request.
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.CharField(max_length=100, help_text="Comma-separated: ingest, read, diagnose.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "api_tokens"
        ordering = ["name"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def scope_list(self) -> list[str]:
        return [scope for scope in self.scopes.split(",") if scope]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class PruneRun(models.Model):
    """The latest `manage.py prune` run of one table: what /metrics reports as prune progress.

    One row per table, rewritten by every run (prune runs in its own process, so the portal's
    workers learn its progress from here).
    """

    table = models.CharField(max_length=64, unique=True)
    cutoff = models.DateTimeField(help_text="Rows older than this were deleted.")
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveBigIntegerField(default=0, help_text="Rows deleted so far.")
    error = models.CharField(max_length=255, blank=True)

    class Meta:
        db_table = "prune_runs"
        ordering = ["table"]

    def __str__(self) -> str:
        return f"prune {self.table}"
