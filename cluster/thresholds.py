"""Cluster thresholds (Ambari's defaults) and the faults they raise and clear.

`thresholds_evaluate` is pure: it says which thresholds a snapshot breaches, and which fault
types it could evaluate at all. `thresholds_apply` raises a fault for every breach (on every
collection, so occurrences count collections in breach) and resolves, as "recovered", the active
faults of an evaluated type that are no longer in breach. A type the snapshot could not evaluate
(its NameNode or ResourceManager did not answer) is left alone: no data is not a recovery.

Keys: faults about one node (a dead DataNode, a lost NodeManager, an unreachable NameNode) are
keyed by its host, so each recovers on its own; the others are one per cluster.
"""

from dataclasses import dataclass, field
from datetime import datetime

from cluster.collector import jmx, resourcemanager
from cluster.collector.snapshot import Snapshot
from diagnosis.models import FaultRecord, FaultType, Severity
from diagnosis.services import ACTIVE_STATUSES, fault_metric_clear, fault_metric_raise

CLUSTER_KEY = "cluster"

# Ambari's shipped HDFS alerts (research: peers.md §3.4).
CAPACITY_WARNING_PCT = 75.0
CAPACITY_CRITICAL_PCT = 80.0
MISSING_BLOCKS_CRITICAL = 1
# Ambari's "percent DataNodes down" alert: critical at 30 %; below that a dead DataNode is major.
DEAD_DATANODES_CRITICAL_SHARE = 0.30

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
)


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


def thresholds_evaluate(snapshot: Snapshot) -> Evaluation:
    evaluation = Evaluation()
    if snapshot.namenodes:
        _namenodes(snapshot, evaluation)
    if snapshot.hdfs_known:
        _hdfs(snapshot, evaluation)
    if snapshot.resourcemanagers:
        _resourcemanagers(snapshot, evaluation)
    if snapshot.nodemanagers_known:
        _nodemanagers(snapshot, evaluation)
    return evaluation


def _namenodes(snapshot: Snapshot, evaluation: Evaluation) -> None:
    readings = snapshot.namenodes
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
    if not any(r.reachable for r in readings):
        return  # whether one of them is active is unknown, not "no"
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


def _hdfs(snapshot: Snapshot, evaluation: Evaluation) -> None:
    cluster = snapshot.cluster
    active = snapshot.active_namenode.host

    pct = cluster.get("capacity_used_pct")
    if pct is not None:
        evaluation.evaluated.add(HDFS_CAPACITY_HIGH)
        if pct >= CAPACITY_WARNING_PCT:
            critical = pct >= CAPACITY_CRITICAL_PCT
            evaluation.breach(
                HDFS_CAPACITY_HIGH,
                title=f"HDFS capacity {pct:.1f} % used",
                severity=Severity.CRITICAL if critical else Severity.WARNING,
                sample=(
                    f"CapacityUsed={cluster.get('capacity_used_bytes')} "
                    f"CapacityRemaining={cluster.get('capacity_remaining_bytes')} "
                    f"({pct:.1f} %; warning at {CAPACITY_WARNING_PCT:g} %, "
                    f"critical at {CAPACITY_CRITICAL_PCT:g} %)"
                ),
            )

    missing = cluster.get("missing_blocks")
    if missing is not None:
        evaluation.evaluated.add(HDFS_MISSING_BLOCKS)
        if missing >= MISSING_BLOCKS_CRITICAL:
            evaluation.breach(
                HDFS_MISSING_BLOCKS,
                title=f"{missing} missing HDFS block{'s' if missing != 1 else ''}",
                severity=Severity.CRITICAL,
                sample=f"MissingBlocks={missing} CorruptBlocks={cluster.get('corrupt_blocks')} "
                f"(NameNode {active})",
            )

    if cluster.get("safe_mode") is not None:
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
    if stale_count is not None:
        evaluation.evaluated.add(DATANODES_STALE)
        if stale_count > 0:
            stale_hosts = [r["host"] for r in datanodes if r["state"] == "stale"]
            evaluation.breach(
                DATANODES_STALE,
                title=f"{stale_count} stale DataNode{'s' if stale_count != 1 else ''}"
                + (f": {', '.join(stale_hosts[:10])}" if stale_hosts else ""),
                severity=Severity.WARNING,
                sample=f"NumStaleDataNodes={stale_count} (no heartbeat within the NameNode's "
                "dfs.namenode.stale.datanode.interval, 30 s by default)",
            )

    if snapshot.datanodes_known:
        evaluation.evaluated.add(DATANODES_DEAD)
        dead = [r for r in datanodes if r["state"] == "dead"]
        counted = [r for r in datanodes if r["state"] not in ("decommissioned",)]
        share = len(dead) / len(counted) if counted else 0.0
        severity = Severity.CRITICAL if share >= DEAD_DATANODES_CRITICAL_SHARE else Severity.MAJOR
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


def _resourcemanagers(snapshot: Snapshot, evaluation: Evaluation) -> None:
    evaluation.evaluated.add(RESOURCEMANAGER_UNREACHABLE)
    severity = Severity.MAJOR if snapshot.yarn_known else Severity.CRITICAL
    for reading in snapshot.resourcemanagers:
        if not reading.reachable:
            evaluation.breach(
                RESOURCEMANAGER_UNREACHABLE,
                host=reading.host,
                title=f"ResourceManager {reading.host} unreachable: {reading.error}",
                severity=severity,
                sample=f"GET {reading.url}{resourcemanager.INFO_PATH}: {reading.error}",
            )


def _nodemanagers(snapshot: Snapshot, evaluation: Evaluation) -> None:
    evaluation.evaluated.update({NODEMANAGERS_LOST, NODEMANAGERS_UNHEALTHY})
    for row in snapshot.rows("nodemanager"):
        if row["state"] == "LOST":
            evaluation.breach(
                NODEMANAGERS_LOST,
                host=row["host"],
                title=f"NodeManager {row['host']} is LOST",
                severity=Severity.MAJOR,
                sample=f"state=LOST in /ws/v1/cluster/nodes ({row['details'].get('id', '')})",
            )
        elif row["state"] == "UNHEALTHY":
            report = row.get("health_report") or "no health report"
            evaluation.breach(
                NODEMANAGERS_UNHEALTHY,
                host=row["host"],
                title=f"NodeManager {row['host']} is UNHEALTHY: {report}",
                severity=Severity.MAJOR,
                sample=report,
            )


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


def thresholds_apply(*, evaluation: Evaluation, seen_at: datetime) -> Applied:
    applied = Applied()
    # Fault types are data: an operator may disable one (or delete an unused one) in the admin.
    enabled = set(
        FaultType.objects.filter(code__in=METRIC_FAULT_CODES, enabled=True).values_list(
            "code", flat=True
        )
    )
    breached: dict[str, set[str]] = {}
    for breach in evaluation.breaches:
        breached.setdefault(breach.code, set()).add(breach.key)
        if breach.code not in enabled:
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
    active = (
        FaultRecord.objects.filter(
            fault_type__code__in=evaluation.evaluated, status__in=ACTIVE_STATUSES
        )
        .values_list("fault_type__code", "host")
        .distinct()
    )
    for code, host in active:
        key = host or CLUSTER_KEY
        if key in breached.get(code, set()):
            continue
        cleared = fault_metric_clear(
            code=code, key=key, note=f"Back within threshold at {seen_at.isoformat()}."
        )
        if cleared is not None:
            applied.cleared.append(cleared)
    return applied
