"""ResourceManager: find the active one, read its cluster metrics and NodeManager list.

docs/sources.md §3. `/ws/v1/cluster/info` answers on every ResourceManager (a standby too)
and says `haState`; metrics and nodes are read from the ACTIVE one only, without following
redirects — a standby redirects REST calls to the active, which would make it look active.
"""

from dataclasses import dataclass, field

from cluster.collector.http import EndpointError, fetch_json, url_host, url_join
from cluster.collector.values import as_count, as_int, as_str, reported

INFO_PATH = "/ws/v1/cluster/info"
METRICS_PATH = "/ws/v1/cluster/metrics"
NODES_PATH = "/ws/v1/cluster/nodes"

ACTIVE = "active"
UNREACHABLE = "unreachable"
UNKNOWN = "unknown"

# NodeManager states that mean "this entry describes the node as it is now"; the others are
# what the ResourceManager remembers of a node that left (it keeps inactive nodes around).
_CURRENT_NM_STATES = {"RUNNING", "UNHEALTHY", "NEW", "DECOMMISSIONING"}


@dataclass
class ResourceManagerReading:
    url: str
    host: str
    reachable: bool
    error: str = ""
    ha_state: str = UNKNOWN  # active / standby / initializing / stopped / unknown
    info: dict = field(default_factory=dict)
    metrics: dict | None = None
    nodes: list[dict] | None = None
    metrics_error: str = ""
    nodes_error: str = ""


def resourcemanager_read_info(url: str, *, timeout: float) -> ResourceManagerReading:
    host = url_host(url)
    try:
        data = fetch_json(url_join(url, INFO_PATH), timeout=timeout)
    except EndpointError as exc:
        return ResourceManagerReading(url=url, host=host, reachable=False, error=str(exc))
    info = data.get("clusterInfo") if isinstance(data.get("clusterInfo"), dict) else {}
    ha_state = as_str(info.get("haState")).lower() or UNKNOWN
    return ResourceManagerReading(url=url, host=host, reachable=True, ha_state=ha_state, info=info)


def resourcemanager_read_cluster(reading: ResourceManagerReading, *, timeout: float) -> None:
    """Fill in metrics and nodes of the ResourceManager chosen as active."""
    try:
        data = fetch_json(url_join(reading.url, METRICS_PATH), timeout=timeout)
        metrics = data.get("clusterMetrics")
        if isinstance(metrics, dict):
            reading.metrics = metrics
        else:
            reading.metrics_error = "answer has no clusterMetrics"
    except EndpointError as exc:
        reading.metrics_error = str(exc)
    try:
        reading.nodes = nodes_list(fetch_json(url_join(reading.url, NODES_PATH), timeout=timeout))
    except EndpointError as exc:
        reading.nodes_error = str(exc)


def nodes_list(data: dict) -> list[dict]:
    """The `node` array of /ws/v1/cluster/nodes, however an empty or one-node cluster writes it.

    Seen in the wild: {"nodes": null}, {"nodes": {}}, {"nodes": {"node": {...}}} (a JAXB
    mapping that writes a one-element list as an object), and the documented array.
    """
    nodes = data.get("nodes")
    if not isinstance(nodes, dict):
        if nodes is None:
            return []
        raise EndpointError("answer has no nodes object")
    node = nodes.get("node")
    if node is None:
        return []
    if isinstance(node, dict):
        return [node]
    if isinstance(node, list):
        return [n for n in node if isinstance(n, dict)]
    raise EndpointError("answer has an unreadable node list")


def resourcemanager_details(reading: ResourceManagerReading) -> dict:
    info = reading.info
    details = {
        "url": reading.url,
        "service_state": as_str(info.get("state")),
        "version": as_str(info.get("resourceManagerVersion")),
        "started_ms": as_int(info.get("startedOn")),
        "zookeeper": as_str(info.get("haZooKeeperConnectionState")),
    }
    return reported(details)


def yarn_figures(metrics: dict) -> dict:
    def count(name: str) -> int | None:
        return as_count(metrics.get(name))

    figures = {
        "apps_submitted": count("appsSubmitted"),
        "apps_running": count("appsRunning"),
        "apps_pending": count("appsPending"),
        "apps_completed": count("appsCompleted"),
        "apps_failed": count("appsFailed"),
        "apps_killed": count("appsKilled"),
        "memory_total_mb": count("totalMB"),
        "memory_allocated_mb": count("allocatedMB"),
        "memory_available_mb": count("availableMB"),
        "vcores_total": count("totalVirtualCores"),
        "vcores_allocated": count("allocatedVirtualCores"),
        "vcores_available": count("availableVirtualCores"),
        "containers_allocated": count("containersAllocated"),
        "containers_pending": count("containersPending"),
        "nodemanagers_total": count("totalNodes"),
        "nodemanagers_active": count("activeNodes"),
        "nodemanagers_lost": count("lostNodes"),
        "nodemanagers_unhealthy": count("unhealthyNodes"),
        "nodemanagers_decommissioned": count("decommissionedNodes"),
    }
    details = {
        "nodemanagers_decommissioning": count("decommissioningNodes"),
        "nodemanagers_rebooted": count("rebootedNodes"),
        "nodemanagers_shutdown": count("shutdownNodes"),
        "memory_reserved_mb": count("reservedMB"),
        "memory_pending_mb": count("pendingMB"),
        "vcores_reserved": count("reservedVirtualCores"),
        "vcores_pending": count("pendingVirtualCores"),
        "containers_reserved": count("containersReserved"),
    }
    return {"figures": figures, "details": {k: v for k, v in details.items() if v is not None}}


def nodemanager_rows(nodes: list[dict]) -> list[dict]:
    """One row per NodeManager host (the entry describing it now, if it has several)."""
    rows: dict[str, dict] = {}
    for node in nodes:
        row = _nodemanager_row(node)
        if not row["host"]:
            continue
        current = rows.get(row["host"])
        if current is None or _newer(row, current):
            rows[row["host"]] = row
    return sorted(rows.values(), key=lambda row: row["host"])


def _newer(row: dict, current: dict) -> bool:
    row_now = row["state"] in _CURRENT_NM_STATES
    current_now = current["state"] in _CURRENT_NM_STATES
    if row_now != current_now:
        return row_now
    return (row["details"].get("last_health_update_ms") or 0) > (
        current["details"].get("last_health_update_ms") or 0
    )


def _nodemanager_row(node: dict) -> dict:
    node_id = as_str(node.get("id"))
    host = as_str(node.get("nodeHostName")) or node_id.rpartition(":")[0]
    used_mb = as_count(node.get("usedMemoryMB"))
    avail_mb = as_count(node.get("availMemoryMB"))
    used_vcores = as_count(node.get("usedVirtualCores"))
    avail_vcores = as_count(node.get("availableVirtualCores"))
    details = {
        "id": node_id,
        "rack": as_str(node.get("rack")),
        "http_address": as_str(node.get("nodeHTTPAddress")),
        "version": as_str(node.get("version")),
        "last_health_update_ms": as_int(node.get("lastHealthUpdate")),
    }
    state = as_str(node.get("state")).upper()
    return {
        "role": "nodemanager",
        "host": host,
        "state": state or UNKNOWN.upper(),
        # LOST/SHUTDOWN nodes stopped talking to the ResourceManager.
        "reachable": state not in ("LOST", "SHUTDOWN"),
        "health_report": as_str(node.get("healthReport")),
        "memory_allocated_mb": used_mb,
        "memory_available_mb": avail_mb,
        "memory_total_mb": used_mb + avail_mb if None not in (used_mb, avail_mb) else None,
        "vcores_allocated": used_vcores,
        "vcores_available": avail_vcores,
        "vcores_total": used_vcores + avail_vcores
        if None not in (used_vcores, avail_vcores)
        else None,
        "containers_allocated": as_count(node.get("numContainers")),
        "details": reported(details),
    }
