"""The collector's entry in /api/health (registered in ClusterConfig.ready).

Stale data is "degraded", never "down": the portal still stores lines and serves pages, but the
dashboard and the cluster thresholds look at old figures. An install without a collector (no
snapshot yet) is fine.
"""

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from cluster.selectors import cluster_snapshot_latest_at


def check_collector() -> dict:
    limit = settings.CLUSTER_STATUS_STALE_SECONDS
    try:
        latest = cluster_snapshot_latest_at()
    except DatabaseError as exc:  # the database check says "down" already
        return {"ok": False, "error": str(exc)[:200]}
    if latest is None:
        return {"ok": True, "last_snapshot_at": None, "stale_after_seconds": limit}
    age = max(0.0, (timezone.now() - latest).total_seconds())
    return {
        "ok": age <= limit,
        "last_snapshot_at": latest.isoformat(),
        "age_seconds": round(age, 1),
        "stale_after_seconds": limit,
    }
