"""The metric thresholds, once: a `metric_thresholds` row per metric fault type.

Defaults are Ambari's shipped alert thresholds where Ambari has one, and otherwise chosen and
explained in docs/thresholds.md (which names each source). Adds the fault types of the metrics
that raised nothing before: corrupt, under-replicated and pending-deletion blocks, failed
DataNode volumes, NameNode heap, no active ResourceManager, and the host metrics scripts push.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

NEW_TYPES = [
    {
        "code": "hdfs_corrupt_blocks",
        "name": "HDFS blocks with corrupt replicas",
        "category": "hdfs",
        "default_severity": "warning",
        "grouping": "cluster",
        "description": "FSNamesystem CorruptBlocks >= 1: the NameNode knows blocks with corrupt "
        "replicas. While a good replica is left the NameNode re-replicates it; when none is, "
        "the block is also missing.",
        "cause": "Failing disks or controllers, bit rot found by the DataNode block scanner, a "
        "DataNode that lost writes in a crash.",
        "remediation": "hdfs fsck / -list-corruptfileblocks; check the DataNodes' disks (SMART, "
        "dmesg); the NameNode deletes corrupt replicas once good ones are re-replicated.",
        "confirm_metrics": "FSNamesystem CorruptBlocks, MissingBlocks; VolumeFailuresTotal.",
        "precursors": ["hdfs_corrupt_replica", "datanode_volume_failure"],
    },
    {
        "code": "hdfs_under_replicated_blocks",
        "name": "HDFS blocks under-replicated for long",
        "category": "hdfs",
        "default_severity": "warning",
        "grouping": "cluster",
        "description": "FSNamesystemState UnderReplicatedBlocks stayed above its threshold for "
        "the threshold's duration: re-replication is not catching up.",
        "cause": "Dead or decommissioning DataNodes, too few live DataNodes for the replication "
        "factor, re-replication throttled (dfs.namenode.replication.max-streams).",
        "remediation": "Bring dead DataNodes back or add capacity; check hdfs dfsadmin -report; "
        "raise the replication work limits if the cluster can take the traffic.",
        "confirm_metrics": "UnderReplicatedBlocks, PendingReplicationBlocks, NumDeadDataNodes.",
        "precursors": ["datanode_dead"],
    },
    {
        "code": "hdfs_pending_deletion_blocks",
        "name": "HDFS block deletions piling up",
        "category": "hdfs",
        "default_severity": "warning",
        "grouping": "cluster",
        "description": "FSNamesystemState PendingDeletionBlocks past Ambari's 100,000: the "
        "DataNodes are not deleting blocks as fast as the NameNode schedules them.",
        "cause": "A mass delete (trash expunge, a dropped table), DataNodes slow to heartbeat.",
        "remediation": "Usually drains by itself; watch DataNode heartbeats and disk latency.",
        "confirm_metrics": "PendingDeletionBlocks over time.",
        "precursors": [],
    },
    {
        "code": "hdfs_volume_failures",
        "name": "DataNode volumes failed",
        "category": "hdfs",
        "default_severity": "major",
        "grouping": "cluster",
        "description": "FSNamesystemState VolumeFailuresTotal >= 1: DataNode disks were taken out "
        "of service (Ambari alerts on any).",
        "cause": "A data disk failed, went read-only or lost permissions.",
        "remediation": "Find the DataNode (NameNode UI, Datanode Volume Failures); replace the "
        "disk and restart the DataNode.",
        "confirm_metrics": "VolumeFailuresTotal, EstimatedCapacityLostTotal.",
        "precursors": ["datanode_volume_failure"],
    },
    {
        "code": "namenode_heap_high",
        "name": "NameNode heap nearly full",
        "category": "jvm",
        "default_severity": "warning",
        "grouping": "host",
        "description": "The NameNode's JvmMetrics MemHeapUsedM / MemHeapMaxM stayed past the "
        "threshold: long GC pauses and an out-of-memory death come next.",
        "cause": "Namespace growth (files + blocks), many small files, a heap sized for a "
        "smaller cluster.",
        "remediation": "Raise the NameNode heap (HADOOP_NAMENODE_OPTS -Xmx) at the next "
        "failover; merge small files.",
        "confirm_metrics": "JvmMetrics MemHeapUsedM, MemHeapMaxM, GcTimeMillis.",
        "precursors": ["jvm_long_pause", "jvm_out_of_memory"],
    },
    {
        "code": "resourcemanager_no_active",
        "name": "No active ResourceManager",
        "category": "ha",
        "default_severity": "critical",
        "grouping": "cluster",
        "description": "ResourceManagers answered, but none of them says haState ACTIVE: no "
        "application can be submitted or scheduled.",
        "cause": "A failover that did not complete (ZooKeeper down or session expired), both "
        "ResourceManagers in standby.",
        "remediation": "yarn rmadmin -getAllServiceState; check ZooKeeper and the RMs' logs; "
        "yarn rmadmin -transitionToActive as a last resort.",
        "confirm_metrics": "/ws/v1/cluster/info haState on each ResourceManager.",
        "precursors": ["ha_zk_session_expired"],
    },
    {
        "code": "host_cpu_high",
        "name": "Host CPU busy",
        "category": "os",
        "default_severity": "warning",
        "grouping": "host",
        "description": "The CPU busy percent a host's script pushes stayed past the threshold.",
        "cause": "Too many containers for the cores, a runaway process, GC storms.",
        "remediation": "top / pidstat on the host; lower yarn.nodemanager.resource.cpu-vcores.",
        "confirm_metrics": "cpu_pct pushed by the host; its load averages.",
        "precursors": ["jvm_long_pause"],
    },
    {
        "code": "host_memory_high",
        "name": "Host memory nearly full",
        "category": "os",
        "default_severity": "warning",
        "grouping": "host",
        "description": "The memory used percent a host's script pushes stayed past the threshold.",
        "cause": "Containers plus daemons above the RAM (NodeManager memory overcommitted).",
        "remediation": "Lower yarn.nodemanager.resource.memory-mb; check for swapping.",
        "confirm_metrics": "memory_used_pct pushed by the host.",
        "precursors": ["container_killed_pmem", "jvm_out_of_memory"],
    },
    {
        "code": "host_disk_high",
        "name": "Host disk nearly full",
        "category": "os",
        "default_severity": "warning",
        "grouping": "host",
        "description": "The fullest data disk a host's script reports passed the threshold.",
        "cause": "HDFS blocks, container logs and local dirs, unrotated daemon logs.",
        "remediation": "du on the disk; rotate logs; dfs.datanode.du.reserved; balance HDFS.",
        "confirm_metrics": "disk_used_pct pushed by the host.",
        "precursors": ["datanode_out_of_space", "nodemanager_unhealthy_disks"],
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

AMBARI = "Ambari's shipped alert default (docs/thresholds.md)"
CHOSEN = "Chosen by this project (docs/thresholds.md)"
# code, measures, unit, raise_at, critical_at, duration_minutes, is_state, source
THRESHOLDS = [
    ("hdfs_capacity_high", "HDFS capacity used", "%", 75, 80, 0, False, AMBARI),
    ("hdfs_missing_blocks", "FSNamesystem MissingBlocks", "blocks", None, 1, 0, False, AMBARI),
    ("hdfs_corrupt_blocks", "FSNamesystem CorruptBlocks", "blocks", 1, None, 0, False, CHOSEN),
    (
        "hdfs_under_replicated_blocks",
        "FSNamesystemState UnderReplicatedBlocks",
        "blocks",
        1,
        None,
        60,
        False,
        CHOSEN,
    ),
    (
        "hdfs_pending_deletion_blocks",
        "FSNamesystemState PendingDeletionBlocks",
        "blocks",
        100_000,
        None,
        0,
        False,
        AMBARI,
    ),
    ("hdfs_volume_failures", "VolumeFailuresTotal", "volumes", 1, None, 0, False, AMBARI),
    ("datanodes_stale", "NumStaleDataNodes", "DataNodes", 1, None, 0, False, AMBARI),
    # Every dead DataNode is raised; the share of dead ones makes it critical (Ambari: 30 %).
    ("datanodes_dead", "Share of DataNodes dead", "%", None, 30, 0, False, AMBARI),
    ("namenode_heap_high", "NameNode heap used", "%", 80, 90, 10, False, CHOSEN),
    ("host_cpu_high", "Host CPU busy", "%", 90, None, 15, False, CHOSEN),
    ("host_memory_high", "Host memory used", "%", 90, 97, 10, False, CHOSEN),
    ("host_disk_high", "Host's fullest data disk used", "%", 80, 90, 5, False, CHOSEN),
    ("namenode_safemode_on", "NameNode in safe mode", "", None, None, 0, True, AMBARI),
    ("namenode_no_active", "No NameNode says active", "", None, None, 0, True, AMBARI),
    ("namenode_unreachable", "NameNode JMX unreachable", "", None, None, 0, True, CHOSEN),
    (
        "resourcemanager_no_active",
        "No ResourceManager says active",
        "",
        None,
        None,
        0,
        True,
        CHOSEN,
    ),
    ("resourcemanager_unreachable", "ResourceManager unreachable", "", None, None, 0, True, CHOSEN),
    ("nodemanagers_lost", "NodeManager LOST", "", None, None, 0, True, AMBARI),
    ("nodemanagers_unhealthy", "NodeManager UNHEALTHY", "", None, None, 0, True, AMBARI),
]


def load(apps, schema_editor):
    FaultType = apps.get_model("diagnosis", "FaultType")
    MetricThreshold = apps.get_model("cluster", "MetricThreshold")
    for entry in NEW_TYPES:
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
    for code, measures, unit, raise_at, critical_at, minutes, is_state, source in THRESHOLDS:
        fault_type = FaultType.objects.filter(code=code).first()
        if fault_type is None:  # an operator deleted an unused metric type
            continue
        MetricThreshold.objects.update_or_create(
            fault_type=fault_type,
            defaults={
                "measures": measures,
                "unit": unit,
                "raise_at": raise_at,
                "critical_at": critical_at,
                "duration_minutes": minutes,
                "is_state": is_state,
                "source": source,
            },
        )


# Operators tune thresholds as they tune fault types; viewers may read them.
GRANTS = {
    "viewer": ["view_metricthreshold"],
    "operator": ["view_metricthreshold", "change_metricthreshold"],
}


def grant(apps, schema_editor):
    alias = schema_editor.connection.alias
    create_permissions(global_apps.get_app_config("cluster"), apps=apps, using=alias, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.using(alias).filter(name=name).first()
        if group is None:  # an administrator removed the group
            continue
        group.permissions.add(
            *Permission.objects.using(alias).filter(
                content_type__app_label="cluster", codename__in=codenames
            )
        )


def unload(apps, schema_editor):
    apps.get_model("cluster", "MetricThreshold").objects.all().delete()
    apps.get_model("diagnosis", "FaultType").objects.filter(
        code__in=[e["code"] for e in NEW_TYPES], records__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cluster", "0004_metric_thresholds"),
        ("faultportal", "0002_operator_groups"),
    ]

    operations = [
        migrations.RunPython(load, unload),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
