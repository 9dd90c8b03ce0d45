"""Cluster thresholds and the faults they raise and clear.

The limits are data: one `metric_thresholds` row per metric fault type (Ambari's defaults,
operator-editable in the admin; docs/thresholds.md), read by `thresholds_current` at every
evaluation, so an edit applies at the next collection. `thresholds_evaluate` is pure: given a
snapshot and those limits it says which thresholds are breached, and which fault types it could
evaluate at all. `thresholds_apply` raises a fault for every breach that has lasted the
threshold's duration (on every collection, so occurrences count collections in breach) and
resolves, as "recovered", the active faults of an evaluated type that are no longer in breach. A
type the snapshot could not evaluate (its NameNode or ResourceManager did not answer) is left
alone: no data is not a recovery, and a breach's duration keeps running.

Keys: faults about one node (a dead DataNode, a lost NodeManager, an unreachable NameNode) are
keyed by its host, so each recovers on its own; the others are one per cluster.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cluster.collector import jmx, resourcemanager
from cluster.collector.snapshot import Snapshot
from cluster.collector.values import as_float
from cluster.models import MetricThreshold, ThresholdBreach
from diagnosis.models import FaultRecord, FaultType, Severity
from diagnosis.services import ACTIVE_STATUSES, fault_metric_clear, fault_metric_raise

CLUSTER_KEY = "cluster"

HDFS_CAPACITY_HIGH = "hdfs_capacity_high"
HDFS_MISSING_BLOCKS = "hdfs_missing_blocks"
DATANODES_DEAD = "datanodes_dead"
DATANODES_STALE = "datanodes_stale"
NODEMANAGERS_LOST = "nodemanagers_lost"
NODEMANAGERS_UNHEALTHY = "nodemanagers_unhealthy"
NAMENODE_SAFEMODE_ON = "namenode_safemode_on"
NAMENODE_NO_ACTIVE = "namenode_no_active"
NAMENODE_UNREACHABLE = "namenode_unreachable"
RESOURCEMANAGER_UNREACHABLE = "resourcemanager_unreachable"
RESOURCEMANAGER_NO_ACTIVE = "resourcemanager_no_active"
HDFS_CORRUPT_BLOCKS = "hdfs_corrupt_blocks"
HDFS_UNDER_REPLICATED = "hdfs_under_replicated_blocks"
HDFS_PENDING_DELETION = "hdfs_pending_deletion_blocks"
HDFS_VOLUME_FAILURES = "hdfs_volume_failures"
NAMENODE_HEAP_HIGH = "namenode_heap_high"
HOST_CPU_HIGH = "host_cpu_high"
HOST_MEMORY_HIGH = "host_memory_high"
HOST_DISK_HIGH = "host_disk_high"

# Pushed host metrics (cluster_status columns) and the fault type each one's threshold raises.
HOST_METRIC_CODES = {
    "cpu_pct": HOST_CPU_HIGH,
    "memory_used_pct": HOST_MEMORY_HIGH,
    "disk_used_pct": HOST_DISK_HIGH,
}

METRIC_FAULT_CODES = (
    HDFS_CAPACITY_HIGH,
    HDFS_MISSING_BLOCKS,
    DATANODES_DEAD,
    DATANODES_STALE,
    NODEMANAGERS_LOST,
    NODEMANAGERS_UNHEALTHY,
    NAMENODE_SAFEMODE_ON,
    NAMENODE_NO_ACTIVE,
    NAMENODE_UNREACHABLE,
    RESOURCEMANAGER_UNREACHABLE,
    RESOURCEMANAGER_NO_ACTIVE,
    HDFS_CORRUPT_BLOCKS,
    HDFS_UNDER_REPLICATED,
    HDFS_PENDING_DELETION,
    HDFS_VOLUME_FAILURES,
    NAMENODE_HEAP_HIGH,
    *HOST_METRIC_CODES.values(),
)


@dataclass(frozen=True)
class Limit:
    """One threshold row as the evaluation uses it."""

    raise_at: float | None = None
    critical_at: float | None = None
    duration_minutes: int = 0
    severity: str = Severity.WARNING  # the fault type's default severity

    def level(self, value: float) -> str | None:
        """The severity `value` calls for: critical, the type's default, or None (within)."""
        if self.critical_at is not None and value >= self.critical_at:
            return Severity.CRITICAL
        if self.raise_at is not None and value >= self.raise_at:
            return self.severity
        return None

    def describe(self, unit: str = "") -> str:
        parts = []
        if self.raise_at is not None:
            parts.append(f"raised at {self.raise_at:g}{unit}")
        if self.critical_at is not None:
            parts.append(f"critical at {self.critical_at:g}{unit}")
        return ", ".join(parts)


# Fault code -> its limit; a code without a row is not evaluated at all.
Limits = dict[str, Limit]


def thresholds_current() -> Limits:
    """The limits as the operator left them (one small query; no cache, so edits apply now)."""
    rows = MetricThreshold.objects.values_list(
        "fault_type__code",
        "raise_at",
        "critical_at",
        "duration_minutes",
        "fault_type__default_severity",
    )
    return {
        code: Limit(
            raise_at=raise_at, critical_at=critical_at, duration_minutes=minutes, severity=severity
        )
        for code, raise_at, critical_at, minutes, severity in rows
    }


@dataclass(frozen=True)
class Breach:
    code: str
    key: str
    host: str
    title: str
    severity: str
    sample: str = ""


@dataclass
class Evaluation:
    breaches: list[Breach] = field(default_factory=list)
    evaluated: set[str] = field(default_factory=set)  # fault codes this snapshot could judge
    # The keys this evaluation speaks for (a host's pushed metrics speak for that host only);
    # None: every key of an evaluated code.
    scope_keys: set[str] | None = None

    def breach(self, code: str, *, title: str, severity: str, host: str = "", sample: str = ""):
        self.breaches.append(
            Breach(
                code=code,
                key=host or CLUSTER_KEY,
                host=host,
                title=title,
                severity=severity,
                sample=sample,
            )
        )

    @property
    def cluster_state(self) -> str:
        """ok / warning / critical for the cluster row."""
        if any(b.severity == Severity.CRITICAL for b in self.breaches):
            return "critical"
        return "warning" if self.breaches else "ok"


def thresholds_evaluate(snapshot: Snapshot, limits: Limits) -> Evaluation:
    evaluation = Evaluation()
    if snapshot.namenodes:
        _namenodes(snapshot, evaluation, limits)
    if snapshot.hdfs_known:
        _hdfs(snapshot, evaluation, limits)
    if snapshot.resourcemanagers:
        _resourcemanagers(snapshot, evaluation, limits)
    if snapshot.nodemanagers_known:
        _nodemanagers(snapshot, evaluation, limits)
    return evaluation


def _namenodes(snapshot: Snapshot, evaluation: Evaluation, limits: Limits) -> None:
    readings = snapshot.namenodes
    if NAMENODE_UNREACHABLE in limits:
        evaluation.evaluated.add(NAMENODE_UNREACHABLE)
        # Losing the standby costs HA (major); losing the one that serves HDFS is critical.
        severity = Severity.MAJOR if snapshot.hdfs_known else Severity.CRITICAL
        for reading in readings:
            if not reading.reachable:
                evaluation.breach(
                    NAMENODE_UNREACHABLE,
                    host=reading.host,
                    title=f"NameNode {reading.host} unreachable: {reading.error}",
                    severity=severity,
                    sample=f"GET {reading.url}{jmx.QUERY}: {reading.error}",
                )
    heap = limits.get(NAMENODE_HEAP_HIGH)
    if heap is not None:
        for reading in readings:
            used, most = jmx.heap_mb(reading.beans) if reading.reachable else (None, None)
            if used is None or not most:
                continue
            evaluation.evaluated.add(NAMENODE_HEAP_HIGH)
            pct = used * 100.0 / most
            severity = heap.level(pct)
            if severity:
                evaluation.breach(
                    NAMENODE_HEAP_HIGH,
                    host=reading.host,
                    title=f"NameNode {reading.host} heap {pct:.0f} % used",
                    severity=severity,
                    sample=f"JvmMetrics MemHeapUsedM={used:g} MemHeapMaxM={most:g} "
                    f"({heap.describe(' %')})",
                )
    if not any(r.reachable for r in readings):
        return  # whether one of them is active is unknown, not "no"
    if NAMENODE_NO_ACTIVE in limits:
        evaluation.evaluated.add(NAMENODE_NO_ACTIVE)
        if not snapshot.hdfs_known:
            states = ", ".join(
                f"{r.host} {r.state if r.reachable else jmx.UNREACHABLE}" for r in readings
            )
            evaluation.breach(
                NAMENODE_NO_ACTIVE,
                title=f"No active NameNode ({states})",
                severity=Severity.CRITICAL,
                sample=states,
            )


# Cluster-wide HDFS counts compared with their thresholds: (code, column, title, bean attribute).
HDFS_COUNTS = (
    (HDFS_MISSING_BLOCKS, "missing_blocks", "missing HDFS block", "FSNamesystem MissingBlocks"),
    (HDFS_CORRUPT_BLOCKS, "corrupt_blocks", "corrupt HDFS block", "FSNamesystem CorruptBlocks"),
    (
        HDFS_UNDER_REPLICATED,
        "under_replicated_blocks",
        "under-replicated HDFS block",
        "FSNamesystemState UnderReplicatedBlocks",
    ),
    (
        HDFS_PENDING_DELETION,
        "pending_deletion_blocks",
        "HDFS block pending deletion",
        "FSNamesystemState PendingDeletionBlocks",
    ),
    (
        HDFS_VOLUME_FAILURES,
        "volume_failures",
        "failed DataNode volume",
        "FSNamesystemState VolumeFailuresTotal",
    ),
)


def _hdfs(snapshot: Snapshot, evaluation: Evaluation, limits: Limits) -> None:
    cluster = snapshot.cluster
    active = snapshot.active_namenode.host

    pct = cluster.get("capacity_used_pct")
    capacity = limits.get(HDFS_CAPACITY_HIGH)
    if pct is not None and capacity is not None:
        evaluation.evaluated.add(HDFS_CAPACITY_HIGH)
        severity = capacity.level(pct)
        if severity:
            evaluation.breach(
                HDFS_CAPACITY_HIGH,
                title=f"HDFS capacity {pct:.1f} % used",
                severity=severity,
                sample=(
                    f"CapacityUsed={cluster.get('capacity_used_bytes')} "
                    f"CapacityRemaining={cluster.get('capacity_remaining_bytes')} "
                    f"({pct:.1f} %; {capacity.describe(' %')})"
                ),
            )

    for code, column, noun, attribute in HDFS_COUNTS:
        value, limit = cluster.get(column), limits.get(code)
        if value is None or limit is None:
            continue
        evaluation.evaluated.add(code)
        severity = limit.level(value)
        if severity:
            evaluation.breach(
                code,
                title=f"{value} {noun}{'s' if value != 1 else ''}",
                severity=severity,
                sample=f"{attribute}={value} (NameNode {active}; {limit.describe()})",
            )

    if cluster.get("safe_mode") is not None and NAMENODE_SAFEMODE_ON in limits:
        evaluation.evaluated.add(NAMENODE_SAFEMODE_ON)
        if cluster["safe_mode"]:
            tip = cluster.get("details", {}).get("hdfs", {}).get("safe_mode_tip", "")
            evaluation.breach(
                NAMENODE_SAFEMODE_ON,
                title=f"NameNode {active} is in safe mode",
                severity=Severity.CRITICAL,
                sample=tip or "FSState=safeMode",
            )

    datanodes = snapshot.rows("datanode")
    stale_count = cluster.get("stale_datanodes")
    stale = limits.get(DATANODES_STALE)
    if stale_count is not None and stale is not None:
        evaluation.evaluated.add(DATANODES_STALE)
        severity = stale.level(stale_count)
        if severity:
            stale_hosts = [r["host"] for r in datanodes if r["state"] == "stale"]
            evaluation.breach(
                DATANODES_STALE,
                title=f"{stale_count} stale DataNode{'s' if stale_count != 1 else ''}"
                + (f": {', '.join(stale_hosts[:10])}" if stale_hosts else ""),
                severity=severity,
                sample=f"NumStaleDataNodes={stale_count} (no heartbeat within the NameNode's "
                "dfs.namenode.stale.datanode.interval, 30 s by default)",
            )

    dead_limit = limits.get(DATANODES_DEAD)
    if snapshot.datanodes_known and dead_limit is not None:
        evaluation.evaluated.add(DATANODES_DEAD)
        dead = [r for r in datanodes if r["state"] == "dead"]
        counted = [r for r in datanodes if r["state"] not in ("decommissioned",)]
        share = len(dead) * 100.0 / len(counted) if counted else 0.0
        # Every dead DataNode is a fault; the share of dead ones decides how severe.
        severity = dead_limit.level(share) or dead_limit.severity
        for row in dead:
            last = row.get("last_contact_seconds")
            since = f" (last heartbeat {_duration(last)} ago)" if last is not None else ""
            evaluation.breach(
                DATANODES_DEAD,
                host=row["host"],
                title=f"DataNode {row['host']} is dead{since}",
                severity=severity,
                sample=f"NameNode {active} lists {row['details'].get('node', row['host'])} "
                f"in DeadNodes; {len(dead)} of {len(counted)} DataNodes dead",
            )


def _resourcemanagers(snapshot: Snapshot, evaluation: Evaluation, limits: Limits) -> None:
    readings = snapshot.resourcemanagers
    if RESOURCEMANAGER_UNREACHABLE in limits:
        evaluation.evaluated.add(RESOURCEMANAGER_UNREACHABLE)
        severity = Severity.MAJOR if snapshot.yarn_known else Severity.CRITICAL
        for reading in readings:
            if not reading.reachable:
                evaluation.breach(
                    RESOURCEMANAGER_UNREACHABLE,
                    host=reading.host,
                    title=f"ResourceManager {reading.host} unreachable: {reading.error}",
                    severity=severity,
                    sample=f"GET {reading.url}{resourcemanager.INFO_PATH}: {reading.error}",
                )
    if RESOURCEMANAGER_NO_ACTIVE in limits and any(r.reachable for r in readings):
        evaluation.evaluated.add(RESOURCEMANAGER_NO_ACTIVE)
        if snapshot.active_resourcemanager is None:
            states = ", ".join(
                f"{r.host} {r.ha_state if r.reachable else resourcemanager.UNREACHABLE}"
                for r in readings
            )
            evaluation.breach(
                RESOURCEMANAGER_NO_ACTIVE,
                title=f"No active ResourceManager ({states})",
                severity=Severity.CRITICAL,
                sample=states,
            )


def _nodemanagers(snapshot: Snapshot, evaluation: Evaluation, limits: Limits) -> None:
    lost, unhealthy = NODEMANAGERS_LOST in limits, NODEMANAGERS_UNHEALTHY in limits
    if lost:
        evaluation.evaluated.add(NODEMANAGERS_LOST)
    if unhealthy:
        evaluation.evaluated.add(NODEMANAGERS_UNHEALTHY)
    for row in snapshot.rows("nodemanager"):
        if row["state"] == "LOST" and lost:
            evaluation.breach(
                NODEMANAGERS_LOST,
                host=row["host"],
                title=f"NodeManager {row['host']} is LOST",
                severity=Severity.MAJOR,
                sample=f"state=LOST in /ws/v1/cluster/nodes ({row['details'].get('id', '')})",
            )
        elif row["state"] == "UNHEALTHY" and unhealthy:
            report = row.get("health_report") or "no health report"
            evaluation.breach(
                NODEMANAGERS_UNHEALTHY,
                host=row["host"],
                title=f"NodeManager {row['host']} is UNHEALTHY: {report}",
                severity=Severity.MAJOR,
                sample=report,
            )


HOST_METRIC_LABELS = {"cpu_pct": "CPU", "memory_used_pct": "memory", "disk_used_pct": "disk"}


def host_thresholds_evaluate(*, host: str, metrics: dict, limits: Limits) -> Evaluation:
    """The thresholds of the metrics one host pushed; speaks for that host only."""
    evaluation = Evaluation(scope_keys={host})
    for column, code in HOST_METRIC_CODES.items():
        value, limit = as_float(metrics.get(column)), limits.get(code)
        if value is None or limit is None:
            continue
        evaluation.evaluated.add(code)
        severity = limit.level(value)
        if severity:
            evaluation.breach(
                code,
                host=host,
                title=f"{host}: {HOST_METRIC_LABELS[column]} {value:.0f} % used",
                severity=severity,
                sample=f"{column}={value:g} pushed by the host ({limit.describe(' %')})",
            )
    return evaluation


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


@dataclass
class Applied:
    raised: list[FaultRecord] = field(default_factory=list)
    cleared: list[FaultRecord] = field(default_factory=list)


def thresholds_apply(
    *, evaluation: Evaluation, seen_at: datetime, limits: Limits | None = None
) -> Applied:
    """Raise the breaches that lasted their threshold's duration; clear the recovered ones."""
    applied = Applied()
    limits = thresholds_current() if limits is None else limits
    # Fault types are data: an operator may disable one (or delete an unused one) in the admin.
    enabled = set(
        FaultType.objects.filter(code__in=METRIC_FAULT_CODES, enabled=True).values_list(
            "code", flat=True
        )
    )
    lasting = _breaches_track(evaluation=evaluation, seen_at=seen_at, limits=limits)
    breached: dict[str, set[str]] = {}
    for breach in evaluation.breaches:
        breached.setdefault(breach.code, set()).add(breach.key)
        if breach.code not in enabled or (breach.code, breach.key) not in lasting:
            continue
        applied.raised.append(
            fault_metric_raise(
                code=breach.code,
                key=breach.key,
                host=breach.host,
                title=breach.title,
                seen_at=seen_at,
                sample=breach.sample,
                severity=breach.severity,
            )
        )
    active = FaultRecord.objects.filter(
        fault_type__code__in=evaluation.evaluated, status__in=ACTIVE_STATUSES
    )
    if evaluation.scope_keys is not None:
        active = active.filter(host__in=evaluation.scope_keys)
    for code, host in active.values_list("fault_type__code", "host").distinct():
        key = host or CLUSTER_KEY
        if key in breached.get(code, set()):
            continue
        cleared = fault_metric_clear(
            code=code, key=key, note=f"Back within threshold at {seen_at.isoformat()}."
        )
        if cleared is not None:
            applied.cleared.append(cleared)
    return applied


def _breaches_track(
    *, evaluation: Evaluation, seen_at: datetime, limits: Limits
) -> set[tuple[str, str]]:
    """Keep `threshold_breaches` in step; return the (code, key) breaches that lasted long enough.

    A breach starts its clock at its first collection in breach; an evaluated (code, key) that
    is within its threshold again stops it, so a spike shorter than the duration raises nothing.
    """
    now_breached = {(b.code, b.key) for b in evaluation.breaches}
    tracked = ThresholdBreach.objects.filter(code__in=evaluation.evaluated)
    if evaluation.scope_keys is not None:
        tracked = tracked.filter(key__in=evaluation.scope_keys)
    since = {(code, key): at for code, key, at in tracked.values_list("code", "key", "since")}
    ended = [pair for pair in since if pair not in now_breached]
    for code, key in ended:
        ThresholdBreach.objects.filter(code=code, key=key).delete()
    started = [pair for pair in now_breached if pair not in since]
    if started:
        ThresholdBreach.objects.bulk_create(
            [ThresholdBreach(code=c, key=k, since=seen_at, last_seen=seen_at) for c, k in started],
            ignore_conflicts=True,  # a concurrent evaluation started the same clock
        )
    still = [pair for pair in now_breached if pair in since]
    if still:
        ThresholdBreach.objects.filter(
            code__in={c for c, _ in still}, key__in={k for _, k in still}
        ).update(last_seen=seen_at)
    lasting = set()
    for code, key in now_breached:
        limit = limits.get(code)
        started_at = since.get((code, key), seen_at)
        minutes = limit.duration_minutes if limit else 0
        if seen_at - started_at >= timedelta(minutes=minutes):
            lasting.add((code, key))
    return lasting
