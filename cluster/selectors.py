"""Reads of cluster_status for the API and the dashboard.

`cluster_status_latest()` is the answer of GET /api/cluster/status without its age: it is what
gets cached. `status_with_age()` adds the age and stale flags at answer time, so a cached answer
still says how old its data is.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from cluster.models import HDFS_COLUMNS, YARN_COLUMNS, ClusterStatus

Role = ClusterStatus.Role
Scope = ClusterStatus.Scope

# Per-node figures the answer shows for each role (the other columns are NULL for that role).
NODE_METRICS = {
    Role.NAMENODE: ("safe_mode",),
    Role.RESOURCEMANAGER: (),
    Role.DATANODE: (
        "capacity_total_bytes",
        "capacity_used_bytes",
        "capacity_remaining_bytes",
        "capacity_used_non_dfs_bytes",
        "capacity_used_pct",
        "volume_failures",
        "blocks_total",
        "last_contact_seconds",
    ),
    Role.NODEMANAGER: (
        "memory_total_mb",
        "memory_allocated_mb",
        "memory_available_mb",
        "vcores_total",
        "vcores_allocated",
        "vcores_available",
        "containers_allocated",
        "health_report",
    ),
    Role.HOST: (
        "cpu_pct",
        "memory_used_pct",
        "disk_used_pct",
        "load_1m",
        "load_5m",
        "load_15m",
    ),
}
ROLE_ORDER = [Role.NAMENODE, Role.RESOURCEMANAGER, Role.DATANODE, Role.NODEMANAGER, Role.HOST]

# Columns that may be charted from the cluster rows; node metrics come from NODE_METRICS.
CLUSTER_METRICS = (
    *(name for name in HDFS_COLUMNS if name != "safe_mode"),  # a flag, not a series
    *YARN_COLUMNS,
)
# Metrics a host's chart may show, with the role whose rows carry it (the first one wins when
# no role is given).
HOST_METRIC_ROLES: dict[str, list[str]] = {}
for _role in (Role.HOST, Role.DATANODE, Role.NODEMANAGER):
    for _name in NODE_METRICS[_role]:
        if _name != "health_report":
            HOST_METRIC_ROLES.setdefault(_name, []).append(_role)
HISTORY_METRICS = tuple(sorted(set(CLUSTER_METRICS) | set(HOST_METRIC_ROLES)))

# Timestamps per query when fetching the latest node rows.
_LATEST_BATCH = 500


# --- The latest snapshot ----------------------------------------------------------------------


def cluster_status_latest() -> dict:
    """The latest cluster summary and the latest row of every (role, host), ready for JSON."""
    row = ClusterStatus.objects.filter(scope=Scope.CLUSTER).order_by("-collected_at", "-id").first()
    return {
        "collected_at": _iso(row.collected_at) if row else None,
        "cluster": cluster_summary(row) if row else None,
        "nodes": [node_entry(node) for node in nodes_latest()],
    }


def cluster_summary(row: ClusterStatus) -> dict:
    details = row.details or {}
    hdfs_details = details.get("hdfs", {})
    yarn_details = details.get("yarn", {})
    return {
        "collection_id": row.collection_id,
        "source": row.source,
        "state": row.state,
        "reachable": row.reachable,
        "error": row.error,
        "hdfs": {
            "active_namenode": row.active_namenode or None,
            "namenodes": details.get("namenodes", {}),
            "safe_mode": row.safe_mode,
            "safe_mode_tip": hdfs_details.get("safe_mode_tip", ""),
            "capacity": {
                "total_bytes": row.capacity_total_bytes,
                "used_bytes": row.capacity_used_bytes,
                "remaining_bytes": row.capacity_remaining_bytes,
                "non_dfs_used_bytes": row.capacity_used_non_dfs_bytes,
                "used_pct": row.capacity_used_pct,
            },
            "datanodes": {
                "live": row.live_datanodes,
                "dead": row.dead_datanodes,
                "stale": row.stale_datanodes,
                "decommissioning": row.decommissioning_datanodes,
            },
            "blocks": {
                "total": row.blocks_total,
                "missing": row.missing_blocks,
                "corrupt": row.corrupt_blocks,
                "under_replicated": row.under_replicated_blocks,
                "pending_deletion": row.pending_deletion_blocks,
            },
            "files_total": row.files_total,
            "volume_failures": row.volume_failures,
        },
        "yarn": {
            "active_resourcemanager": details.get("active_resourcemanager"),
            "resourcemanagers": details.get("resourcemanagers", {}),
            "apps": {
                "submitted": row.apps_submitted,
                "running": row.apps_running,
                "pending": row.apps_pending,
                "completed": row.apps_completed,
                "failed": row.apps_failed,
                "killed": row.apps_killed,
            },
            "memory_mb": {
                "total": row.memory_total_mb,
                "allocated": row.memory_allocated_mb,
                "available": row.memory_available_mb,
                "reserved": yarn_details.get("memory_reserved_mb"),
                "pending": yarn_details.get("memory_pending_mb"),
            },
            "vcores": {
                "total": row.vcores_total,
                "allocated": row.vcores_allocated,
                "available": row.vcores_available,
                "reserved": yarn_details.get("vcores_reserved"),
                "pending": yarn_details.get("vcores_pending"),
            },
            "containers": {
                "allocated": row.containers_allocated,
                "pending": row.containers_pending,
                "reserved": yarn_details.get("containers_reserved"),
            },
            "nodemanagers": {
                "total": row.nodemanagers_total,
                "active": row.nodemanagers_active,
                "lost": row.nodemanagers_lost,
                "unhealthy": row.nodemanagers_unhealthy,
                "decommissioned": row.nodemanagers_decommissioned,
                "decommissioning": yarn_details.get("nodemanagers_decommissioning"),
                "rebooted": yarn_details.get("nodemanagers_rebooted"),
                "shutdown": yarn_details.get("nodemanagers_shutdown"),
            },
        },
    }


def nodes_latest() -> list[ClusterStatus]:
    """The latest row of every (role, host) ever seen within retention, in display order.

    A node that vanished keeps its last row, which grows stale: "last seen 3 h ago" is what an
    operator needs to know about a host that stopped reporting.
    """
    # Grouped by the index's leading columns with no WHERE: MySQL/MariaDB read one index entry
    # per group (a loose index scan) instead of every node row of the history; a WHERE on
    # scope would forbid that. The cluster group is dropped here.
    latest = (
        ClusterStatus.objects.values("scope", "role", "host")
        .annotate(latest=Max("collected_at"))
        .order_by()
    )
    wanted = {(r["role"], r["host"]): r["latest"] for r in latest if r["scope"] == Scope.NODE}
    # A collection's node rows share one timestamp, so fetching by the distinct timestamps is
    # one short indexed query; rows of those timestamps that are not a node's latest are skipped.
    stamps = sorted(set(wanted.values()))
    rows: dict[tuple[str, str], ClusterStatus] = {}
    for start in range(0, len(stamps), _LATEST_BATCH):
        batch = stamps[start : start + _LATEST_BATCH]
        for row in ClusterStatus.objects.filter(scope=Scope.NODE, collected_at__in=batch).order_by(
            "id"
        ):
            if wanted.get((row.role, row.host)) == row.collected_at:
                rows[(row.role, row.host)] = row  # a tie on collected_at: the later insert wins
    order = {role: index for index, role in enumerate(ROLE_ORDER)}
    return sorted(rows.values(), key=lambda r: (order.get(r.role, len(order)), r.host))


def node_entry(row: ClusterStatus) -> dict:
    entry = {
        "host": row.host,
        "role": row.role,
        "state": row.state,
        "reachable": row.reachable,
        "error": row.error,
        "source": row.source,
        "collected_at": _iso(row.collected_at),
    }
    entry["metrics"] = {name: getattr(row, name) for name in NODE_METRICS.get(row.role, ())}
    entry["details"] = row.details or {}
    return entry


def status_with_age(answer: dict, *, now: datetime | None = None) -> dict:
    """The answer with age_seconds and stale flags as of now (never cached)."""
    now = now or timezone.now()
    limit = settings.CLUSTER_STATUS_STALE_SECONDS
    result = dict(answer)
    result["age_seconds"], result["stale"] = _age(answer["collected_at"], now, limit)
    result["stale_after_seconds"] = limit
    nodes = []
    for node in answer["nodes"]:
        node = dict(node)
        node["age_seconds"], node["stale"] = _age(node["collected_at"], now, limit)
        nodes.append(node)
    result["nodes"] = nodes
    return result


def _age(collected_at: str | None, now: datetime, limit: int) -> tuple[float | None, bool]:
    if collected_at is None:
        return None, True  # no data at all is as stale as it gets
    age = max(0.0, now.timestamp() - datetime.fromisoformat(collected_at).timestamp())
    return round(age, 1), age > limit


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


# --- History for charts -----------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    metric: str
    host: str
    role: str
    since: datetime
    until: datetime
    bucket_seconds: int | None  # None: raw points, one per collection
    points: list[dict]


def status_history(
    *,
    metric: str,
    since: datetime,
    until: datetime,
    max_points: int,
    host: str = "",
    role: str = "",
) -> Series:
    """A metric over time, from the cluster rows or one host's rows, at most max_points long.

    Longer series are folded into equal time buckets (mean, with min and max so a spike of
    missing blocks is not averaged away). Rows without the value (an unreachable NameNode) stay
    in the series as null: a gap in a chart, not a drop to zero.
    """
    if host:
        rows = ClusterStatus.objects.filter(scope=Scope.NODE, host=host, role=role)
    else:
        rows = ClusterStatus.objects.filter(scope=Scope.CLUSTER)
    values = list(
        rows.filter(collected_at__gte=since, collected_at__lte=until)
        .order_by("collected_at", "id")
        .values_list("collected_at", metric)
    )
    if len(values) <= max_points:
        points = [
            {"t": _iso(at), "value": value, "min": value, "max": value} for at, value in values
        ]
        return Series(metric, host, role, since, until, None, points)
    width = max(1, math.ceil((until - since).total_seconds() / max_points))
    buckets: dict[int, list] = {}
    for at, value in values:
        buckets.setdefault(int((at - since).total_seconds() // width), []).append(value)
    points = []
    for index in sorted(buckets):
        present = [v for v in buckets[index] if v is not None]
        start = since + timedelta(seconds=index * width)
        points.append(
            {
                "t": _iso(start),
                "value": round(sum(present) / len(present), 4) if present else None,
                "min": min(present) if present else None,
                "max": max(present) if present else None,
            }
        )
    return Series(metric, host, role, since, until, width, points)


def cluster_snapshot_latest_at() -> datetime | None:
    """When the latest cluster snapshot was collected (None: never); one index look-up."""
    return (
        ClusterStatus.objects.filter(scope=Scope.CLUSTER)
        .order_by("-collected_at")
        .values_list("collected_at", flat=True)
        .first()
    )
