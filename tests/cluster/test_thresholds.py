"""Thresholds → faults → recovery → resolved, through the collector against fake daemons."""

import pytest

from cluster import thresholds
from cluster.services import cluster_status_collect
from diagnosis.models import FaultRecord, FaultType
from tests.cluster.fake_hadoop import (
    GB,
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

HEALTHY_DNS = [live_node(f"dn{i:02}.example.com") for i in range(1, 6)]


def faults(**filters) -> dict[tuple[str, str], FaultRecord]:
    return {
        (f.fault_type.code, f.host): f
        for f in FaultRecord.objects.select_related("fault_type").filter(**filters)
    }


class Cluster:
    """One NameNode and one ResourceManager whose answers a test changes between collections."""

    def __init__(self, daemon):
        self.nn, self.rm = daemon(), daemon()
        self.rm.serve("/ws/v1/cluster/info", rm_info("ACTIVE"))
        self.hdfs()
        self.yarn()

    def hdfs(self, **kwargs):
        kwargs.setdefault("live", HEALTHY_DNS)
        self.nn.beans = namenode_beans(**kwargs)

    def yarn(self, nodes=None):
        nodes = nodes or [rm_node(f"dn{i:02}.example.com") for i in range(1, 6)]
        self.rm.serve("/ws/v1/cluster/metrics", rm_metrics(nodes=nodes))
        self.rm.serve("/ws/v1/cluster/nodes", rm_nodes(nodes))

    def collect(self, namenode_url=None):
        return cluster_status_collect(
            namenode_urls=[namenode_url or self.nn.url],
            resourcemanager_urls=[self.rm.url],
            timeout=2.0,
        )


@pytest.fixture
def cluster(daemon):
    return Cluster(daemon)


def test_metric_fault_types_are_in_the_catalogue():
    types = {t.code: t for t in FaultType.objects.filter(code__in=thresholds.METRIC_FAULT_CODES)}
    assert set(types) == set(thresholds.METRIC_FAULT_CODES)
    for fault_type in types.values():
        assert fault_type.patterns == ""  # never matched against log text
        assert fault_type.description and fault_type.remediation and fault_type.confirm_metrics
    precursors = set(types["datanodes_dead"].precursors.values_list("code", flat=True))
    assert {"datanode_dead", "jvm_out_of_memory"} <= precursors
    assert (
        types["nodemanagers_unhealthy"]
        .precursors.filter(code="nodemanager_unhealthy_disks")
        .exists()
    )


def test_a_healthy_cluster_raises_nothing(cluster):
    collection = cluster.collect()
    assert collection.evaluation.breaches == []
    assert collection.snapshot.cluster["state"] == "ok"
    assert not FaultRecord.objects.exists()


def test_threshold_fault_recovery_resolved(cluster):
    # 1. Trouble everywhere.
    cluster.hdfs(
        live=HEALTHY_DNS[:3],
        dead=[dead_node("dn04.example.com"), dead_node("dn05.example.com")],
        capacity_used=2400 * GB,
        capacity_remaining=500 * GB,  # 82.8 %
        missing_blocks=3,
        stale=1,
        safemode_tip="Safe mode is ON. It was turned on manually.",
    )
    cluster.yarn(
        [
            rm_node("dn01.example.com"),
            rm_node("dn02.example.com", state="LOST"),
            rm_node("dn03.example.com", state="UNHEALTHY", health_report="1/1 log-dirs are bad"),
        ]
    )
    cluster.collect()
    cluster.collect()  # still in breach: the same faults count a second occurrence
    open_faults = faults(status="open")
    assert set(open_faults) == {
        ("hdfs_capacity_high", ""),
        ("hdfs_missing_blocks", ""),
        ("namenode_safemode_on", ""),
        ("datanodes_stale", ""),
        ("datanodes_dead", "dn04.example.com"),
        ("datanodes_dead", "dn05.example.com"),
        ("nodemanagers_lost", "dn02.example.com"),
        ("nodemanagers_unhealthy", "dn03.example.com"),
    }
    assert all(f.occurrences == 2 for f in open_faults.values())
    capacity = open_faults[("hdfs_capacity_high", "")]
    assert capacity.severity == "critical" and capacity.title == "HDFS capacity 82.8 % used"
    # 2 of 5 DataNodes dead is past Ambari's 30 %: critical.
    assert open_faults[("datanodes_dead", "dn04.example.com")].severity == "critical"
    assert open_faults[("nodemanagers_unhealthy", "dn03.example.com")].latest_sample == (
        "1/1 log-dirs are bad"
    )
    assert "manually" in open_faults[("namenode_safemode_on", "")].latest_sample

    # 2. Everything recovers except dn05.
    cluster.hdfs(live=HEALTHY_DNS[:4], dead=[dead_node("dn05.example.com")])
    cluster.yarn()
    collection = cluster.collect()
    assert len(collection.applied.cleared) == 7
    resolved = faults(status="resolved")
    assert len(resolved) == 7 and ("datanodes_dead", "dn04.example.com") in resolved
    assert all(f.resolution == "recovered" and f.resolved_by == "system" for f in resolved.values())
    still = faults(status="open")
    assert set(still) == {("datanodes_dead", "dn05.example.com")}
    assert still[("datanodes_dead", "dn05.example.com")].severity == "major"  # 1 of 5 now

    # 3. The last one recovers too.
    cluster.hdfs()
    cluster.collect()
    assert not faults(status="open")


def test_capacity_warning_escalates_to_critical_and_relaxes(cluster):
    def at(used_gb):
        cluster.hdfs(capacity_used=used_gb * GB, capacity_remaining=(1000 - used_gb) * GB)
        cluster.collect()
        return FaultRecord.objects.filter(fault_type__code="hdfs_capacity_high").first()

    assert at(749) is None
    assert at(750).severity == "warning"  # 75 % exactly
    assert at(800).severity == "critical"
    assert at(790).severity == "warning"
    fault = at(700)
    assert fault.status == "resolved" and fault.occurrences == 3


def test_an_unreachable_namenode_resolves_nothing_it_cannot_see(cluster):
    cluster.hdfs(missing_blocks=4, live=HEALTHY_DNS[:4], dead=[dead_node("dn05.example.com")])
    cluster.collect()
    assert len(faults(status="open")) == 2

    collection = cluster.collect(namenode_url=closed_port_url())
    assert collection.snapshot.cluster["state"] == "critical"
    open_faults = faults(status="open")
    # The HDFS faults stay open (no data is not a recovery); the NameNode's absence is a fault.
    assert ("hdfs_missing_blocks", "") in open_faults
    assert ("datanodes_dead", "dn05.example.com") in open_faults
    unreachable = [f for (code, _), f in open_faults.items() if code == "namenode_unreachable"]
    assert len(unreachable) == 1 and unreachable[0].severity == "critical"
    assert "connection refused" in unreachable[0].title

    cluster.hdfs()  # back, healthy
    cluster.collect()
    assert not faults(status="open")
    assert faults(status="resolved", fault_type__code="namenode_unreachable")


def test_an_unreachable_resourcemanager_keeps_nodemanager_faults(cluster):
    cluster.yarn([rm_node("dn01.example.com"), rm_node("dn02.example.com", state="LOST")])
    cluster.collect()
    cluster.rm.stop()
    collection = cluster_status_collect(
        namenode_urls=[cluster.nn.url], resourcemanager_urls=[cluster.rm.url], timeout=1.0
    )
    assert collection.snapshot.cluster["reachable"] is False
    assert ("nodemanagers_lost", "dn02.example.com") in faults(status="open")
    assert faults(status="open", fault_type__code="resourcemanager_unreachable")


def test_no_active_namenode_raises_and_clears(daemon, cluster):
    standby = daemon()
    standby.beans = namenode_beans(state="standby", live=HEALTHY_DNS)
    cluster.hdfs(state="standby")
    cluster_status_collect(
        namenode_urls=[cluster.nn.url, standby.url], resourcemanager_urls=[], timeout=2.0
    )
    (fault,) = faults(status="open").values()
    assert fault.fault_type.code == "namenode_no_active" and fault.severity == "critical"
    assert "standby" in fault.title

    cluster.hdfs(state="active")
    cluster_status_collect(
        namenode_urls=[cluster.nn.url, standby.url], resourcemanager_urls=[], timeout=2.0
    )
    fault.refresh_from_db()
    assert fault.status == "resolved" and fault.resolution == "recovered"


def test_a_fault_that_comes_back_reopens_as_a_regression(cluster):
    cluster.hdfs(missing_blocks=1)
    cluster.collect()
    cluster.hdfs()
    cluster.collect()
    cluster.hdfs(missing_blocks=2)
    cluster.collect()
    fault = FaultRecord.objects.get(fault_type__code="hdfs_missing_blocks")
    assert fault.status == "open" and fault.is_regression
    assert list(fault.events.order_by("id").values_list("action", flat=True)) == [
        "opened",
        "resolved",
        "regressed",
    ]


def test_an_acknowledged_fault_is_still_resolved_on_recovery(cluster):
    from diagnosis.services import fault_acknowledge

    cluster.hdfs(missing_blocks=1)
    cluster.collect()
    fault_acknowledge(fault=FaultRecord.objects.get(), actor="alice")
    cluster.hdfs()
    cluster.collect()
    assert FaultRecord.objects.get().status == "resolved"


def test_an_ignored_fault_keeps_counting_but_stays_ignored(cluster):
    from diagnosis.services import fault_ignore

    cluster.hdfs(missing_blocks=5)
    cluster.collect()
    fault_ignore(fault=FaultRecord.objects.get(), actor="alice")
    cluster.collect()
    fault = FaultRecord.objects.get()
    assert fault.status == "ignored" and fault.occurrences == 2
    cluster.hdfs()
    cluster.collect()  # recovery does not resolve what an operator chose to ignore
    assert FaultRecord.objects.get().status == "ignored"


def test_a_disabled_or_deleted_fault_type_raises_nothing(cluster):
    FaultType.objects.filter(code="hdfs_missing_blocks").update(enabled=False)
    FaultType.objects.filter(code="namenode_safemode_on").delete()
    cluster.hdfs(missing_blocks=3, safemode_tip="Safe mode is ON. It was turned on manually.")
    collection = cluster.collect()
    # A disabled type is still judged (the snapshot says so) but raises nothing; a deleted one
    # took its threshold row with it, so there is nothing left to judge safe mode by.
    assert {b.code for b in collection.evaluation.breaches} == {"hdfs_missing_blocks"}
    assert collection.snapshot.cluster["state"] == "critical"
    assert not FaultRecord.objects.exists()
