"""Turn what the daemons answered into the rows of one cluster_status snapshot.

Cluster figures come only from the active NameNode and the active ResourceManager: a standby
answers, but its block counts can lag. When no active one answered, the figures stay NULL and the
cluster row says why — a snapshot never carries numbers that look fresh but are not.
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cluster.collector import jmx, resourcemanager
from cluster.collector.jmx import NameNodeReading
from cluster.collector.resourcemanager import ResourceManagerReading
from cluster.models import HDFS_COLUMNS


@dataclass
class Snapshot:
    """The rows of one collection (not yet stored) and what could be seen."""

    cluster: dict
    nodes: list[dict]
    namenodes: list[NameNodeReading] = field(default_factory=list)
    resourcemanagers: list[ResourceManagerReading] = field(default_factory=list)
    active_namenode: NameNodeReading | None = None
    active_resourcemanager: ResourceManagerReading | None = None
    # Whether the per-node lists were read: only then can a missing node count as recovered.
    datanodes_known: bool = False
    nodemanagers_known: bool = False

    @property
    def hdfs_known(self) -> bool:
        return self.active_namenode is not None

    @property
    def yarn_known(self) -> bool:
        rm = self.active_resourcemanager
        return rm is not None and rm.metrics is not None

    def rows(self, role: str) -> list[dict]:
        return [row for row in self.nodes if row["role"] == role]


def choose_active_namenode(readings: list[NameNodeReading]) -> NameNodeReading | None:
    active = [r for r in readings if r.reachable and r.is_active]
    if active:
        return active[0]
    # A lone NameNode of a release without NameNodeStatus cannot say "active", but is.
    reachable = [r for r in readings if r.reachable]
    if len(readings) == 1 and reachable and reachable[0].state == jmx.UNKNOWN:
        return reachable[0]
    return None


def choose_active_resourcemanager(
    readings: list[ResourceManagerReading],
) -> ResourceManagerReading | None:
    reachable = [r for r in readings if r.reachable]
    for reading in reachable:
        if reading.ha_state == resourcemanager.ACTIVE:
            return reading
    # Releases without haState: the one that answers is the one to ask.
    unknown = [r for r in reachable if r.ha_state == resourcemanager.UNKNOWN]
    return unknown[0] if unknown else None


def snapshot_build(
    *,
    namenodes: list[NameNodeReading],
    resourcemanagers: list[ResourceManagerReading],
    stale_seconds: int,
) -> Snapshot:
    problems: list[str] = []
    cluster: dict = {"role": "cluster", "host": "", "details": {}}
    nodes: list[dict] = []
    snapshot = Snapshot(
        cluster=cluster, nodes=nodes, namenodes=namenodes, resourcemanagers=resourcemanagers
    )

    if namenodes:
        _add_hdfs(snapshot, problems, stale_seconds)
    if resourcemanagers:
        _add_yarn(snapshot, problems)

    hdfs_ok = not namenodes or snapshot.hdfs_known
    yarn_ok = not resourcemanagers or snapshot.yarn_known
    cluster["reachable"] = hdfs_ok and yarn_ok
    cluster["error"] = "; ".join(problems)
    return snapshot


def _add_hdfs(snapshot: Snapshot, problems: list[str], stale_seconds: int) -> None:
    cluster = snapshot.cluster
    for reading in snapshot.namenodes:
        if not reading.reachable:
            problems.append(f"NameNode {_where(reading.url)} unreachable: {reading.error}")
        snapshot.nodes.append(
            {
                "role": "namenode",
                "host": reading.host,
                "state": reading.state if reading.reachable else jmx.UNREACHABLE,
                "reachable": reading.reachable,
                "error": reading.error,
                "safe_mode": jmx.safe_mode(reading.beans) if reading.reachable else None,
                "details": jmx.namenode_details(reading),
            }
        )
    active = choose_active_namenode(snapshot.namenodes)
    snapshot.active_namenode = active
    cluster["details"]["namenodes"] = {r.host: _nn_state(r) for r in snapshot.namenodes}
    if active is None:
        for name in HDFS_COLUMNS:
            cluster[name] = None
        cluster["active_namenode"] = ""
        if any(r.reachable for r in snapshot.namenodes):
            states = ", ".join(f"{r.host} {_nn_state(r)}" for r in snapshot.namenodes)
            problems.append(f"No active NameNode ({states})")
        return
    actives = [r for r in snapshot.namenodes if r.reachable and r.is_active]
    if len(actives) > 1:
        problems.append(
            "More than one NameNode reports active: " + ", ".join(r.host for r in actives)
        )
    hdfs = jmx.hdfs_figures(active.beans)
    cluster.update(hdfs["figures"])
    cluster["active_namenode"] = active.host
    cluster["details"]["hdfs"] = hdfs["details"]
    datanodes = jmx.datanode_rows(active.beans, stale_seconds=stale_seconds)
    if datanodes is None:
        problems.append(f"NameNode {active.host} did not list its DataNodes (NameNodeInfo)")
    else:
        snapshot.datanodes_known = True
        snapshot.nodes.extend(datanodes)


def _add_yarn(snapshot: Snapshot, problems: list[str]) -> None:
    cluster = snapshot.cluster
    for reading in snapshot.resourcemanagers:
        if not reading.reachable:
            problems.append(f"ResourceManager {_where(reading.url)} unreachable: {reading.error}")
        snapshot.nodes.append(
            {
                "role": "resourcemanager",
                "host": reading.host,
                "state": reading.ha_state if reading.reachable else resourcemanager.UNREACHABLE,
                "reachable": reading.reachable,
                "error": reading.error,
                "details": resourcemanager.resourcemanager_details(reading),
            }
        )
    active = choose_active_resourcemanager(snapshot.resourcemanagers)
    snapshot.active_resourcemanager = active
    cluster["details"]["resourcemanagers"] = {
        r.host: r.ha_state if r.reachable else resourcemanager.UNREACHABLE
        for r in snapshot.resourcemanagers
    }
    if active is None:
        if any(r.reachable for r in snapshot.resourcemanagers):
            states = ", ".join(
                f"{r.host} {r.ha_state if r.reachable else 'unreachable'}"
                for r in snapshot.resourcemanagers
            )
            problems.append(f"No active ResourceManager ({states})")
        return
    if active.metrics is None:
        problems.append(
            f"ResourceManager {active.host} metrics unavailable: {active.metrics_error}"
        )
    else:
        yarn = resourcemanager.yarn_figures(active.metrics)
        cluster.update(yarn["figures"])
        cluster["details"]["yarn"] = yarn["details"]
    cluster["details"]["active_resourcemanager"] = active.host
    if active.nodes is None:
        problems.append(
            f"ResourceManager {active.host} node list unavailable: {active.nodes_error}"
        )
    else:
        snapshot.nodemanagers_known = True
        snapshot.nodes.extend(resourcemanager.nodemanager_rows(active.nodes))


def _nn_state(reading: NameNodeReading) -> str:
    return reading.state if reading.reachable else jmx.UNREACHABLE


def _where(url: str) -> str:
    return urlsplit(url).netloc or url
