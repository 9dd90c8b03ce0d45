"""A stand-in for Hadoop daemons' web ports: real HTTP on loopback, answers shaped like Hadoop 3.

The shapes follow the Hadoop 3 sources and documentation (docs/sources.md §1-3): the JMX JSON
servlet's {"beans": [...]} with `qry` ObjectName patterns, NameNodeInfo's LiveNodes/DeadNodes as
JSON inside a string keyed by "host:xferPort", and the ResourceManager's clusterInfo,
clusterMetrics and nodes resources. A standby ResourceManager answers /ws/v1/cluster/info and
redirects other REST calls (307) to the active one, as RMWebAppFilter does.
"""

import fnmatch
import itertools
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

_next_address = itertools.count()


def loopback_address() -> str:
    """A fresh 127.0.0.x: daemons on distinct "hosts", as HA NameNodes are (Linux routes all of
    127/8 to the loopback interface)."""
    return f"127.0.0.{2 + next(_next_address) % 250}"


class FakeDaemon:
    def __init__(self):
        self.beans: list[dict] = []
        self.routes: dict[str, tuple] = {}  # path -> (status, JSON body or raw text, headers)
        self.requests: list[str] = []
        daemon = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                daemon.requests.append(self.path)
                status, body, headers = daemon.answer(self.path)
                if isinstance(body, str):
                    payload = body.encode()
                else:
                    payload = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.host = loopback_address()
        self.server = ThreadingHTTPServer((self.host, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{self.host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def answer(self, raw_path: str) -> tuple:
        parts = urlsplit(raw_path)
        if parts.path in self.routes:
            return self.routes[parts.path]
        if parts.path == "/jmx":
            query = parse_qs(parts.query).get("qry", ["*:*"])[0]
            # ObjectName patterns: "*" matches any characters, as fnmatch does.
            matched = [b for b in self.beans if fnmatch.fnmatchcase(b["name"], query)]
            return 200, {"beans": matched}, {}
        return 404, {"RemoteException": {"message": f"{parts.path} not found"}}, {}

    def serve(self, path: str, body: dict, status: int = 200) -> None:
        self.routes[path] = (status, body, {})

    def redirect(self, path: str, location: str) -> None:
        self.routes[path] = (307, None, {"Location": location})

    def start(self) -> "FakeDaemon":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port_url() -> str:
    """A loopback URL nobody listens on: connection refused."""
    host = loopback_address()
    with socket.socket() as sock:
        sock.bind((host, 0))
        port = sock.getsockname()[1]
    return f"http://{host}:{port}"


class SilentServer:
    """Accepts connections (the kernel completes the handshake) and never answers: a hung daemon."""

    def __init__(self):
        self.host = loopback_address()
        self.sock = socket.socket()
        self.sock.bind((self.host, 0))
        self.sock.listen(16)
        self.url = f"http://{self.host}:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.sock.close()


# --- NameNode JMX (Hadoop 3.3) ------------------------------------------------------------------

GB = 1024**3


def live_node(
    host: str,
    *,
    last_contact: int = 1,
    capacity: int = 1000 * GB,
    used: int = 400 * GB,
    remaining: int = 550 * GB,
    admin_state: str = "In Service",
    volfails: int = 0,
    num_blocks: int = 12000,
    ip: str = "10.0.0.1",
) -> tuple[str, dict]:
    """One LiveNodes entry as FSNamesystem.getLiveNodes writes it, keyed host:xferPort."""
    return f"{host}:9866", {
        "infoAddr": f"{ip}:9864",
        "infoSecureAddr": f"{ip}:0",
        "xferaddr": f"{ip}:9866",
        "location": "/default-rack",
        "uuid": f"uuid-{host}",
        "lastContact": last_contact,
        "usedSpace": used,
        "adminState": admin_state,
        "nonDfsUsedSpace": capacity - used - remaining,
        "capacity": capacity,
        "numBlocks": num_blocks,
        "version": "3.3.6",
        "used": used,
        "remaining": remaining,
        "blockScheduled": 0,
        "blockPoolUsed": used,
        "blockPoolUsedPercent": round(used / capacity * 100, 6),
        "volfails": volfails,
        "lastBlockReport": 42,
    }


def dead_node(
    host: str, *, last_contact: int = 900, decommissioned: bool = False, ip: str = "10.0.0.9"
) -> tuple[str, dict]:
    """One DeadNodes entry as FSNamesystem.getDeadNodes writes it."""
    return f"{host}:9866", {
        "lastContact": last_contact,
        "decommissioned": decommissioned,
        "adminState": "Decommissioned" if decommissioned else "In Service",
        "xferaddr": f"{ip}:9866",
    }


def namenode_beans(
    *,
    state: str = "active",
    host: str = "nn1.example.com",
    live: list[tuple[str, dict]] = (),
    dead: list[tuple[str, dict]] = (),
    decom: dict | None = None,
    capacity_total: int = 3000 * GB,
    capacity_used: int = 1200 * GB,
    capacity_remaining: int = 1650 * GB,
    missing_blocks: int = 0,
    corrupt_blocks: int = 0,
    under_replicated: int = 0,
    stale: int = 0,
    safemode_tip: str = "",
    blocks_total: int = 36000,
    files_total: int = 21000,
    heap_used_m: float = 812.4,
    heap_max_m: float = 4096.0,
) -> list[dict]:
    """The four beans the collector reads, with the neighbours a real NameNode also returns."""
    live_map, dead_map = dict(live), dict(dead)
    num_live, num_dead = len(live_map), len(dead_map)
    fs_state = "safeMode" if safemode_tip else "Operational"
    prefix = "Hadoop:service=NameNode,name="
    return [
        {
            "name": prefix + "FSNamesystemState",
            "modelerType": "org.apache.hadoop.hdfs.server.namenode.FSNamesystem",
            "BlocksTotal": blocks_total,
            "UnderReplicatedBlocks": under_replicated,
            "LowRedundancyBlocks": under_replicated,
            "CapacityTotal": capacity_total,
            "CapacityUsed": capacity_used,
            "CapacityRemaining": capacity_remaining,
            "ProvidedCapacityTotal": 0,
            "TotalLoad": 12,
            "SnapshotStats": '{"SnapshottableDirectories":0,"Snapshots":0}',
            "NumEncryptionZones": 0,
            "FsLockQueueLength": 0,
            "MaxObjects": 0,
            "FilesTotal": files_total,
            "PendingReplicationBlocks": 0,
            "PendingReconstructionBlocks": 0,
            "PendingDeletionBlocks": 0,
            "ScheduledReplicationBlocks": 0,
            "NumLiveDataNodes": num_live,
            "NumDeadDataNodes": num_dead,
            "NumDecomLiveDataNodes": 0,
            "NumDecomDeadDataNodes": sum(1 for d in dead_map.values() if d["decommissioned"]),
            "VolumeFailuresTotal": sum(n["volfails"] for n in live_map.values()),
            "EstimatedCapacityLostTotal": 0,
            "NumDecommissioningDataNodes": len(decom or {}),
            "NumStaleDataNodes": stale,
            "NumStaleStorages": 0,
            "FSState": fs_state,
            "TopUserOpCounts": '{"timestamp":"2026-11-28T10:15:32+0000","windows":[]}',
            "NumInMaintenanceLiveDataNodes": 0,
            "NumInMaintenanceDeadDataNodes": 0,
            "NumEnteringMaintenanceDataNodes": 0,
        },
        {
            "name": prefix + "FSNamesystem",
            "modelerType": "FSNamesystem",
            "tag.Context": "dfs",
            "tag.HAState": state,
            "tag.TotalSyncTimes": "7 5 ",
            "tag.Hostname": host,
            "MissingBlocks": missing_blocks,
            "MissingReplOneBlocks": 0,
            "ExpiredHeartbeats": num_dead,
            "TransactionsSinceLastCheckpoint": 120,
            "TransactionsSinceLastLogRoll": 3,
            "LastWrittenTransactionId": 98213,
            "LastCheckpointTime": 1764324932123,
            "CapacityTotal": capacity_total,
            "CapacityTotalGB": capacity_total // GB,
            "CapacityUsed": capacity_used,
            "CapacityUsedGB": capacity_used // GB,
            "CapacityRemaining": capacity_remaining,
            "CapacityRemainingGB": capacity_remaining // GB,
            "CapacityUsedNonDFS": capacity_total - capacity_used - capacity_remaining,
            "TotalLoad": 12,
            "SnapshottableDirectories": 0,
            "Snapshots": 0,
            "NumEncryptionZones": 0,
            "LockQueueLength": 0,
            "BlocksTotal": blocks_total,
            "NumFilesUnderConstruction": 0,
            "NumActiveClients": 0,
            "FilesTotal": files_total,
            "PendingReplicationBlocks": 0,
            "PendingReconstructionBlocks": 0,
            "UnderReplicatedBlocks": under_replicated,
            "LowRedundancyBlocks": under_replicated,
            "CorruptBlocks": corrupt_blocks,
            "ScheduledReplicationBlocks": 0,
            "PendingDeletionBlocks": 0,
            "ExcessBlocks": 0,
            "NumTimedOutPendingReconstructions": 0,
            "PostponedMisreplicatedBlocks": 0,
            "PendingDataNodeMessageCount": 0,
            "MillisSinceLastLoadedEdits": 0,
            "BlockCapacity": 8388608,
            "NumLiveDataNodes": num_live,
            "NumDeadDataNodes": num_dead,
            "NumDecomLiveDataNodes": 0,
            "NumDecomDeadDataNodes": 0,
            "VolumeFailuresTotal": 0,
            "EstimatedCapacityLostTotal": 0,
            "NumDecommissioningDataNodes": len(decom or {}),
            "StaleDataNodes": stale,
            "NumStaleStorages": 0,
            "TotalSyncCount": 12,
        },
        {
            "name": prefix + "NameNodeInfo",
            "modelerType": "org.apache.hadoop.hdfs.server.namenode.FSNamesystem",
            "Total": capacity_total,
            "Used": capacity_used,
            "Free": capacity_remaining,
            "Safemode": safemode_tip,
            "NonDfsUsedSpace": capacity_total - capacity_used - capacity_remaining,
            "PercentUsed": round(capacity_used / capacity_total * 100, 6),
            "PercentRemaining": round(capacity_remaining / capacity_total * 100, 6),
            "TotalBlocks": blocks_total,
            "TotalFiles": files_total,
            "NumberOfMissingBlocks": missing_blocks,
            "NumberOfMissingBlocksWithReplicationFactorOne": 0,
            "Threads": 97,
            "Version": "3.3.6, r1be78238728da9266a4f88195058f08fd012bf9c",
            "SoftwareVersion": "3.3.6",
            "ClusterId": "CID-6a7c2a52-7c5b-4e2d-9a4f-2b8e3f0c1d11",
            "BlockPoolId": "BP-1204855437-10.0.0.2-1700000000000",
            "NNStartedTimeInMillis": 1764300000000,
            "CompileInfo": "2023-06-18T08:22Z by ubuntu from (HEAD detached at release-3.3.6-RC1)",
            # JSON inside a string, exactly as the MXBean returns them.
            "LiveNodes": json.dumps(live_map),
            "DeadNodes": json.dumps(dead_map),
            "DecomNodes": json.dumps(decom or {}),
            "EnteringMaintenanceNodes": "{}",
            "NameDirStatuses": '{"active":{"/hadoop/hdfs/namenode":"IMAGE_AND_EDITS"},"failed":{}}',
            "NodeUsage": '{"nodeUsage":{"min":"40.00%","median":"40.00%","max":"40.00%"}}',
            "CorruptFiles": "[]",
        },
        {
            "name": prefix + "NameNodeStatus",
            "modelerType": "org.apache.hadoop.hdfs.server.namenode.NameNode",
            "NNRole": "NameNode",
            "HostAndPort": f"{host}:8020",
            "SecurityEnabled": False,
            "LastHATransitionTime": 1764310000000 if state == "active" else 0,
            "BytesWithFutureGenerationStamps": 0,
            "SlowPeersReport": "[]",
            "SlowDisksReport": None,
            "State": state,
        },
        {
            "name": prefix + "JvmMetrics",
            "modelerType": "JvmMetrics",
            "tag.ProcessName": "NameNode",
            "MemHeapUsedM": heap_used_m,
            "MemHeapMaxM": heap_max_m,
            "GcTimeMillis": 1842,
        },
        {
            "name": "java.lang:type=Memory",
            "modelerType": "sun.management.MemoryImpl",
            "HeapMemoryUsage": {"committed": 1073741824, "max": 4294967296, "used": 851861504},
        },
    ]


# --- ResourceManager REST (Hadoop 3.3) --------------------------------------------------------


def rm_info(ha_state: str = "ACTIVE") -> dict:
    return {
        "clusterInfo": {
            "id": 1764300000000,
            "startedOn": 1764300000000,
            "state": "STARTED",
            "haState": ha_state,
            "rmStateStoreName": "org.apache.hadoop.yarn.server.resourcemanager.recovery."
            "ZKRMStateStore",
            "resourceManagerVersion": "3.3.6",
            "resourceManagerBuildVersion": "3.3.6 from 1be7823 by ubuntu source checksum 2a3b",
            "resourceManagerVersionBuiltOn": "2023-06-18T08:35Z",
            "hadoopVersion": "3.3.6",
            "hadoopBuildVersion": "3.3.6 from 1be7823 by ubuntu source checksum 2a3b",
            "hadoopVersionBuiltOn": "2023-06-18T08:22Z",
            "haZooKeeperConnectionState": "CONNECTED",
        }
    }


def rm_metrics(*, nodes: list[dict], apps_running: int = 4, apps_failed: int = 1) -> dict:
    by_state = {}
    for node in nodes:
        by_state[node["state"]] = by_state.get(node["state"], 0) + 1
    running = [n for n in nodes if n["state"] == "RUNNING"]
    total_mb = sum(n["usedMemoryMB"] + n["availMemoryMB"] for n in running)
    used_mb = sum(n["usedMemoryMB"] for n in running)
    total_vc = sum(n["usedVirtualCores"] + n["availableVirtualCores"] for n in running)
    used_vc = sum(n["usedVirtualCores"] for n in running)
    return {
        "clusterMetrics": {
            "appsSubmitted": 120,
            "appsCompleted": 110,
            "appsPending": 1,
            "appsRunning": apps_running,
            "appsFailed": apps_failed,
            "appsKilled": 4,
            "reservedMB": 0,
            "availableMB": total_mb - used_mb,
            "allocatedMB": used_mb,
            "pendingMB": 2048,
            "reservedVirtualCores": 0,
            "availableVirtualCores": total_vc - used_vc,
            "allocatedVirtualCores": used_vc,
            "pendingVirtualCores": 1,
            "containersAllocated": sum(n["numContainers"] for n in running),
            "containersReserved": 0,
            "containersPending": 1,
            "totalMB": total_mb,
            "totalVirtualCores": total_vc,
            "utilizedMBPercent": 0,
            "utilizedVirtualCoresPercent": 0,
            "rmSchedulerBusyPercent": 0,
            "totalNodes": len(nodes),
            "lostNodes": by_state.get("LOST", 0),
            "unhealthyNodes": by_state.get("UNHEALTHY", 0),
            "decommissioningNodes": by_state.get("DECOMMISSIONING", 0),
            "decommissionedNodes": by_state.get("DECOMMISSIONED", 0),
            "rebootedNodes": by_state.get("REBOOTED", 0),
            "activeNodes": by_state.get("RUNNING", 0),
            "shutdownNodes": by_state.get("SHUTDOWN", 0),
            "containerAssignedPerSecond": 0,
            "totalUsedResourcesAcrossPartition": {"memory": used_mb, "vCores": used_vc},
            "totalClusterResourcesAcrossPartition": {"memory": total_mb, "vCores": total_vc},
            "crossPartitionMetricsAvailable": True,
        }
    }


def rm_node(
    host: str,
    *,
    state: str = "RUNNING",
    health_report: str = "",
    used_mb: int = 4096,
    avail_mb: int = 12288,
    used_vcores: int = 2,
    avail_vcores: int = 6,
    containers: int = 2,
    port: int = 45454,
) -> dict:
    if state in ("LOST", "SHUTDOWN", "DECOMMISSIONED"):
        used_mb = avail_mb = used_vcores = avail_vcores = containers = 0
    return {
        "rack": "/default-rack",
        "state": state,
        "id": f"{host}:{port}",
        "nodeHostName": host,
        "nodeHTTPAddress": f"{host}:8042",
        "lastHealthUpdate": 1764324932123,
        "version": "3.3.6",
        "healthReport": health_report,
        "numContainers": containers,
        "usedMemoryMB": used_mb,
        "availMemoryMB": avail_mb,
        "usedVirtualCores": used_vcores,
        "availableVirtualCores": avail_vcores,
        "memUtilization": 0.0,
        "cpuUtilization": 0.0,
        "numRunningOpportContainers": 0,
        "usedMemoryOpportGB": 0,
        "usedVirtualCoresOpportGB": 0,
        "numQueuedContainers": 0,
        "nodeLabels": [],
        "resourceUtilization": {
            "nodePhysicalMemoryMB": 9120,
            "nodeVirtualMemoryMB": 9120,
            "nodeCPUUsage": 0.15,
            "aggregatedContainersPhysicalMemoryMB": 3010,
            "aggregatedContainersVirtualMemoryMB": 3300,
            "containersCPUUsage": 0.1,
        },
        "totalResource": {"memory": used_mb + avail_mb, "vCores": used_vcores + avail_vcores},
    }


def rm_nodes(nodes: list[dict]) -> dict:
    return {"nodes": {"node": nodes}}
