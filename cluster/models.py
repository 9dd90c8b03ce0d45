from django.core.exceptions import ValidationError
from django.db import models

# Cluster-row columns by source; the collector fills them and charts may plot them.
# From the active NameNode's JMX beans.
HDFS_COLUMNS = (
    "capacity_total_bytes",
    "capacity_used_bytes",
    "capacity_remaining_bytes",
    "capacity_used_non_dfs_bytes",
    "capacity_used_pct",
    "live_datanodes",
    "dead_datanodes",
    "stale_datanodes",
    "decommissioning_datanodes",
    "volume_failures",
    "missing_blocks",
    "corrupt_blocks",
    "under_replicated_blocks",
    "pending_deletion_blocks",
    "blocks_total",
    "files_total",
    "safe_mode",
)
# From the active ResourceManager's /ws/v1/cluster/metrics.
YARN_COLUMNS = (
    "apps_submitted",
    "apps_running",
    "apps_pending",
    "apps_completed",
    "apps_failed",
    "apps_killed",
    "memory_total_mb",
    "memory_allocated_mb",
    "memory_available_mb",
    "vcores_total",
    "vcores_allocated",
    "vcores_available",
    "containers_allocated",
    "containers_pending",
    "nodemanagers_total",
    "nodemanagers_active",
    "nodemanagers_lost",
    "nodemanagers_unhealthy",
    "nodemanagers_decommissioned",
)


class ClusterStatus(models.Model):
    """One row of a cluster-status snapshot.

    A collection writes one `cluster` row (the cluster-wide summary) and one `node` row per
    (host, role) it saw, all sharing `collection_id` and `collected_at`. Scripts that push host
    metrics write `node` rows with role `host` and a collection of their own. Metrics are plain
    nullable columns so DBAs and reports can query them; NULL means "not reported", never zero.
    """

    class Scope(models.TextChoices):
        CLUSTER = "cluster"
        NODE = "node"

    class Role(models.TextChoices):
        CLUSTER = "cluster"
        NAMENODE = "namenode", "NameNode"
        DATANODE = "datanode", "DataNode"
        RESOURCEMANAGER = "resourcemanager", "ResourceManager"
        NODEMANAGER = "nodemanager", "NodeManager"
        HOST = "host", "host metrics"

    class Source(models.TextChoices):
        COLLECTOR = "collector"
        PUSH = "push"
        DEMO = "demo"

    collection_id = models.CharField(max_length=32, help_text="Shared by the rows of one snapshot.")
    collected_at = models.DateTimeField()
    scope = models.CharField(max_length=8, choices=Scope.choices)
    source = models.CharField(max_length=16, choices=Source.choices)
    host = models.CharField(max_length=255, blank=True, help_text="Empty on the cluster row.")
    role = models.CharField(max_length=16, choices=Role.choices)
    # cluster row: ok / warning / critical / unreachable; DataNode: live / stale / dead /
    # decommissioning / decommissioned; NameNode and ResourceManager: active / standby /
    # unreachable; NodeManager: YARN's NodeState (RUNNING, LOST, UNHEALTHY, …); host: up.
    state = models.CharField(max_length=32, blank=True)
    reachable = models.BooleanField(default=True)
    error = models.TextField(blank=True, help_text='What failed, e.g. "NameNode unreachable: …".')

    # HDFS (NameNode FSNamesystemState / FSNamesystem / NameNodeInfo; per DataNode from LiveNodes)
    capacity_total_bytes = models.BigIntegerField(null=True, blank=True)
    capacity_used_bytes = models.BigIntegerField(null=True, blank=True)
    capacity_remaining_bytes = models.BigIntegerField(null=True, blank=True)
    capacity_used_non_dfs_bytes = models.BigIntegerField(null=True, blank=True)
    capacity_used_pct = models.FloatField(null=True, blank=True)
    live_datanodes = models.IntegerField(null=True, blank=True)
    dead_datanodes = models.IntegerField(null=True, blank=True)
    stale_datanodes = models.IntegerField(null=True, blank=True)
    decommissioning_datanodes = models.IntegerField(null=True, blank=True)
    volume_failures = models.IntegerField(null=True, blank=True)
    missing_blocks = models.BigIntegerField(null=True, blank=True)
    corrupt_blocks = models.BigIntegerField(null=True, blank=True)
    under_replicated_blocks = models.BigIntegerField(null=True, blank=True)
    pending_deletion_blocks = models.BigIntegerField(null=True, blank=True)
    blocks_total = models.BigIntegerField(null=True, blank=True)
    files_total = models.BigIntegerField(null=True, blank=True)
    safe_mode = models.BooleanField(null=True, blank=True)
    active_namenode = models.CharField(max_length=255, blank=True)
    last_contact_seconds = models.IntegerField(null=True, blank=True, help_text="DataNode rows.")

    # YARN (ResourceManager /ws/v1/cluster/metrics; per NodeManager from /ws/v1/cluster/nodes)
    apps_submitted = models.IntegerField(null=True, blank=True)
    apps_running = models.IntegerField(null=True, blank=True)
    apps_pending = models.IntegerField(null=True, blank=True)
    apps_completed = models.IntegerField(null=True, blank=True)
    apps_failed = models.IntegerField(null=True, blank=True)
    apps_killed = models.IntegerField(null=True, blank=True)
    memory_total_mb = models.BigIntegerField(null=True, blank=True)
    memory_allocated_mb = models.BigIntegerField(null=True, blank=True)
    memory_available_mb = models.BigIntegerField(null=True, blank=True)
    vcores_total = models.IntegerField(null=True, blank=True)
    vcores_allocated = models.IntegerField(null=True, blank=True)
    vcores_available = models.IntegerField(null=True, blank=True)
    containers_allocated = models.IntegerField(null=True, blank=True)
    containers_pending = models.IntegerField(null=True, blank=True)
    nodemanagers_total = models.IntegerField(null=True, blank=True)
    nodemanagers_active = models.IntegerField(null=True, blank=True)
    nodemanagers_lost = models.IntegerField(null=True, blank=True)
    nodemanagers_unhealthy = models.IntegerField(null=True, blank=True)
    nodemanagers_decommissioned = models.IntegerField(null=True, blank=True)
    health_report = models.TextField(blank=True, help_text="NodeManager rows.")

    # Host metrics pushed by scripts
    cpu_pct = models.FloatField(null=True, blank=True)
    memory_used_pct = models.FloatField(null=True, blank=True)
    disk_used_pct = models.FloatField(null=True, blank=True)
    load_1m = models.FloatField(null=True, blank=True)
    load_5m = models.FloatField(null=True, blank=True)
    load_15m = models.FloatField(null=True, blank=True)

    details = models.JSONField(
        default=dict, blank=True, help_text="Further fields as reported, for diagnosis."
    )

    class Meta:
        db_table = "cluster_status"
        ordering = ["-collected_at", "-id"]
        verbose_name = "cluster status"
        verbose_name_plural = "cluster status"
        indexes = [
            # The admin's list, newest first, with or without a filter: a month of one-minute
            # snapshots of a 50-node cluster is millions of rows, too many to sort per page.
            models.Index(fields=["collected_at"], name="cluster_status_time"),
            # The latest cluster snapshot, history charts, and retention pruning per scope.
            models.Index(fields=["scope", "collected_at"], name="cluster_status_scope_time"),
            # A host's metrics history and the per-node list of the latest state.
            models.Index(fields=["host", "collected_at"], name="cluster_status_host_time"),
            # The node rows belonging to one snapshot.
            models.Index(fields=["collection_id"], name="cluster_status_collection"),
            # The latest row per (role, host): MySQL/MariaDB answer the GROUP BY with a loose
            # index scan over this index instead of reading every node row of the history.
            models.Index(
                fields=["scope", "role", "host", "collected_at"], name="cluster_status_node_latest"
            ),
        ]

    def __str__(self) -> str:
        who = self.host or "cluster"
        return f"{who} {self.role} {self.state} @ {self.collected_at:%Y-%m-%d %H:%M:%S}"


class MetricThreshold(models.Model):
    """The limits of one metric fault type, tuned by an operator in the admin.

    Every threshold the portal applies to a metric lives here, once: the collector's evaluation,
    pushed host metrics, the dashboard's colours and the diagnosis' metric checks all read these
    rows, so an edit takes effect at the next collection without a restart. A check that is a
    state rather than a number (safe mode on, no active NameNode) has no values to compare,
    only its duration. Shipped with Ambari's defaults where Ambari has one (docs/thresholds.md).
    """

    fault_type = models.OneToOneField(
        "diagnosis.FaultType",
        on_delete=models.CASCADE,
        related_name="threshold",
        help_text="The fault this threshold raises (enable or disable it on the fault type).",
    )
    measures = models.CharField(max_length=200, help_text="What is compared, in plain words.")
    unit = models.CharField(max_length=16, blank=True, help_text='"%", "blocks", … ')
    raise_at = models.FloatField(
        null=True,
        blank=True,
        help_text="At or above this value the fault is raised, at its fault type's default "
        "severity. Empty: whenever the state holds (e.g. any dead DataNode).",
    )
    critical_at = models.FloatField(
        null=True, blank=True, help_text="At or above this value the fault is critical."
    )
    duration_minutes = models.PositiveIntegerField(
        default=0,
        help_text="The metric must stay past the threshold this long before the fault is raised "
        "(Ambari's repeat tolerance); 0 raises at the first collection in breach.",
    )
    is_state = models.BooleanField(
        default=False, editable=False, help_text="A state check: nothing to compare."
    )
    source = models.CharField(max_length=300, blank=True, help_text="Where the default comes from.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "metric_thresholds"
        ordering = ["fault_type__code"]
        verbose_name = "metric threshold"

    def __str__(self) -> str:
        return self.fault_type.code

    def clean(self):
        if self.is_state:
            if self.raise_at is not None or self.critical_at is not None:
                raise ValidationError("A state check has no value to compare: leave both empty.")
            return
        if (
            self.raise_at is not None
            and self.critical_at is not None
            and self.raise_at > self.critical_at
        ):
            raise ValidationError({"raise_at": "It must not exceed the critical value."})


class ThresholdBreach(models.Model):
    """Since when a metric has been past its threshold (for the threshold's duration).

    One row per (fault type, key) in breach; deleted at the first evaluation that finds the metric
    back within its threshold, so a spike shorter than the duration raises nothing.
    """

    code = models.SlugField(max_length=64)
    key = models.CharField(max_length=255, help_text='"cluster" or the host the breach is about.')
    since = models.DateTimeField(help_text="First collection in breach.")
    last_seen = models.DateTimeField()

    class Meta:
        db_table = "threshold_breaches"
        constraints = [
            models.UniqueConstraint(fields=["code", "key"], name="threshold_breach_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.key} since {self.since:%Y-%m-%d %H:%M}"
