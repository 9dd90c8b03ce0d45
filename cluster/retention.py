"""What the cluster app keeps (registered with the core's retention in ClusterConfig.ready)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from cluster.models import ClusterStatus
from cluster.services import cluster_status_prune
from faultportal.retention import RetentionPolicy


@dataclass
class ClusterStatusRetention(RetentionPolicy):
    """Snapshots by collection time, through the (scope, collected_at) index of each scope
    (a demo or an import may write old snapshots after newer ones, so ids do not follow time)."""

    def estimate(self, cutoff: datetime) -> int | None:
        return ClusterStatus.objects.filter(collected_at__lt=cutoff).count()

    def walk(self, *, cutoff, batch_size, dry_run, progress) -> int:
        return cluster_status_prune(
            older_than=timedelta(0),
            now=cutoff,
            batch_size=batch_size,
            dry_run=dry_run,
            progress=progress,
        )


POLICIES = [
    ClusterStatusRetention(
        table="cluster_status",
        setting="CLUSTER_STATUS_RETENTION_DAYS",
        description="cluster snapshots and pushed host metrics, by collection time",
    ),
]
