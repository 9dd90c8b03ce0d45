"""What the logs app keeps (registered with the core's retention in LogsConfig.ready)."""

from datetime import timedelta

from faultportal.retention import IdWalk, IndexWalk
from logs.models import IngestRequest, SystemLog

POLICIES = [
    # By receipt, not by the line's own timestamp: a back-filled week of old logs must not be
    # deleted on arrival (and log_time is NULL for lines without one).
    IdWalk(
        table="system_logs",
        setting="LOG_RETENTION_DAYS",
        description="log lines, by when they were received",
        model=SystemLog,
        time_field="received_at",
    ),
    IndexWalk(  # through ingest_requests_created
        table="ingest_requests",
        setting="INGEST_REQUEST_RETENTION_HOURS",
        unit=timedelta(hours=1),
        description="Idempotency-Key records, once no retry can come",
        model=IngestRequest,
        time_field="created_at",
    ),
]
