"""What the runs app keeps (registered with the core's retention in RunsConfig.ready)."""

from django.db.models import Q

from faultportal.retention import IdWalk
from runs.models import ExecLog

POLICIES = [
    IdWalk(
        table="exec_logs",
        setting="EXEC_LOG_RETENTION_DAYS",
        description="finished script runs, by when they were reported",
        model=ExecLog,
        time_field="created_at",
        eligible=lambda cutoff: ~Q(status=ExecLog.Status.RUNNING),
    ),
]
