"""Cluster-status snapshots every 15-30 minutes: the cluster row, one row per daemon, and the
host metrics that scripts push. The numbers follow the story in scenario.py."""

import math
import random

from cluster.models import ClusterStatus
from demo import scenario as sc
from demo.topology import (
    DATANODE_CAPACITY_BYTES,
    HOSTS,
    NODEMANAGER_MEMORY_MB,
    NODEMANAGER_VCORES,
    WORKERS,
    host,
)

Role = ClusterStatus.Role
DEMO = ClusterStatus.Source.DEMO
BLOCKS_AT_START = 2_104_000
FILES_AT_START = 1_452_000
APPS_SUBMITTED_AT_START = 31_200


class Snapshots:
    def __init__(self, week, rng: random.Random):
        self.week = week
        self.rng = rng
        # Each DataNode sits a little above or below the cluster's fill level; dn06 carries the
        # YARN-heavy jobs' output and is the fullest.
        self.offsets = {w.short: rng.uniform(-0.025, 0.02) for w in WORKERS}
        self.offsets["dn06"] = 0.045
        self.apps_submitted = APPS_SUBMITTED_AT_START
        self.apps_failed = 612
        self.apps_killed = 148
        self.last_hours = 0.0

    # --- the story's numbers ---------------------------------------------------------------

    def fill(self, hours: float) -> float:
        """The cluster's HDFS fill level: 66 % creeping to 76 % over the week."""
        return 0.66 + 0.10 * hours / sc.WEEK_HOURS + self.rng.uniform(-0.002, 0.002)

    def blocks(self, hours: float) -> int:
        return int(BLOCKS_AT_START + 61_000 * hours / sc.WEEK_HOURS)

    def under_replicated(self, hours: float, blocks: int) -> int:
        if sc.DN04_DECLARED_DEAD <= hours < sc.DN04_BACK:
            # dn04 held a ninth of the replicas; re-replication works the backlog down.
            since = hours - sc.DN04_DECLARED_DEAD
            return int(blocks / 3 * math.exp(-since / 1.2))
        if sc.DN04_BACK <= hours < sc.DN04_BACK + 0.5:
            return self.rng.randint(200, 4000)
        return self.rng.randint(0, 12)

    def yarn_load(self, hours: float) -> float:
        hour = self.week.local_hour(hours)
        if 1 <= hour < 5:
            return min(0.97, self.rng.gauss(0.86, 0.05))
        if 9 <= hour < 18:
            return max(0.2, self.rng.gauss(0.55, 0.08))
        return max(0.05, self.rng.gauss(0.25, 0.06))

    def nn01_disk(self, hours: float) -> float:
        """nn01's metadata volume fills with audit logs until safe mode, then is cleaned."""
        if hours < sc.SAFE_MODE[0]:
            return 82 + 17.5 * hours / sc.SAFE_MODE[0]
        if sc.safe_mode(hours):
            return 99.9
        return 61 + 4 * (hours - sc.SAFE_MODE[1]) / sc.WEEK_HOURS

    # --- rows --------------------------------------------------------------------------------

    def rows(self, number: int, hours: float) -> list[ClusterStatus]:
        rng = self.rng
        at = self.week.at(hours).replace(microsecond=0)
        cid = f"demo-{number:05d}"
        common = {"collection_id": cid, "collected_at": at, "source": DEMO}
        rows: list[ClusterStatus] = []

        # HDFS, per DataNode as the active NameNode's LiveNodes/DeadNodes report them
        fill = self.fill(hours)
        blocks = self.blocks(hours)
        live = stale = dead = 0
        used_total = remaining_total = capacity_total = non_dfs_total = 0
        for worker in WORKERS:
            state = sc.datanode_state(worker.short, hours)
            row = ClusterStatus(
                **common, scope="node", host=worker.name, role=Role.DATANODE, state=state
            )
            if state == "dead":
                dead += 1
                row.reachable = False
                row.last_contact_seconds = int((hours - sc.DN04_DIES) * 3600)
                row.error = "DataNode is in the NameNode's DeadNodes list."
            else:
                live += state == "live"
                stale += state == "stale"
                used = int(DATANODE_CAPACITY_BYTES * (fill + self.offsets[worker.short]))
                non_dfs = int(DATANODE_CAPACITY_BYTES * 0.021)
                remaining = DATANODE_CAPACITY_BYTES - used - non_dfs
                row.capacity_total_bytes = DATANODE_CAPACITY_BYTES
                row.capacity_used_bytes = used
                row.capacity_used_non_dfs_bytes = non_dfs
                row.capacity_remaining_bytes = remaining
                row.capacity_used_pct = round(used / (used + remaining) * 100, 2)
                row.volume_failures = 0
                row.last_contact_seconds = (
                    int((hours - sc.DN04_DIES) * 3600) if state == "stale" else rng.randint(0, 2)
                )
                row.details = {
                    "num_blocks": blocks * 3 // 9 + rng.randint(-9000, 9000),
                    "xceivers": rng.randint(4, 90),
                    "admin_state": "In Service",
                    "version": "3.3.6",
                }
                used_total += used
                remaining_total += remaining
                capacity_total += DATANODE_CAPACITY_BYTES
                non_dfs_total += non_dfs
            rows.append(row)

        # NameNodes
        active = sc.active_namenode(hours)
        for short in ("nn01", "nn02"):
            up = sc.namenode_up(short, hours)
            row = ClusterStatus(
                **common,
                scope="node",
                host=host(short).name,
                role=Role.NAMENODE,
                state=("active" if short == active else "standby") if up else "unreachable",
                reachable=up,
            )
            if up:
                row.details = {
                    "heap_used_mb": rng.randint(9000, 13500),
                    "heap_max_mb": 16384,
                    "rpc_queue_time_avg_ms": round(rng.uniform(0.2, 4.0), 2),
                    "version": "3.3.6",
                }
            else:
                row.error = (
                    f"NameNode http://{host(short).name}:9870/jmx unreachable: "
                    "[Errno 111] Connection refused"
                )
            rows.append(row)

        # YARN, per NodeManager
        load = self.yarn_load(hours)
        healthy = [w for w in WORKERS if sc.nodemanager_state(w.short, hours) == "RUNNING"]
        allocated_total = containers_total = vcores_allocated_total = 0
        for worker in WORKERS:
            state = sc.nodemanager_state(worker.short, hours)
            node_load = 0.0 if state != "RUNNING" else min(1.0, max(0.0, rng.gauss(load, 0.07)))
            containers = int(NODEMANAGER_MEMORY_MB * node_load / 2048)
            memory = containers * 2048
            vcores = min(NODEMANAGER_VCORES, containers)
            allocated_total += memory
            containers_total += containers
            vcores_allocated_total += vcores
            rows.append(
                ClusterStatus(
                    **common,
                    scope="node",
                    host=worker.name,
                    role=Role.NODEMANAGER,
                    state=state,
                    memory_total_mb=NODEMANAGER_MEMORY_MB,
                    memory_allocated_mb=memory,
                    memory_available_mb=NODEMANAGER_MEMORY_MB - memory,
                    vcores_total=NODEMANAGER_VCORES,
                    vcores_allocated=vcores,
                    vcores_available=NODEMANAGER_VCORES - vcores,
                    containers_allocated=containers,
                    health_report=(
                        "1/1 local-dirs usable space is below configured utilization "
                        "percentage/no more usable space [ /data/yarn/local : used space above "
                        "threshold of 90.0% ] ; 1/1 log-dirs usable space is below configured "
                        "utilization percentage/no more usable space [ /data/yarn/log : used "
                        "space above threshold of 90.0% ] "
                        if state == "UNHEALTHY"
                        else ""
                    ),
                )
            )
        # Applications: submissions follow the load; a few fail or are killed.
        elapsed = max(0.0, hours - self.last_hours)
        self.last_hours = hours
        self.apps_submitted += int(elapsed * 16 * self.week.activity(hours) + rng.random())
        self.apps_failed += rng.random() < 0.15
        self.apps_killed += rng.random() < 0.05
        running = max(1, int(load * 28 + rng.randint(-2, 2)))
        pending = rng.randint(2, 12) if load > 0.8 else rng.randint(0, 2)
        memory_total = NODEMANAGER_MEMORY_MB * len(healthy)
        vcores_total = NODEMANAGER_VCORES * len(healthy)
        rows.append(
            ClusterStatus(
                **common,
                scope="node",
                host=host("rm01").name,
                role=Role.RESOURCEMANAGER,
                state="active",
                details={"ha_state": "ACTIVE", "version": "3.3.6"},
            )
        )

        # The cluster row: what the dashboard headline shows
        safe = sc.safe_mode(hours)
        corrupt = 2 if sc.DN08_BAD_REPLICA <= hours < sc.DN08_BAD_REPLICA + 3 else 0
        pct = used_total / (used_total + remaining_total) * 100
        unhealthy = len(WORKERS) - len(healthy)
        nn_down = not all(sc.namenode_up(s, hours) for s in ("nn01", "nn02"))
        if safe:
            state = "critical"
        elif dead or stale or unhealthy or corrupt or pct >= 75 or nn_down:
            state = "warning"
        else:
            state = "ok"
        rows.append(
            ClusterStatus(
                **common,
                scope="cluster",
                host="",
                role=Role.CLUSTER,
                state=state,
                error="NameNode nn01.hdp.example unreachable: [Errno 111] Connection refused"
                if nn_down
                else "",
                capacity_total_bytes=capacity_total,
                capacity_used_bytes=used_total,
                capacity_remaining_bytes=remaining_total,
                capacity_used_non_dfs_bytes=non_dfs_total,
                capacity_used_pct=round(pct, 2),
                live_datanodes=live,
                dead_datanodes=dead,
                stale_datanodes=stale,
                decommissioning_datanodes=0,
                volume_failures=0,
                missing_blocks=0,
                corrupt_blocks=corrupt,
                under_replicated_blocks=self.under_replicated(hours, blocks),
                pending_deletion_blocks=rng.randint(0, 2500),
                blocks_total=blocks,
                files_total=int(FILES_AT_START + 40_000 * hours / sc.WEEK_HOURS),
                safe_mode=safe,
                active_namenode=host(active).name,
                apps_submitted=self.apps_submitted,
                apps_running=running,
                apps_pending=pending,
                apps_completed=self.apps_submitted
                - running
                - pending
                - self.apps_failed
                - self.apps_killed,
                apps_failed=self.apps_failed,
                apps_killed=self.apps_killed,
                memory_total_mb=memory_total,
                memory_allocated_mb=allocated_total,
                memory_available_mb=memory_total - allocated_total,
                vcores_total=vcores_total,
                vcores_allocated=vcores_allocated_total,
                vcores_available=vcores_total - vcores_allocated_total,
                containers_allocated=containers_total,
                containers_pending=pending * rng.randint(4, 20),
                nodemanagers_total=len(WORKERS),
                nodemanagers_active=len(healthy),
                nodemanagers_lost=0,
                nodemanagers_unhealthy=unhealthy,
                nodemanagers_decommissioned=0,
            )
        )

        # Host metrics pushed by a script on every node (their own collection)
        for me in HOSTS:
            busy = load if me.is_worker else rng.uniform(0.1, 0.3)
            if me.short == "nn01":
                disk = self.nn01_disk(hours)
            elif me.short == "dn06":
                disk = 93.5 if hours >= sc.DN06_UNHEALTHY_FROM else 70 + 18 * hours / sc.WEEK_HOURS
            else:
                disk = 100 * fill + self.offsets.get(me.short, 0) * 100 - 8
            cpu = max(1.0, min(100.0, rng.gauss(busy * 85, 6)))
            load_1m = round(cpu / 100 * 32 * rng.uniform(0.8, 1.2), 2)
            rows.append(
                ClusterStatus(
                    collection_id=f"demo-h{number:05d}",
                    collected_at=at,
                    source=DEMO,
                    scope="node",
                    host=me.name,
                    role=Role.HOST,
                    state="up",
                    cpu_pct=round(cpu, 1),
                    memory_used_pct=round(min(99.0, rng.gauss(55 + busy * 35, 3)), 1),
                    disk_used_pct=round(disk, 1),
                    load_1m=load_1m,
                    load_5m=round(load_1m * rng.uniform(0.85, 1.1), 2),
                    load_15m=round(load_1m * rng.uniform(0.8, 1.05), 2),
                )
            )
        return rows


def snapshot_times(week, rng: random.Random) -> list[float]:
    """Collection times (hours into the week): every 15-30 minutes, the last one just now."""
    times, hours = [], rng.uniform(0, 0.25)
    while hours < sc.WEEK_HOURS - 0.25:
        times.append(hours)
        hours += rng.uniform(0.25, 0.5)
    times.append(sc.WEEK_HOURS - 1 / 60)
    return times
