"""What the jobs app keeps (registered with the core's retention in JobsConfig.ready)."""

from django.db.models import Q

from faultportal.retention import IdWalk, IndexWalk
from jobs.models import Job, WorkerHeartbeat

POLICIES = [
    IdWalk(
        table="jobs",
        setting="JOBS_RETENTION_DAYS",
        description="finished background jobs (done or given up), by when they were queued",
        model=Job,
        time_field="created_at",
        eligible=lambda cutoff: Q(status__in=(Job.Status.DONE, Job.Status.FAILED)),
    ),
    IndexWalk(  # through worker_heartbeats_beat
        table="worker_heartbeats",
        setting="JOBS_RETENTION_DAYS",
        description="heartbeats of workers silent since the cutoff",
        model=WorkerHeartbeat,
        time_field="beat_at",
    ),
]
