"""Cluster-status checks per fault type: the catalogue's "confirm" metrics, made executable.

Each check reads the latest snapshot (ClusterView) for the hosts a fault concerns and says
which figures confirm or contradict it, with the threshold used. HDFS capacity and host CPU
and memory are judged by the operator's metric thresholds (docs/thresholds.md), the same rows
that raise the faults; the rest are Hadoop's own defaults named below: NodeManager disk checker
90 %, DataNode dead after 10 min 30 s, max transfer threads 4096 (docs/sources.md §4, §5).
A snapshot describes now, a fault may be older: "contradicts" often means "recovered since".
"""

from collections.abc import Callable

from cluster.thresholds import (
    HDFS_CAPACITY_HIGH,
    HOST_CPU_HIGH,
    HOST_MEMORY_HIGH,
    Limit,
)
from rca.context import ClusterView, DiagnosisContext, StatusRow
from rca.findings import CONFIRMS, CONTEXT, CONTRADICTS, CauseHint, Finding

# Portal thresholds (HDFS capacity, host CPU and memory) are not here: they are the operator's
# metric_thresholds rows (docs/thresholds.md), read through the view. What follows are Hadoop's
# own defaults that a check compares with, not thresholds the portal chooses.
HDFS_FULL_PCT = 95.0
# yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage: past it the
# NodeManager marks the disk bad.
DISK_FULL_PCT = 90.0
NON_DFS_SHARE = 0.2
HEAP_NEAR_MAX = 0.9
FD_NEAR_LIMIT = 0.9
XCEIVER_LIMIT = 4096
DEAD_AFTER_SECONDS = 630
SMALL_CLUSTER_DATANODES = 3  # dfs.replication's default

Check = Callable[[DiagnosisContext, ClusterView], list[Finding]]


def _hosts(ctx: DiagnosisContext) -> list[str]:
    return ctx.hosts + ctx.peers


def _cluster(view: ClusterView, name: str, value, threshold: str, verdict: str, note: str, **kw):
    return Finding(name, value, threshold, verdict, "cluster", note, **kw)


def _node(row: StatusRow, name: str, value, threshold: str, verdict: str, note: str, **kw):
    return Finding(name, value, threshold, verdict, row.label, note, **kw)


def _limit(view: ClusterView, code: str, *, critical: bool) -> float | None:
    """The operator's critical value (or, without one, the raise value) for a metric type."""
    limit = view.limits.get(code, Limit())
    value = limit.critical_at if critical else limit.raise_at
    return value if value is not None else (limit.raise_at if critical else limit.critical_at)


def _capacity_pct(metrics: dict) -> float | None:
    if metrics.get("capacity_used_pct") is not None:
        return float(metrics["capacity_used_pct"])
    used, remaining = metrics.get("capacity_used_bytes"), metrics.get("capacity_remaining_bytes")
    if used is not None and remaining is not None and used + remaining > 0:
        return used * 100.0 / (used + remaining)  # Ambari's formula
    return None


def _count_check(
    view: ClusterView, field: str, metric: str, *, confirm_note: str, clear_note: str
) -> list[Finding]:
    value = view.value(field)
    if value is None:
        return []
    if value > 0:
        return [_cluster(view, metric, value, "> 0", CONFIRMS, confirm_note)]
    return [_cluster(view, metric, value, "> 0", CONTRADICTS, clear_note)]


def _jvm_findings(rows: list[StatusRow]) -> list[Finding]:
    """Heap and GC figures of the daemons on the hosts, when the collector put them in details."""
    found = []
    for row in rows:
        used = row.detail("MemHeapUsedM", "heap_used_mb")
        top = row.detail("MemHeapMaxM", "heap_max_mb")
        if used is not None and top:
            ratio = used / top
            verdict = CONFIRMS if ratio >= HEAP_NEAR_MAX else CONTEXT
            note = f"heap {used:.0f} MB of {top:.0f} MB ({ratio:.0%})"
            cause = None
            if ratio >= HEAP_NEAR_MAX:
                cause = CauseHint(
                    "heap_pressure",
                    f"Heap nearly full on {row.host or 'the daemon'}",
                    f"{row.label}: {note}; a heap this full spends its time in GC and pauses.",
                    0.7,
                    "Raise the daemon's heap (-Xmx in hadoop-env.sh / yarn-env.sh) or reduce its "
                    "load (small files on a NameNode); check GC logs.",
                )
            found.append(
                _node(
                    row,
                    "MemHeapUsedM/MemHeapMaxM",
                    round(ratio, 3),
                    ">= 0.9",
                    verdict,
                    note,
                    cause=cause,
                )
            )
        warn = row.detail("GcNumWarnThresholdExceeded", "gc_warn_threshold_exceeded")
        if warn:
            found.append(
                _node(
                    row,
                    "GcNumWarnThresholdExceeded",
                    warn,
                    "> 0",
                    CONFIRMS,
                    "the JVM pause monitor counted GC pauses over its warning threshold",
                )
            )
        gc_time = row.detail("GcTimeMillis", "gc_time_ms")
        if gc_time is not None:
            found.append(_node(row, "GcTimeMillis", gc_time, "", CONTEXT, "total GC time"))
    return found


def _host_pressure(ctx: DiagnosisContext, view: ClusterView) -> list[Finding]:
    found = []
    memory_full = _limit(view, HOST_MEMORY_HIGH, critical=True)
    cpu_full = _limit(view, HOST_CPU_HIGH, critical=True)
    for row in view.nodes_of(_hosts(ctx), role="host"):
        memory = row.metrics.get("memory_used_pct")
        if memory is not None and memory_full is not None and memory >= memory_full:
            found.append(
                _node(
                    row,
                    "memory_used_pct",
                    memory,
                    f">= {memory_full:g} %",
                    CONFIRMS,
                    "host memory exhausted",
                    cause=CauseHint(
                        "host_memory",
                        f"Host memory exhausted on {row.host}",
                        f"{row.host} uses {memory:.0f} % of its memory: the host swaps "
                        "(pausing every JVM on it) or the kernel's OOM killer ends daemons.",
                        0.6,
                        "Check swap and the OOM killer (free -m, dmesg | grep -i oom); lower "
                        "the heaps or containers placed on this host; disable swap.",
                    ),
                )
            )
        cpu = row.metrics.get("cpu_pct")
        if cpu is not None and cpu_full is not None and cpu >= cpu_full:
            found.append(
                _node(
                    row,
                    "cpu_pct",
                    cpu,
                    f">= {cpu_full:g} %",
                    CONFIRMS,
                    "host CPU saturated",
                    cause=CauseHint(
                        "host_cpu",
                        f"CPU saturated on {row.host}",
                        f"{row.host} runs at {cpu:.0f} % CPU: threads (GC, heartbeats) are "
                        "starved.",
                        0.45,
                        "Find the busy processes (top -H); move load off the host.",
                    ),
                )
            )
    return found


# --- per fault type -----------------------------------------------------------------------------


def check_datanode_volume_failure(ctx, view):
    found = _count_check(
        view,
        "volume_failures",
        "VolumeFailuresTotal",
        confirm_note="the NameNode counts failed DataNode volumes",
        clear_note="no failed volume reported now: the disk is back or replaced, or the "
        "DataNode is not running",
    )
    lost = view.cluster.detail("EstimatedCapacityLostTotal") if view.cluster else None
    if lost:
        found.append(
            _cluster(
                view,
                "EstimatedCapacityLostTotal",
                lost,
                "> 0",
                CONFIRMS,
                "capacity lost to failed volumes (bytes)",
            )
        )
    for row in view.nodes_of(_hosts(ctx), role="datanode"):
        failed = row.detail("volfails", "VolumeFailures", "volume_failures")
        if failed:
            found.append(
                _node(row, "volfails", failed, "> 0", CONFIRMS, "failed volumes on this DataNode")
            )
        if row.state == "dead":
            found.append(
                _node(
                    row,
                    "state",
                    row.state,
                    "live",
                    CONFIRMS,
                    "the DataNode stopped: failed volumes exceed the tolerated count",
                )
            )
    return found


def check_datanode_out_of_space(ctx, view):
    found = []
    cluster_pct = _capacity_pct(view.cluster.metrics) if view.cluster else None
    capacity_warn = _limit(view, HDFS_CAPACITY_HIGH, critical=False)
    capacity_crit = _limit(view, HDFS_CAPACITY_HIGH, critical=True)
    node_full = False
    for row in view.nodes_of(_hosts(ctx), role="datanode"):
        pct = _capacity_pct(row.metrics)
        if pct is None:
            continue
        node_full = node_full or pct >= DISK_FULL_PCT
        verdict = (
            CONFIRMS
            if pct >= DISK_FULL_PCT
            else CONTRADICTS
            if capacity_warn is not None and pct < capacity_warn
            else CONTEXT
        )
        found.append(
            _node(
                row,
                "capacity used %",
                round(pct, 1),
                f">= {DISK_FULL_PCT:.0f} %",
                verdict,
                "this DataNode's HDFS volumes",
            )
        )
        total, non_dfs = (
            row.metrics.get("capacity_total_bytes"),
            row.metrics.get("capacity_used_non_dfs_bytes"),
        )
        if total and non_dfs is not None and non_dfs / total >= NON_DFS_SHARE:
            found.append(
                _node(
                    row,
                    "non-DFS used share",
                    round(non_dfs / total, 3),
                    f">= {NON_DFS_SHARE}",
                    CONFIRMS,
                    "files outside HDFS take a large part of the data disks",
                    cause=CauseHint(
                        "non_dfs_usage",
                        "Non-HDFS files fill the DataNode disks",
                        f"On {row.host} {non_dfs / total:.0%} of the capacity is used by files "
                        "outside HDFS (logs, YARN local dirs, core dumps).",
                        0.7,
                        "Find and remove non-HDFS files on the data disks (du -xsh on each mount, "
                        "outside the dfs data dirs); set dfs.datanode.du.reserved to keep room.",
                    ),
                )
            )
    for row in view.nodes_of(_hosts(ctx), role="host"):
        disk = row.metrics.get("disk_used_pct")
        if disk is not None:
            node_full = node_full or disk >= DISK_FULL_PCT
            verdict = CONFIRMS if disk >= DISK_FULL_PCT else CONTEXT
            found.append(
                _node(
                    row,
                    "disk_used_pct",
                    disk,
                    f">= {DISK_FULL_PCT:.0f} %",
                    verdict,
                    "host disk usage pushed by the node's script",
                )
            )
    if cluster_pct is not None and capacity_crit is not None:
        if cluster_pct >= capacity_crit:
            found.append(
                _cluster(
                    view,
                    "capacity used %",
                    round(cluster_pct, 1),
                    f">= {capacity_crit:g} %",
                    CONFIRMS,
                    "HDFS as a whole is nearly full",
                    cause=CauseHint(
                        "hdfs_nearly_full",
                        "HDFS as a whole is nearly full",
                        f"The cluster uses {cluster_pct:.0f} % of its HDFS capacity: "
                        "every DataNode is filling up, not only this one.",
                        0.7,
                        "Add DataNodes or disks, or delete old data (hdfs dfs -du -h /; "
                        "hdfs dfs -expunge).",
                    ),
                )
            )
        elif node_full:
            found.append(
                _cluster(
                    view,
                    "capacity used %",
                    round(cluster_pct, 1),
                    f">= {capacity_crit:g} %",
                    CONTEXT,
                    "the cluster has room while this node is full",
                    cause=CauseHint(
                        "unbalanced",
                        "Data unevenly spread: this DataNode is full while the cluster has room",
                        f"The cluster uses only {cluster_pct:.0f} % of its capacity.",
                        0.6,
                        "Run the balancer (hdfs balancer -threshold 10) and check that new disks "
                        "are in dfs.datanode.data.dir.",
                    ),
                )
            )
    return found


def _safe_mode(view, *, on_note: str) -> list[Finding]:
    value = view.value("safe_mode")
    if value is None:
        return []
    if value:
        return [_cluster(view, "FSState", "Safemode", "Operational", CONFIRMS, on_note)]
    return [
        _cluster(
            view,
            "FSState",
            "Operational",
            "Operational",
            CONTRADICTS,
            "the NameNode is out of safe mode now",
        )
    ]


def check_namenode_low_disk_safemode(ctx, view):
    found = _safe_mode(view, on_note="the NameNode is in safe mode")
    hosts = _hosts(ctx) + [row.host for row in view.with_role("namenode")]
    for row in view.nodes_of(hosts, role="host"):
        disk = row.metrics.get("disk_used_pct")
        if disk is not None:
            verdict = CONFIRMS if disk >= DISK_FULL_PCT else CONTEXT
            found.append(
                _node(
                    row,
                    "disk_used_pct",
                    disk,
                    f">= {DISK_FULL_PCT:.0f} %",
                    verdict,
                    "disk usage of the NameNode host",
                )
            )
    return found


def check_namenode_safemode(ctx, view):
    found = _safe_mode(view, on_note="the NameNode is in safe mode")
    live, dead = view.value("live_datanodes"), view.value("dead_datanodes")
    if live == 0:
        found.append(
            _cluster(
                view,
                "NumLiveDataNodes",
                0,
                "> 0",
                CONFIRMS,
                "no DataNode has registered",
                cause=CauseHint(
                    "no_block_reports",
                    "No DataNode has reported its blocks",
                    "With no live DataNode, no block is reported and safe mode cannot end.",
                    0.8,
                    "Start the DataNodes and check they reach the NameNode (their logs, "
                    "hdfs dfsadmin -report).",
                ),
            )
        )
    elif dead:
        found.append(
            _cluster(
                view,
                "NumDeadDataNodes",
                dead,
                "> 0",
                CONFIRMS,
                "dead DataNodes hold blocks that were never reported",
                cause=CauseHint(
                    "datanodes_missing",
                    "DataNodes missing: reported blocks stay below the safe-mode threshold",
                    f"{dead} DataNode(s) are dead, so their blocks are not reported and the ratio "
                    "stays below dfs.namenode.safemode.threshold-pct.",
                    0.65,
                    "Bring the dead DataNodes back (hdfs dfsadmin -report -dead) before leaving "
                    "safe mode.",
                ),
            )
        )
    missing = view.value("missing_blocks")
    if missing:
        found.append(
            _cluster(
                view,
                "MissingBlocks",
                missing,
                "> 0",
                CONTEXT,
                "blocks with no replica: understand them before -safemode leave",
            )
        )
    return found


def check_hdfs_write_no_datanodes(ctx, view):
    found = []
    live = view.value("live_datanodes")
    pct = _capacity_pct(view.cluster.metrics) if view.cluster else None
    if live == 0:
        found.append(
            _cluster(
                view,
                "NumLiveDataNodes",
                0,
                "> 0",
                CONFIRMS,
                "no DataNode is alive",
                cause=CauseHint(
                    "no_live_datanodes",
                    "No live DataNode",
                    "The NameNode has no live DataNode to place a block on.",
                    0.85,
                    "Start the DataNodes and check why they stopped (their logs).",
                ),
            )
        )
    if pct is not None and pct >= HDFS_FULL_PCT:
        found.append(
            _cluster(
                view,
                "capacity used %",
                round(pct, 1),
                f">= {HDFS_FULL_PCT:.0f} %",
                CONFIRMS,
                "HDFS is full",
                cause=CauseHint(
                    "hdfs_full",
                    "HDFS is full",
                    f"The cluster uses {pct:.0f} % of its capacity: no DataNode has room "
                    "for another block.",
                    0.8,
                    "Free or add capacity (hdfs dfs -du -h /, hdfs dfs -expunge, add DataNodes).",
                ),
            )
        )
    if live and (pct is None or pct < DISK_FULL_PCT):
        found.append(
            _cluster(
                view,
                "NumLiveDataNodes",
                live,
                "> 0",
                CONTRADICTS,
                "DataNodes are alive and have room: the writer probably excluded them",
                cause=CauseHint(
                    "datanodes_unreachable",
                    "The client cannot reach the DataNodes' transfer port, so all are excluded",
                    f"{live} DataNode(s) are alive with free space, yet none was chosen: "
                    "typical of a firewall, NAT or a wrong advertised hostname between client "
                    "and DataNodes.",
                    0.55,
                    "From the client host test the DataNode data port (nc -zv <datanode> 9866); "
                    "set dfs.client.use.datanode.hostname=true for NATed clients.",
                ),
            )
        )
    return found


def check_hdfs_block_missing(ctx, view):
    found = _count_check(
        view,
        "missing_blocks",
        "MissingBlocks",
        confirm_note="the NameNode counts blocks with no live replica",
        clear_note="no missing block now: the replicas came back, or the read failure was "
        "transient",
    )
    dead = view.value("dead_datanodes")
    if dead:
        found.append(
            _cluster(
                view,
                "NumDeadDataNodes",
                dead,
                "> 0",
                CONFIRMS,
                "DataNodes holding replicas are dead",
                cause=CauseHint(
                    "replicas_on_dead_datanodes",
                    "The replicas sit on dead DataNodes",
                    f"{dead} DataNode(s) are dead; blocks whose replicas were all on them "
                    "are missing until they return.",
                    0.7,
                    "Restart the dead DataNodes; missing blocks reappear once they "
                    "report (hdfs dfsadmin -report -dead).",
                ),
            )
        )
    corrupt = view.value("corrupt_blocks")
    if corrupt:
        found.append(
            _cluster(
                view,
                "CorruptBlocks",
                corrupt,
                "> 0",
                CONTEXT,
                "corrupt replicas",
                cause=CauseHint(
                    "all_replicas_corrupt",
                    "Every replica is corrupt",
                    f"{corrupt} block(s) are corrupt.",
                    0.45,
                    "List them (hdfs fsck / -list-corruptfileblocks) and restore the files "
                    "from their source.",
                ),
            )
        )
    repl_one = view.cluster.detail("MissingReplOneBlocks") if view.cluster else None
    if repl_one:
        found.append(
            _cluster(
                view,
                "MissingReplOneBlocks",
                repl_one,
                "> 0",
                CONFIRMS,
                "files with replication 1 lost their only replica",
                cause=CauseHint(
                    "replication_one",
                    "Files stored with replication 1",
                    "Their only replica was on a node that is gone.",
                    0.6,
                    "Restore those files from source and raise their replication "
                    "(hdfs dfs -setrep 3).",
                ),
            )
        )
    return found


def check_hdfs_corrupt_replica(ctx, view):
    found = []
    corrupt = view.value("corrupt_blocks")
    if corrupt is not None:
        verdict = CONFIRMS if corrupt > 0 else CONTEXT
        note = (
            "the NameNode counts corrupt replicas"
            if corrupt
            else "no corrupt block now: HDFS replaced the bad replica, or it is not reported yet"
        )
        found.append(_cluster(view, "CorruptBlocks", corrupt, "> 0", verdict, note))
    for row in view.nodes_of(_hosts(ctx), role="datanode"):
        failures = row.detail("BlockVerificationFailures", "block_verification_failures")
        if failures:
            found.append(
                _node(
                    row,
                    "BlockVerificationFailures",
                    failures,
                    "> 0",
                    CONFIRMS,
                    "the block scanner found bad replicas on this DataNode",
                )
            )
    return found


def check_hdfs_pipeline_failure(ctx, view):
    found = []
    live = view.value("live_datanodes")
    if live is not None and live <= SMALL_CLUSTER_DATANODES:
        found.append(
            _cluster(
                view,
                "NumLiveDataNodes",
                live,
                f"> {SMALL_CLUSTER_DATANODES}",
                CONFIRMS,
                "no spare DataNode to replace a failed one in the pipeline",
                cause=CauseHint(
                    "too_few_datanodes",
                    "Too few DataNodes for the replication factor",
                    f"Only {live} live DataNode(s): when one in the write pipeline fails there "
                    "is no spare to replace it.",
                    0.7,
                    "Add DataNodes, or on a small cluster set "
                    "dfs.client.block.write.replace-datanode-on-failure.policy=NEVER (or "
                    ".best-effort=true) for the clients.",
                ),
            )
        )
    elif live is not None:
        found.append(
            _cluster(
                view,
                "NumLiveDataNodes",
                live,
                f"> {SMALL_CLUSTER_DATANODES}",
                CONTEXT,
                "enough DataNodes to replace a failed one",
            )
        )
    for name, field in (
        ("NumDeadDataNodes", "dead_datanodes"),
        ("NumStaleDataNodes", "stale_datanodes"),
    ):
        value = view.value(field)
        if value:
            found.append(
                _cluster(
                    view, name, value, "> 0", CONFIRMS, "DataNodes failing or not heartbeating"
                )
            )
    return found + _jvm_findings(view.nodes_of(_hosts(ctx), role="datanode"))


def check_datanode_cluster_id_mismatch(ctx, view):
    rows = view.nodes_of(ctx.hosts, role="datanode")
    if not rows:
        if view.cluster is None:
            return []
        return [
            _cluster(
                view,
                "LiveNodes",
                "absent",
                "present",
                CONFIRMS,
                f"{ctx.host or 'the host'} is not among the NameNode's DataNodes",
            )
        ]
    found = []
    for row in rows:
        verdict = CONTRADICTS if row.state == "live" else CONFIRMS
        note = (
            "registered now: the storage was fixed"
            if row.state == "live"
            else "not a live DataNode"
        )
        found.append(_node(row, "state", row.state, "live", verdict, note))
    return found


def check_datanode_dead(ctx, view):
    found = _count_check(
        view,
        "dead_datanodes",
        "NumDeadDataNodes",
        confirm_note="the NameNode counts dead DataNodes",
        clear_note="no dead DataNode now: it has re-registered since",
    )
    stale = view.value("stale_datanodes")
    if stale:
        found.append(
            _cluster(
                view,
                "NumStaleDataNodes",
                stale,
                "> 0",
                CONFIRMS,
                "DataNodes without heartbeat for over 30 s",
            )
        )
    under = view.value("under_replicated_blocks")
    if under:
        found.append(
            _cluster(
                view,
                "UnderReplicatedBlocks",
                under,
                "> 0",
                CONTEXT,
                "re-replication of the dead node's blocks",
            )
        )
    rows = view.nodes_of(_hosts(ctx), role="datanode")
    for row in rows:
        verdict = CONFIRMS if row.state in ("dead", "stale") else CONTRADICTS
        found.append(_node(row, "state", row.state, "live", verdict, "the DataNode's state"))
        contact = row.metrics.get("last_contact_seconds")
        if contact is not None and contact >= DEAD_AFTER_SECONDS:
            found.append(
                _node(
                    row,
                    "lastContact (s)",
                    contact,
                    f">= {DEAD_AFTER_SECONDS}",
                    CONFIRMS,
                    "seconds since its last heartbeat",
                )
            )
    return found + _jvm_findings(rows) + _host_pressure(ctx, view)


def check_datanode_xceiver_limit(ctx, view):
    found = []
    for row in view.nodes_of(ctx.hosts, role="datanode"):
        active = row.detail("DataNodeActiveXceiversCount", "XceiverCount", "xceiver_count")
        if active is None:
            continue
        limit = row.detail("MaxTransferThreads", "max_transfer_threads") or XCEIVER_LIMIT
        verdict = CONFIRMS if active >= 0.9 * limit else CONTEXT
        found.append(
            _node(
                row,
                "DataNodeActiveXceiversCount",
                active,
                f">= 90 % of {limit}",
                verdict,
                "concurrent transfers on this DataNode",
            )
        )
    return found


def check_too_many_open_files(ctx, view):
    found = []
    for row in view.nodes_of(ctx.hosts):
        used = row.detail("OpenFileDescriptorCount", "open_fds")
        limit = row.detail("MaxFileDescriptorCount", "max_fds")
        if used is None or not limit:
            continue
        ratio = used / limit
        verdict = CONFIRMS if ratio >= FD_NEAR_LIMIT else CONTEXT
        found.append(
            _node(
                row,
                "OpenFileDescriptorCount/Max",
                round(ratio, 3),
                f">= {FD_NEAR_LIMIT}",
                verdict,
                f"{used} of {limit} descriptors open",
            )
        )
        if limit <= 4096:
            found.append(
                _node(
                    row,
                    "MaxFileDescriptorCount",
                    limit,
                    "> 4096",
                    CONFIRMS,
                    "a low nofile limit",
                    cause=CauseHint(
                        "low_nofile",
                        "The open-file limit is too low",
                        f"The daemon on {row.host} may open only {limit} files.",
                        0.7,
                        "Raise nofile for the hdfs/yarn users (LimitNOFILE=128000 in the "
                        "systemd unit or /etc/security/limits.d) and restart the "
                        "daemon.",
                    ),
                )
            )
    return found


def check_jvm_out_of_memory(ctx, view):
    return _jvm_findings(view.nodes_of(ctx.hosts)) + _host_pressure(ctx, view)


def check_jvm_long_pause(ctx, view):
    return _jvm_findings(view.nodes_of(ctx.hosts)) + _host_pressure(ctx, view)


def check_rpc_connection_refused(ctx, view):
    found = []
    masters = view.with_role("namenode") + view.with_role("resourcemanager")
    down = [row for row in masters if not row.reachable or row.state == "unreachable"]
    for row in down:
        found.append(
            _node(
                row,
                "reachable",
                False,
                "true",
                CONFIRMS,
                row.error or "the collector could not reach it either",
                cause=CauseHint(
                    f"daemon_down:{row.role}",
                    f"The {row.role_label} on {row.host} is down",
                    f"The collector could not reach the {row.role_label} on {row.host} either.",
                    0.75,
                    f"Check the {row.role_label} process and its listening socket on "
                    f"{row.host} (ss -ltnp); read the end of its log; restart it.",
                ),
            )
        )
    if masters and not down:
        found.append(
            Finding(
                "NameNode/ResourceManager reachable",
                True,
                "true",
                CONTRADICTS,
                "collector",
                "the masters answered the collector: they are up",
                cause=CauseHint(
                    "client_config",
                    "The client's configuration, name resolution or firewall",
                    "The NameNode and ResourceManager answer the collector, so the refusal is "
                    "specific to the client: a wrong host/port, a name resolving to 127.0.0.1, a "
                    "daemon bound to another interface, or a firewall.",
                    0.5,
                    "On the client host check fs.defaultFS / yarn.resourcemanager.address, forward "
                    "and reverse DNS (getent hosts), and the firewall towards the port.",
                ),
            )
        )
    if view.cluster and view.cluster.state == "unreachable":
        found.append(
            _cluster(
                view,
                "cluster state",
                "unreachable",
                "reachable",
                CONFIRMS,
                view.cluster.error or "the collector reached no master",
            )
        )
    return found


def check_rpc_socket_timeout(ctx, view):
    return _jvm_findings(view.nodes_of(_hosts(ctx))) + _host_pressure(ctx, view)


def _ha_findings(view: ClusterView, role: str, label: str) -> list[Finding]:
    rows = view.with_role(role)
    if not rows:
        return []
    active = [row for row in rows if row.state == "active"]
    states = ", ".join(f"{row.host}={row.state or '?'}" for row in rows)
    if len(active) == 1:
        return [
            Finding(
                f"active {label}s",
                1,
                "== 1",
                CONTEXT,
                "cluster",
                f"exactly one active now ({states}): any failover completed",
            )
        ]
    note = f"no active {label} ({states})" if not active else f"two active {label}s ({states})"
    return [Finding(f"active {label}s", len(active), "== 1", CONFIRMS, "cluster", note)]


def check_ha_zk_session_expired(ctx, view):
    found = _ha_findings(view, "namenode", "NameNode")
    found += _ha_findings(view, "resourcemanager", "ResourceManager")
    return found + _jvm_findings(view.nodes_of(ctx.hosts))


def check_journal_quorum_timeout(ctx, view):
    return _ha_findings(view, "namenode", "NameNode") + _jvm_findings(view.nodes_of(ctx.hosts))


def check_nodemanager_lost(ctx, view):
    found = _count_check(
        view,
        "nodemanagers_lost",
        "lostNodes",
        confirm_note="the ResourceManager counts LOST NodeManagers",
        clear_note="no LOST NodeManager now: it has rejoined",
    )
    for row in view.nodes_of(_hosts(ctx), role="nodemanager"):
        verdict = CONFIRMS if row.state == "LOST" else CONTRADICTS
        found.append(_node(row, "state", row.state, "RUNNING", verdict, "the NodeManager's state"))
    return found + _host_pressure(ctx, view)


def check_nodemanager_unhealthy_disks(ctx, view):
    found = _count_check(
        view,
        "nodemanagers_unhealthy",
        "unhealthyNodes",
        confirm_note="the ResourceManager counts UNHEALTHY NodeManagers",
        clear_note="no UNHEALTHY NodeManager now: the node recovered",
    )
    disk_full = None
    for row in view.nodes_of(_hosts(ctx), role="host"):
        disk = row.metrics.get("disk_used_pct")
        if disk is not None:
            disk_full = disk >= DISK_FULL_PCT
            found.append(
                _node(
                    row,
                    "disk_used_pct",
                    disk,
                    f">= {DISK_FULL_PCT:.0f} %",
                    CONFIRMS if disk_full else CONTEXT,
                    "host disk usage",
                    cause=CauseHint(
                        "local_dirs_full",
                        "YARN local/log directories full",
                        f"{row.host}'s disk is {disk:.0f} % used, over the NodeManager's 90 % "
                        "disk-health threshold.",
                        0.7,
                        f"On {row.host} find the big directories (du -hs "
                        "<nm-local-dir>/usercache/*/appcache/*), kill or clean the application "
                        "filling them, and remove old container logs.",
                    )
                    if disk_full
                    else None,
                )
            )
    for row in view.nodes_of(_hosts(ctx), role="nodemanager"):
        verdict = CONFIRMS if row.state == "UNHEALTHY" else CONTRADICTS
        found.append(_node(row, "state", row.state, "RUNNING", verdict, "the NodeManager's state"))
        if row.health_report:
            cause = None
            if "are bad" in row.health_report and disk_full is False:
                cause = CauseHint(
                    "failed_disk",
                    "A failed local disk",
                    "The health report calls directories bad while the disk is not full.",
                    0.55,
                    f"Check the disk and mount on {row.host} (dmesg, SMART); remove it from "
                    "yarn.nodemanager.local-dirs or replace it.",
                )
            found.append(
                _node(
                    row,
                    "healthReport",
                    row.health_report[:300],
                    "",
                    CONTEXT,
                    "the NodeManager's own health report",
                    cause=cause,
                )
            )
    return found


CHECKS: dict[str, Check] = {
    name.removeprefix("check_"): function
    for name, function in list(globals().items())
    if name.startswith("check_") and callable(function)
}


def metric_findings(ctx: DiagnosisContext, code: str) -> list[Finding]:
    if ctx.cluster is None or code not in CHECKS:
        return []
    return CHECKS[code](ctx, ctx.cluster)
