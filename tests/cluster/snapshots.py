"""Store snapshots directly (as the collector would) for API and cache tests."""

from datetime import datetime

from django.utils import timezone

from cluster.collector.snapshot import Snapshot
from cluster.services import cluster_status_store

GB = 1024**3


def store_snapshot(
    *, at: datetime | None = None, datanodes: int = 3, live: int | None = None, **cluster
) -> str:
    live = datanodes if live is None else live
    row = {
        "role": "cluster",
        "host": "",
        "state": "ok",
        "reachable": True,
        "active_namenode": "nn1.example.com",
        "capacity_total_bytes": 3000 * GB,
        "capacity_used_bytes": 1200 * GB,
        "capacity_remaining_bytes": 1650 * GB,
        "capacity_used_pct": 42.11,
        "live_datanodes": live,
        "dead_datanodes": datanodes - live,
        "stale_datanodes": 0,
        "missing_blocks": 0,
        "corrupt_blocks": 0,
        "under_replicated_blocks": 0,
        "safe_mode": False,
        "apps_running": 4,
        "memory_total_mb": 49152,
        "memory_allocated_mb": 8192,
        "vcores_total": 24,
        "nodemanagers_active": datanodes,
        "nodemanagers_lost": 0,
        "details": {
            "namenodes": {"nn1.example.com": "active", "nn2.example.com": "standby"},
            "hdfs": {"safe_mode_tip": ""},
            "yarn": {"nodemanagers_rebooted": 0},
            "active_resourcemanager": "rm1.example.com",
        },
    }
    row.update(cluster)
    nodes = [
        {"role": "namenode", "host": "nn1.example.com", "state": "active"},
        {"role": "namenode", "host": "nn2.example.com", "state": "standby"},
    ]
    for i in range(1, datanodes + 1):
        nodes.append(
            {
                "role": "datanode",
                "host": f"dn{i:02}.example.com",
                "state": "live" if i <= live else "dead",
                "reachable": i <= live,
                "capacity_total_bytes": 1000 * GB,
                "capacity_used_bytes": 400 * GB if i <= live else None,
                "last_contact_seconds": 1 if i <= live else 900,
            }
        )
        nodes.append(
            {
                "role": "nodemanager",
                "host": f"dn{i:02}.example.com",
                "state": "RUNNING",
                "memory_total_mb": 16384,
                "memory_allocated_mb": 2048,
            }
        )
    return cluster_status_store(
        snapshot=Snapshot(cluster=row, nodes=nodes), collected_at=at or timezone.now()
    )
