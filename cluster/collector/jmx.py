"""NameNode: read its JMX beans and turn them into cluster figures and DataNode rows.

One request per NameNode, `/jmx?qry=Hadoop:service=NameNode,name=*`, returns every bean we need
(docs/sources.md §1-2): FSNamesystemState (capacity, DataNode counts, FSState),
FSNamesystem (MissingBlocks and CorruptBlocks live only here), NameNodeInfo (LiveNodes,
DeadNodes, DecomNodes: JSON inside a string, parsed a second time; Safemode tip) and
NameNodeStatus (HA State).
"""

import json
from dataclasses import dataclass, field

from cluster.collector.http import EndpointError, fetch_json, url_host, url_join
from cluster.collector.values import (
    as_count,
    as_float,
    as_int,
    as_str,
    first_present,
    reported,
    used_pct,
)

QUERY = "/jmx?qry=Hadoop:service=NameNode,name=*"
BEAN_PREFIX = "Hadoop:service=NameNode,name="

# NameNodeStatus.State values (HAServiceState, lower-cased by the NameNode itself).
ACTIVE = "active"
STANDBY = "standby"
UNREACHABLE = "unreachable"
UNKNOWN = "unknown"


@dataclass
class NameNodeReading:
    url: str
    host: str
    reachable: bool
    error: str = ""
    state: str = UNKNOWN  # active / standby / initializing / stopping / unknown
    beans: dict[str, dict] = field(default_factory=dict)  # keyed by the bean's name= part

    @property
    def is_active(self) -> bool:
        return self.state == ACTIVE


def namenode_read(url: str, *, timeout: float) -> NameNodeReading:
    host = url_host(url)
    try:
        data = fetch_json(url_join(url, QUERY), timeout=timeout)
    except EndpointError as exc:
        return NameNodeReading(url=url, host=host, reachable=False, error=str(exc))
    beans = beans_by_name(data)
    if not beans:
        return NameNodeReading(
            url=url, host=host, reachable=False, error="answer has no NameNode beans"
        )
    return NameNodeReading(url=url, host=host, reachable=True, state=ha_state(beans), beans=beans)


def beans_by_name(data: dict) -> dict[str, dict]:
    beans = {}
    for bean in data.get("beans") or []:
        name = bean.get("name") if isinstance(bean, dict) else None
        if isinstance(name, str) and name.startswith(BEAN_PREFIX):
            beans[name[len(BEAN_PREFIX) :]] = bean
    return beans


def ha_state(beans: dict[str, dict]) -> str:
    status = as_str(beans.get("NameNodeStatus", {}).get("State"))
    tag = as_str(beans.get("FSNamesystem", {}).get("tag.HAState"))  # older releases
    return (status or tag or UNKNOWN).lower()


def _value(beans: dict[str, dict], bean: str, attribute: str):
    return beans.get(bean, {}).get(attribute)


def hdfs_figures(beans: dict[str, dict]) -> dict:
    """cluster_status columns (and details) from one NameNode's beans; None where not reported."""

    def count(*sources: tuple[str, str]) -> int | None:
        return first_present(*(as_count(_value(beans, b, a)) for b, a in sources))

    used = count(("FSNamesystemState", "CapacityUsed"), ("FSNamesystem", "CapacityUsed"))
    remaining = count(
        ("FSNamesystemState", "CapacityRemaining"), ("FSNamesystem", "CapacityRemaining")
    )
    figures = {
        "capacity_total_bytes": count(
            ("FSNamesystemState", "CapacityTotal"),
            ("FSNamesystem", "CapacityTotal"),
            ("NameNodeInfo", "Total"),
        ),
        "capacity_used_bytes": used,
        "capacity_remaining_bytes": remaining,
        "capacity_used_non_dfs_bytes": count(
            ("FSNamesystem", "CapacityUsedNonDFS"), ("NameNodeInfo", "NonDfsUsedSpace")
        ),
        "capacity_used_pct": used_pct(used, remaining),
        "live_datanodes": count(
            ("FSNamesystemState", "NumLiveDataNodes"), ("FSNamesystem", "NumLiveDataNodes")
        ),
        "dead_datanodes": count(
            ("FSNamesystemState", "NumDeadDataNodes"), ("FSNamesystem", "NumDeadDataNodes")
        ),
        "stale_datanodes": count(
            ("FSNamesystemState", "NumStaleDataNodes"), ("FSNamesystem", "StaleDataNodes")
        ),
        "decommissioning_datanodes": count(("FSNamesystemState", "NumDecommissioningDataNodes")),
        "volume_failures": count(
            ("FSNamesystemState", "VolumeFailuresTotal"), ("FSNamesystem", "VolumeFailuresTotal")
        ),
        # Only FSNamesystem has them (not FSNamesystemState); NameNodeInfo as a fallback.
        "missing_blocks": count(
            ("FSNamesystem", "MissingBlocks"), ("NameNodeInfo", "NumberOfMissingBlocks")
        ),
        "corrupt_blocks": count(("FSNamesystem", "CorruptBlocks")),
        # UnderReplicatedBlocks is the deprecated alias of LowRedundancyBlocks; both still exist.
        "under_replicated_blocks": count(
            ("FSNamesystemState", "UnderReplicatedBlocks"),
            ("FSNamesystemState", "LowRedundancyBlocks"),
            ("FSNamesystem", "UnderReplicatedBlocks"),
        ),
        "pending_deletion_blocks": count(
            ("FSNamesystemState", "PendingDeletionBlocks"),
            ("FSNamesystem", "PendingDeletionBlocks"),
        ),
        "blocks_total": count(
            ("FSNamesystemState", "BlocksTotal"),
            ("FSNamesystem", "BlocksTotal"),
            ("NameNodeInfo", "TotalBlocks"),
        ),
        "files_total": count(
            ("FSNamesystemState", "FilesTotal"),
            ("FSNamesystem", "FilesTotal"),
            ("NameNodeInfo", "TotalFiles"),
        ),
        "safe_mode": safe_mode(beans),
    }
    details = {
        "safe_mode_tip": as_str(_value(beans, "NameNodeInfo", "Safemode")),
        "fs_state": as_str(_value(beans, "FSNamesystemState", "FSState"))
        or as_str(_value(beans, "FSNamesystem", "FSState")),
        "decom_dead_datanodes": count(("FSNamesystemState", "NumDecomDeadDataNodes")),
        "decom_live_datanodes": count(("FSNamesystemState", "NumDecomLiveDataNodes")),
        "estimated_capacity_lost_bytes": count(("FSNamesystemState", "EstimatedCapacityLostTotal")),
        "missing_repl_one_blocks": count(("FSNamesystem", "MissingReplOneBlocks")),
        "pending_replication_blocks": count(
            ("FSNamesystemState", "PendingReplicationBlocks"),
            ("FSNamesystemState", "PendingReconstructionBlocks"),
        ),
        "version": as_str(_value(beans, "NameNodeInfo", "Version")),
        "cluster_id": as_str(_value(beans, "NameNodeInfo", "ClusterId")),
    }
    return {
        "figures": figures,
        "details": reported(details),
    }


def safe_mode(beans: dict[str, dict]) -> bool | None:
    """FSState is "safeMode" or "Operational"; NameNodeInfo.Safemode is "" when off."""
    state = as_str(_value(beans, "FSNamesystemState", "FSState")) or as_str(
        _value(beans, "FSNamesystem", "FSState")
    )
    if state:
        return state.lower() != "operational"
    tip = _value(beans, "NameNodeInfo", "Safemode")
    if isinstance(tip, str):
        return bool(tip.strip())
    return None


def heap_mb(beans: dict[str, dict]) -> tuple[float | None, float | None]:
    """Heap used and maximum, MB, from the NameNode's JvmMetrics bean (MemHeapUsedM/MaxM)."""
    used = as_float(_value(beans, "JvmMetrics", "MemHeapUsedM"))
    most = as_float(_value(beans, "JvmMetrics", "MemHeapMaxM"))
    if most is not None and most <= 0:  # -1: the JVM has no maximum set
        most = None
    return used, most


def namenode_details(reading: NameNodeReading) -> dict:
    status = reading.beans.get("NameNodeStatus", {})
    info = reading.beans.get("NameNodeInfo", {})
    details = {
        "url": reading.url,
        "host_and_port": as_str(status.get("HostAndPort")),
        "last_ha_transition_ms": as_int(status.get("LastHATransitionTime")),
        "version": as_str(info.get("Version")),
        "started_ms": as_int(info.get("NNStartedTimeInMillis")),
    }
    details["heap_used_mb"], details["heap_max_mb"] = heap_mb(reading.beans)
    return reported(details)


# --- DataNodes --------------------------------------------------------------------------------

# adminState strings (DatanodeInfo.AdminStates.toString()) and the state we store.
_ADMIN_STATES = {
    "decommission in progress": "decommissioning",
    "decommissioned": "decommissioned",
    "entering maintenance": "maintenance",
    "in maintenance": "maintenance",
}
# When one host shows up twice (a DataNode re-registered on another port), the entry that says
# most about now wins: a live one over the leftover dead one.
_STATE_RANK = {
    "live": 0,
    "stale": 1,
    "decommissioning": 2,
    "maintenance": 3,
    "dead": 4,
    "decommissioned": 5,
}


def node_map(beans: dict[str, dict], attribute: str) -> dict[str, dict] | None:
    """A NameNodeInfo attribute that holds JSON in a string; None when absent or unreadable."""
    raw = _value(beans, "NameNodeInfo", attribute)
    if isinstance(raw, dict):  # a JMX bridge that already decoded it
        return raw
    if not isinstance(raw, str):
        return None
    try:
        parsed = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def datanode_rows(beans: dict[str, dict], *, stale_seconds: int) -> list[dict] | None:
    """One row per DataNode host from LiveNodes and DeadNodes; None when the lists are missing."""
    live = node_map(beans, "LiveNodes")
    dead = node_map(beans, "DeadNodes")
    if live is None or dead is None:
        return None
    decommissioning = node_map(beans, "DecomNodes") or {}
    rows: dict[str, dict] = {}
    for name, info in live.items():
        if isinstance(info, dict):
            _keep_best(rows, _live_row(name, info, stale_seconds, decommissioning.get(name)))
    for name, info in dead.items():
        if isinstance(info, dict):
            _keep_best(rows, _dead_row(name, info))
    return sorted(rows.values(), key=lambda row: row["host"])


def _host_of(name: str) -> str:
    # Keys are "hostname:xferPort" in Hadoop 3 (plain hostnames in some 2.x releases).
    host, sep, port = name.rpartition(":")
    return host if sep and port.isdigit() else name


def _keep_best(rows: dict[str, dict], row: dict) -> None:
    current = rows.get(row["host"])
    if current is None or _STATE_RANK[row["state"]] < _STATE_RANK[current["state"]]:
        rows[row["host"]] = row


def _live_row(name: str, info: dict, stale_seconds: int, decom: dict | None) -> dict:
    last_contact = as_count(info.get("lastContact"))
    admin_state = as_str(info.get("adminState"))
    if last_contact is not None and last_contact >= stale_seconds:
        state = "stale"  # a stalled heartbeat matters more than the admin state
    else:
        state = _ADMIN_STATES.get(admin_state.lower(), "live")
    used = as_count(info.get("used"))
    remaining = as_count(info.get("remaining"))
    details = {
        "node": name,
        "admin_state": admin_state,
        "xfer_addr": as_str(info.get("xferaddr")),
        "info_addr": as_str(info.get("infoAddr")),
        "location": as_str(info.get("location")),
        "version": as_str(info.get("version")),
        "last_block_report_minutes": as_count(info.get("lastBlockReport")),
        "block_pool_used_pct": as_float(info.get("blockPoolUsedPercent")),
    }
    if decom:
        details["decommission"] = {
            "under_replicated_blocks": as_count(decom.get("underReplicatedBlocks")),
            "decommission_only_replicas": as_count(decom.get("decommissionOnlyReplicas")),
        }
    return {
        "role": "datanode",
        "host": _host_of(name),
        "state": state,
        "reachable": True,
        "last_contact_seconds": last_contact,
        "capacity_total_bytes": as_count(info.get("capacity")),
        "capacity_used_bytes": used,
        "capacity_remaining_bytes": remaining,
        "capacity_used_non_dfs_bytes": as_count(info.get("nonDfsUsedSpace")),
        "capacity_used_pct": used_pct(used, remaining),
        "volume_failures": as_count(info.get("volfails")),
        "blocks_total": as_count(info.get("numBlocks")),
        "details": reported(details),
    }


def _dead_row(name: str, info: dict) -> dict:
    decommissioned = info.get("decommissioned") is True or (
        as_str(info.get("adminState")).lower() == "decommissioned"
    )
    details = {
        "node": name,
        "admin_state": as_str(info.get("adminState")),
        "xfer_addr": as_str(info.get("xferaddr")),
    }
    return {
        "role": "datanode",
        # A decommissioned DataNode that was stopped is where it should be, not a failure.
        "state": "decommissioned" if decommissioned else "dead",
        "host": _host_of(name),
        "reachable": False,
        "last_contact_seconds": as_count(info.get("lastContact")),
        "details": reported(details),
    }
