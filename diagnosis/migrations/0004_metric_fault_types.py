"""Fault types raised by cluster metrics (the collector's thresholds), not by log text.

Thresholds are Ambari's shipped defaults (research: peers.md §3.4). Their patterns are empty: log
detection never matches them. Each links the log signatures that usually explain it as
precursors, so a diagnosis of "3 dead DataNodes" looks at the DataNodes' OOM and GC faults too.
"""

from django.db import migrations

METRIC_TYPES = [
    {
        "code": "hdfs_capacity_high",
        "name": "HDFS capacity nearly full",
        "category": "hdfs",
        "default_severity": "warning",
        "grouping": "cluster",
        "description": "HDFS capacity used (CapacityUsed / (CapacityUsed + CapacityRemaining)) "
        "passed 75 % (warning) or 80 % (critical), Ambari's defaults. Near full, writes start "
        "failing and DataNodes run out of space one by one.",
        "cause": "Data growth, a full trash, old snapshots, replication factor set too high, "
        "DataNodes lost (less capacity), or non-DFS files eating the data disks.",
        "remediation": "hdfs dfs -du -h / to find the big directories; hdfs dfs -expunge; delete "
        "old snapshots and temporary data; lower replication of cold data; add DataNodes or "
        "disks and run the balancer.",
        "confirm_metrics": "FSNamesystemState CapacityUsed, CapacityRemaining; per DataNode "
        "remaining in LiveNodes.",
        "precursors": ["datanode_dead", "datanode_volume_failure"],
    },
    {
        "code": "hdfs_missing_blocks",
        "name": "HDFS blocks missing",
        "category": "hdfs",
        "default_severity": "critical",
        "grouping": "cluster",
        "description": "The NameNode knows blocks of which no replica is left on any live "
        "DataNode (FSNamesystem MissingBlocks >= 1): reads of those files fail.",
        "cause": "Every DataNode holding a replica is dead or lost the disk; files written with "
        "replication 1; corrupt replicas removed.",
        "remediation": "Bring dead DataNodes and failed disks back first (the blocks may return); "
        "hdfs fsck / -list-corruptfileblocks to see the files; restore them from source or "
        "delete them (hdfs fsck <path> -delete) once they are known lost.",
        "confirm_metrics": "FSNamesystem MissingBlocks, CorruptBlocks; NumDeadDataNodes.",
        "precursors": [
            "datanode_dead",
            "datanode_volume_failure",
            "hdfs_corrupt_replica",
            "hdfs_block_missing",
        ],
    },
    {
        "code": "datanodes_dead",
        "name": "DataNode dead",
        "category": "hdfs",
        "default_severity": "major",
        "grouping": "host",
        "description": "The NameNode lists this DataNode in DeadNodes: no heartbeat for "
        "10 min 30 s by default. One fault per DataNode; critical when 30 % or more of the "
        "DataNodes are dead (Ambari's DataNodes-down alert).",
        "cause": "DataNode process died (out of memory, disk failure, killed), host down, "
        "network partition, very long GC pause.",
        "remediation": "Read the last lines of the DataNode's log and check the host; restart the "
        "DataNode. Expect re-replication traffic; throttle it if the cluster suffers.",
        "confirm_metrics": "NumDeadDataNodes; DeadNodes in NameNodeInfo; UnderReplicatedBlocks "
        "rising.",
        "precursors": [
            "datanode_dead",
            "jvm_out_of_memory",
            "jvm_long_pause",
            "datanode_volume_failure",
            "too_many_open_files",
        ],
    },
    {
        "code": "datanodes_stale",
        "name": "DataNodes stale",
        "category": "hdfs",
        "default_severity": "warning",
        "grouping": "cluster",
        "description": "DataNodes that missed heartbeats for dfs.namenode.stale.datanode.interval "
        "(30 s by default) but are not dead yet; the NameNode avoids them for reads and writes.",
        "cause": "Long GC pauses, an overloaded or swapping host, network trouble; often the "
        "first sign of a DataNode about to be declared dead.",
        "remediation": "Check the hosts named in the fault: GC log, load, swap, network; if they "
        "stay stale, treat them as failing DataNodes.",
        "confirm_metrics": "FSNamesystemState NumStaleDataNodes; lastContact in LiveNodes.",
        "precursors": ["jvm_long_pause", "datanode_xceiver_limit", "rpc_socket_timeout"],
    },
    {
        "code": "nodemanagers_lost",
        "name": "NodeManager lost",
        "category": "yarn",
        "default_severity": "major",
        "grouping": "host",
        "description": "The ResourceManager lists this NodeManager as LOST: no heartbeat for "
        "yarn.nm.liveness-monitor.expiry-interval-ms (10 min). One fault per node.",
        "cause": "NodeManager process died (out of memory, killed), host down, network "
        "partition, long pause.",
        "remediation": "Check and restart the NodeManager; the ResourceManager reschedules its "
        "containers. If it recurs, look for OOM or GC trouble in its log.",
        "confirm_metrics": "lostNodes in /ws/v1/cluster/metrics; state=LOST in "
        "/ws/v1/cluster/nodes.",
        "precursors": ["nodemanager_lost", "jvm_out_of_memory", "jvm_long_pause"],
    },
    {
        "code": "nodemanagers_unhealthy",
        "name": "NodeManager unhealthy",
        "category": "yarn",
        "default_severity": "major",
        "grouping": "host",
        "description": "The ResourceManager lists this NodeManager as UNHEALTHY; the fault's "
        "sample is the node's health report. No containers are scheduled on it.",
        "cause": "Local or log directories over the disk-health threshold (90 %) or failed; the "
        "node health script reported ERROR.",
        "remediation": "Read the health report; free the YARN local/log directories (appcache, "
        "usercache, old container logs) or replace the disk; the node recovers by itself.",
        "confirm_metrics": "unhealthyNodes; the node's healthReport.",
        "precursors": ["nodemanager_unhealthy_disks", "datanode_out_of_space"],
    },
    {
        "code": "namenode_safemode_on",
        "name": "HDFS in safe mode",
        "category": "hdfs",
        "default_severity": "critical",
        "grouping": "cluster",
        "description": "The active NameNode is in safe mode (FSState=safeMode): HDFS is "
        "read-only, every write fails.",
        "cause": "Start-up waiting for block reports; too many DataNodes missing to reach the "
        "reported-block threshold; NameNode metadata disk low; entered manually.",
        "remediation": "hdfs dfsadmin -safemode get and -report; bring DataNodes back; free the "
        "NameNode's disk; leave safe mode (hdfs dfsadmin -safemode leave) only once missing "
        "blocks are understood.",
        "confirm_metrics": "FSNamesystemState FSState; NameNodeInfo Safemode; MissingBlocks; "
        "live DataNode count.",
        "precursors": ["namenode_safemode", "namenode_low_disk_safemode", "datanode_dead"],
    },
    {
        "code": "namenode_no_active",
        "name": "No active NameNode",
        "category": "ha",
        "default_severity": "critical",
        "grouping": "cluster",
        "description": "NameNodes answer, but none of them is active: HDFS serves no client.",
        "cause": "Failover did not complete: ZKFC down or lost its ZooKeeper session, fencing "
        "failed, JournalNodes out of quorum, NameNodes still starting.",
        "remediation": "hdfs haadmin -getAllServiceState; check the ZKFCs and ZooKeeper; check the "
        "JournalNodes; if needed make one NameNode active (hdfs haadmin -failover).",
        "confirm_metrics": "NameNodeStatus State on every NameNode.",
        "precursors": ["ha_zk_session_expired", "journal_quorum_timeout", "jvm_long_pause"],
    },
    {
        "code": "namenode_unreachable",
        "name": "NameNode unreachable",
        "category": "hdfs",
        "default_severity": "critical",
        "grouping": "host",
        "description": "The portal could not read this NameNode's JMX (refused, timed out, HTTP "
        "error). Critical when no active NameNode answered; major when only a standby is "
        "gone (HA is lost).",
        "cause": "NameNode process down (out of memory, killed, crashed on a metadata problem), "
        "host down, network or firewall between the portal and the NameNode.",
        "remediation": "Check the NameNode process and its log; curl its /jmx from the portal "
        "host to rule out the network; restart it, after a failover if it was active.",
        "confirm_metrics": "NameNodeStatus State once it answers again.",
        "precursors": [
            "jvm_out_of_memory",
            "jvm_long_pause",
            "ha_zk_session_expired",
            "namenode_low_disk_safemode",
        ],
    },
    {
        "code": "resourcemanager_unreachable",
        "name": "ResourceManager unreachable",
        "category": "yarn",
        "default_severity": "critical",
        "grouping": "host",
        "description": "The portal could not read this ResourceManager's REST API. Critical when "
        "no active ResourceManager answered; major when only a standby is gone.",
        "cause": "ResourceManager down (out of memory, killed), host down, network or firewall "
        "between the portal and the ResourceManager.",
        "remediation": "Check the ResourceManager process and its log; curl /ws/v1/cluster/info "
        "from the portal host; restart it.",
        "confirm_metrics": "clusterInfo haState once it answers again.",
        "precursors": ["jvm_out_of_memory", "jvm_long_pause", "ha_zk_session_expired"],
    },
]

FIELDS = (
    "name",
    "category",
    "default_severity",
    "grouping",
    "description",
    "cause",
    "remediation",
    "confirm_metrics",
)


def load_metric_types(apps, schema_editor):
    FaultType = apps.get_model("diagnosis", "FaultType")
    for entry in METRIC_TYPES:
        fault_type, _ = FaultType.objects.update_or_create(
            code=entry["code"],
            defaults={
                **{name: entry[name] for name in FIELDS},
                "patterns": "",
                "min_level": "WARN",
                "is_builtin": True,
                "enabled": True,
            },
        )
        fault_type.precursors.set(FaultType.objects.filter(code__in=entry["precursors"]))


def unload_metric_types(apps, schema_editor):
    FaultType = apps.get_model("diagnosis", "FaultType")
    FaultType.objects.filter(
        code__in=[e["code"] for e in METRIC_TYPES], records__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("diagnosis", "0003_fault_catalogue")]

    operations = [migrations.RunPython(load_metric_types, unload_metric_types)]
