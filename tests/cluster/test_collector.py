"""The collector against real HTTP servers answering like Hadoop 3 daemons; the rows it stores."""

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError

from cluster.models import ClusterStatus
from cluster.services import cluster_status_collect
from tests.cluster.fake_hadoop import (
    GB,
    SilentServer,
    closed_port_url,
    dead_node,
    live_node,
    namenode_beans,
    rm_info,
    rm_metrics,
    rm_node,
    rm_nodes,
)

pytestmark = pytest.mark.django_db

DATANODES = [
    live_node("dn01.example.com", last_contact=1, used=410 * GB, remaining=540 * GB),
    live_node("dn02.example.com", last_contact=2, volfails=1),
    live_node("dn03.example.com", last_contact=47),  # stale: no heartbeat for 47 s
    live_node("dn04.example.com", admin_state="Decommission In Progress"),
]
DEAD = [
    dead_node("dn05.example.com", last_contact=1260),
    dead_node("dn06.example.com", last_contact=86400, decommissioned=True),
]
NODEMANAGERS = [
    rm_node("dn01.example.com"),
    rm_node("dn02.example.com", used_mb=8192, containers=3),
    rm_node("dn03.example.com", state="LOST"),
    rm_node(
        "dn04.example.com",
        state="UNHEALTHY",
        health_report="1/1 local-dirs usable space is below configured utilization percentage",
    ),
]


def rows(role: str) -> dict[str, ClusterStatus]:
    return {r.host: r for r in ClusterStatus.objects.filter(role=role)}


@pytest.fixture
def ha_cluster(daemon):
    """Two NameNodes (nn1 standby, nn2 active) and two ResourceManagers (rm1 standby)."""
    nn1, nn2, rm1, rm2 = daemon(), daemon(), daemon(), daemon()
    # The standby's figures lag: they must not end up in the cluster row.
    nn1.beans = namenode_beans(
        state="standby", host="nn1.example.com", live=DATANODES[:2], capacity_used=1 * GB
    )
    nn2.beans = namenode_beans(
        state="active",
        host="nn2.example.com",
        live=DATANODES,
        dead=DEAD,
        decom={"dn04.example.com:9866": {"xferaddr": "10.0.0.1:9866", "underReplicatedBlocks": 7}},
        stale=1,
        under_replicated=35,
        corrupt_blocks=2,
    )
    rm1.serve("/ws/v1/cluster/info", rm_info("STANDBY"))
    rm1.redirect("/ws/v1/cluster/metrics", rm2.url + "/ws/v1/cluster/metrics")
    rm1.redirect("/ws/v1/cluster/nodes", rm2.url + "/ws/v1/cluster/nodes")
    rm2.serve("/ws/v1/cluster/info", rm_info("ACTIVE"))
    rm2.serve("/ws/v1/cluster/metrics", rm_metrics(nodes=NODEMANAGERS))
    rm2.serve("/ws/v1/cluster/nodes", rm_nodes(NODEMANAGERS))
    return {"nn1": nn1, "nn2": nn2, "rm1": rm1, "rm2": rm2}


def collect(namenodes, resourcemanagers=(), timeout=2.0):
    return cluster_status_collect(
        namenode_urls=[d if isinstance(d, str) else d.url for d in namenodes],
        resourcemanager_urls=[d if isinstance(d, str) else d.url for d in resourcemanagers],
        timeout=timeout,
    )


def test_ha_cluster_figures_come_from_the_active_namenode_and_resourcemanager(ha_cluster):
    c = ha_cluster
    collection = collect([c["nn1"], c["nn2"]], [c["rm1"], c["rm2"]])

    cluster = ClusterStatus.objects.get(scope="cluster")
    assert cluster.collection_id == collection.collection_id
    assert cluster.reachable is True and cluster.error == ""
    assert cluster.active_namenode == c["nn2"].host
    assert cluster.details["namenodes"] == {c["nn1"].host: "standby", c["nn2"].host: "active"}
    assert cluster.details["resourcemanagers"] == {
        c["rm1"].host: "standby",
        c["rm2"].host: "active",
    }
    # HDFS figures of the active NameNode (the standby said 1 GB used).
    assert cluster.capacity_total_bytes == 3000 * GB
    assert cluster.capacity_used_bytes == 1200 * GB
    assert cluster.capacity_remaining_bytes == 1650 * GB
    assert cluster.capacity_used_non_dfs_bytes == 150 * GB
    assert cluster.capacity_used_pct == pytest.approx(1200 / 2850 * 100, abs=0.01)
    assert (cluster.live_datanodes, cluster.dead_datanodes, cluster.stale_datanodes) == (4, 2, 1)
    assert cluster.decommissioning_datanodes == 1
    assert cluster.volume_failures == 1
    assert (cluster.missing_blocks, cluster.corrupt_blocks) == (0, 2)
    assert cluster.under_replicated_blocks == 35
    assert cluster.safe_mode is False
    # YARN figures of the active ResourceManager.
    assert (cluster.apps_running, cluster.apps_failed, cluster.apps_submitted) == (4, 1, 120)
    assert cluster.memory_total_mb == (4096 + 12288) + (8192 + 12288)
    assert cluster.memory_allocated_mb == 4096 + 8192
    assert cluster.vcores_total == 16
    assert (cluster.nodemanagers_total, cluster.nodemanagers_active) == (4, 2)
    assert (cluster.nodemanagers_lost, cluster.nodemanagers_unhealthy) == (1, 1)
    assert cluster.details["yarn"]["memory_pending_mb"] == 2048
    # A dead DataNode (1 of 5: major), a lost and an unhealthy NodeManager, a stale DataNode.
    assert cluster.state == "warning"

    # Every row of the snapshot shares its id and time.
    assert set(ClusterStatus.objects.values_list("collection_id", "collected_at")) == {
        (collection.collection_id, collection.collected_at)
    }


def test_ha_namenode_and_resourcemanager_rows_record_each_state(ha_cluster):
    c = ha_cluster
    collect([c["nn1"], c["nn2"]], [c["rm1"], c["rm2"]])
    namenodes = list(ClusterStatus.objects.filter(role="namenode").order_by("id"))
    assert [(n.state, n.reachable) for n in namenodes] == [("standby", True), ("active", True)]
    assert namenodes[1].details["host_and_port"] == "nn2.example.com:8020"
    assert namenodes[1].details["url"] == c["nn2"].url
    rms = list(ClusterStatus.objects.filter(role="resourcemanager").order_by("id"))
    assert [r.state for r in rms] == ["standby", "active"]
    # Metrics and nodes were asked of the active ResourceManager only, never via a redirect.
    assert not any("metrics" in path or "nodes" in path for path in c["rm1"].requests)
    assert any(path == "/ws/v1/cluster/metrics" for path in c["rm2"].requests)


def test_datanode_rows_from_live_and_dead_nodes(ha_cluster):
    c = ha_cluster
    collect([c["nn1"], c["nn2"]])
    datanodes = rows("datanode")
    assert {h: r.state for h, r in datanodes.items()} == {
        "dn01.example.com": "live",
        "dn02.example.com": "live",
        "dn03.example.com": "stale",
        "dn04.example.com": "decommissioning",
        "dn05.example.com": "dead",
        "dn06.example.com": "decommissioned",
    }
    dn01 = datanodes["dn01.example.com"]
    assert dn01.capacity_total_bytes == 1000 * GB
    assert dn01.capacity_used_bytes == 410 * GB
    assert dn01.capacity_remaining_bytes == 540 * GB
    assert dn01.capacity_used_pct == pytest.approx(410 / 950 * 100, abs=0.01)
    assert dn01.blocks_total == 12000 and dn01.volume_failures == 0
    assert dn01.last_contact_seconds == 1
    assert dn01.details["xfer_addr"] == "10.0.0.1:9866"
    assert datanodes["dn02.example.com"].volume_failures == 1
    assert datanodes["dn04.example.com"].details["decommission"]["under_replicated_blocks"] == 7
    dn05 = datanodes["dn05.example.com"]
    assert dn05.reachable is False and dn05.last_contact_seconds == 1260
    assert dn05.capacity_total_bytes is None  # DeadNodes does not say: NULL, not 0


def test_nodemanager_rows(ha_cluster):
    c = ha_cluster
    collect([], [c["rm1"], c["rm2"]])
    nms = rows("nodemanager")
    assert {h: r.state for h, r in nms.items()} == {
        "dn01.example.com": "RUNNING",
        "dn02.example.com": "RUNNING",
        "dn03.example.com": "LOST",
        "dn04.example.com": "UNHEALTHY",
    }
    dn02 = nms["dn02.example.com"]
    assert (dn02.memory_allocated_mb, dn02.memory_available_mb, dn02.memory_total_mb) == (
        8192,
        12288,
        20480,
    )
    assert (dn02.vcores_allocated, dn02.vcores_total, dn02.containers_allocated) == (2, 8, 3)
    assert nms["dn03.example.com"].reachable is False
    assert "local-dirs usable space" in nms["dn04.example.com"].health_report
    assert nms["dn01.example.com"].details["id"] == "dn01.example.com:45454"


def test_safe_mode_is_stored_with_its_tip(daemon):
    nn = daemon()
    tip = (
        "The reported blocks 120 needs additional 880 blocks to reach the threshold 0.9990 "
        "of total blocks 1000. Safe mode will be turned off automatically once the thresholds "
        "have been reached."
    )
    nn.beans = namenode_beans(live=DATANODES[:2], safemode_tip=tip)
    collect([nn])
    cluster = ClusterStatus.objects.get(scope="cluster")
    assert cluster.safe_mode is True
    assert cluster.details["hdfs"]["safe_mode_tip"] == tip
    assert cluster.details["hdfs"]["fs_state"] == "safeMode"
    assert ClusterStatus.objects.get(role="namenode").safe_mode is True


def test_unreachable_namenode_is_stored_as_such_without_hdfs_figures(ha_cluster):
    url = closed_port_url()
    collect([url], [ha_cluster["rm2"]])
    cluster = ClusterStatus.objects.get(scope="cluster")
    assert cluster.reachable is False
    netloc = url.removeprefix("http://")
    assert cluster.error == f"NameNode {netloc} unreachable: connection refused"
    for field in ("capacity_used_bytes", "capacity_used_pct", "live_datanodes", "missing_blocks"):
        assert getattr(cluster, field) is None, field
    assert cluster.safe_mode is None and cluster.active_namenode == ""
    assert cluster.state == "critical"
    # YARN still answered, and says so.
    assert cluster.apps_running == 4
    namenode = ClusterStatus.objects.get(role="namenode")
    assert (namenode.state, namenode.reachable) == ("unreachable", False)
    assert namenode.error == "connection refused"
    assert not ClusterStatus.objects.filter(role="datanode").exists()


def test_a_hung_namenode_times_out_and_the_other_one_still_counts(daemon):
    silent = SilentServer()
    try:
        active = daemon()
        active.beans = namenode_beans(state="active", live=DATANODES[:1])
        collect([silent.url, active.url], timeout=0.3)
    finally:
        silent.close()
    cluster = ClusterStatus.objects.get(scope="cluster")
    assert cluster.live_datanodes == 1  # figures from the active one
    assert cluster.reachable is True  # HDFS data is there; the standby's loss is in `error`
    assert "unreachable: timed out after 0.3 s" in cluster.error
    states = dict(ClusterStatus.objects.filter(role="namenode").values_list("reachable", "state"))
    assert states == {False: "unreachable", True: "active"}


def test_everything_unreachable_is_an_unreachable_snapshot():
    collect([closed_port_url()], [closed_port_url()])
    cluster = ClusterStatus.objects.get(scope="cluster")
    assert (cluster.state, cluster.reachable) == ("unreachable", False)
    assert "NameNode" in cluster.error and "ResourceManager" in cluster.error
    assert cluster.apps_running is None and cluster.capacity_total_bytes is None


def test_two_standby_namenodes_mean_no_active_namenode(daemon):
    nn1, nn2 = daemon(), daemon()
    nn1.beans = namenode_beans(state="standby", live=DATANODES)
    nn2.beans = namenode_beans(state="standby", live=DATANODES)
    collect([nn1, nn2])
    cluster = ClusterStatus.objects.get(scope="cluster")
    assert cluster.error == f"No active NameNode ({nn1.host} standby, {nn2.host} standby)"
    assert cluster.capacity_used_bytes is None and cluster.reachable is False


def test_missing_fields_are_null_never_zero(daemon):
    nn, rm = daemon(), daemon()
    nn.beans = [
        {
            "name": "Hadoop:service=NameNode,name=FSNamesystemState",
            "CapacityTotal": 100 * GB,
            "FSState": "Operational",
        },
        {"name": "Hadoop:service=NameNode,name=NameNodeStatus", "State": "active"},
    ]
    rm.serve("/ws/v1/cluster/info", {"clusterInfo": {"haState": "ACTIVE"}})
    rm.serve("/ws/v1/cluster/metrics", {"clusterMetrics": {"appsRunning": 3}})
    rm.serve("/ws/v1/cluster/nodes", {"nodes": None})  # an empty cluster writes no node array
    collect([nn], [rm])
    cluster = ClusterStatus.objects.get(scope="cluster")
    assert cluster.capacity_total_bytes == 100 * GB
    assert cluster.safe_mode is False
    for field in (
        "capacity_used_bytes",
        "capacity_used_pct",
        "missing_blocks",
        "corrupt_blocks",
        "dead_datanodes",
        "apps_failed",
        "memory_total_mb",
        "nodemanagers_lost",
    ):
        assert getattr(cluster, field) is None, field
    assert cluster.apps_running == 3
    # No NameNodeInfo: the DataNode list is unknown (said in `error`), not empty.
    assert "did not list its DataNodes" in cluster.error
    assert not ClusterStatus.objects.filter(role__in=["datanode", "nodemanager"]).exists()


def test_a_one_node_cluster_written_as_an_object_and_odd_values(daemon):
    rm = daemon()
    node = rm_node("solo.example.com")
    rm.serve("/ws/v1/cluster/info", rm_info("ACTIVE"))
    rm.serve("/ws/v1/cluster/metrics", rm_metrics(nodes=[node]))
    node["numContainers"] = "not a number"
    rm.serve("/ws/v1/cluster/nodes", {"nodes": {"node": node}})
    collect([], [rm])
    solo = ClusterStatus.objects.get(role="nodemanager")
    assert solo.host == "solo.example.com" and solo.containers_allocated is None


def test_a_non_json_answer_is_reported(daemon):
    nn = daemon()
    # What a proxy or a login page in front of the NameNode might send instead of JSON.
    nn.routes["/jmx"] = (200, "<html><body>Please log in</body></html>", {})
    collect([nn])
    assert "unreachable: answer is not JSON" in ClusterStatus.objects.get(scope="cluster").error


# --- The command ------------------------------------------------------------------------------


def test_the_command_collects_once_and_prints_one_line(ha_cluster, capsys):
    c = ha_cluster
    call_command(
        "collect_cluster_status",
        "--namenode",
        c["nn1"].url,
        "--namenode",
        c["nn2"].url,
        "--resourcemanager",
        c["rm1"].url,
        "--resourcemanager",
        c["rm2"].url,
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    assert "state=warning" in lines[0] and "dead=2" in lines[0] and "lost=1" in lines[0]
    assert ClusterStatus.objects.filter(scope="cluster").count() == 1


def test_the_command_defaults_to_the_settings(ha_cluster, settings, capsys):
    settings.NAMENODE_URLS = [ha_cluster["nn2"].url]
    settings.RESOURCEMANAGER_URLS = [ha_cluster["rm2"].url]
    call_command("collect_cluster_status")
    cluster = ClusterStatus.objects.get(scope="cluster")
    assert cluster.live_datanodes == 4 and cluster.apps_running == 4


def test_the_command_needs_something_to_collect(settings):
    settings.NAMENODE_URLS, settings.RESOURCEMANAGER_URLS = [], []
    with pytest.raises(CommandError, match="Nothing to collect"):
        call_command("collect_cluster_status")


def test_the_loop_survives_a_failed_collection(ha_cluster, monkeypatch, capsys):
    from cluster.management.commands import collect_cluster_status as command

    real = command.cluster_status_collect
    calls = []

    def first_one_fails(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("(2013, 'Lost connection to MySQL server during query')")
        return real(**kwargs)

    monkeypatch.setattr(command, "cluster_status_collect", first_one_fails)
    call_command(
        "collect_cluster_status",
        "--namenode",
        ha_cluster["nn2"].url,
        "--every",
        "0.05",
        "--count",
        "3",
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert "collection failed: OperationalError" in lines[0]
    assert all("state=" in line for line in lines[1:])
    assert ClusterStatus.objects.filter(scope="cluster").count() == 2
