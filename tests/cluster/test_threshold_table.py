"""Thresholds as data: one admin-editable row per metric fault type, with a duration.

Through the collector against fake daemons and the host-metrics API, as the portal runs them:
an operator's edit applies at the next collection, a spike shorter than the duration raises
nothing, a sustained breach does, and the new metrics (corrupt blocks, NameNode heap, no active
ResourceManager, pushed host metrics) raise their faults.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from cluster.models import MetricThreshold, ThresholdBreach
from cluster.services import host_metrics_push
from cluster.thresholds import METRIC_FAULT_CODES
from diagnosis.models import FaultRecord, FaultType
from tests.cluster.fake_hadoop import rm_info
from tests.cluster.test_thresholds import Cluster, faults

pytestmark = pytest.mark.django_db


@pytest.fixture
def cluster(daemon):
    return Cluster(daemon)


def threshold(code: str) -> MetricThreshold:
    return MetricThreshold.objects.select_related("fault_type").get(fault_type__code=code)


def at(monkeypatch, moment):
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_every_metric_fault_type_has_exactly_one_threshold_row():
    codes = set(MetricThreshold.objects.values_list("fault_type__code", flat=True))
    assert codes == set(METRIC_FAULT_CODES)
    capacity = threshold("hdfs_capacity_high")
    assert (capacity.raise_at, capacity.critical_at) == (75, 80)  # Ambari's defaults


def test_an_edit_in_the_admin_applies_at_the_next_collection(cluster, client):
    operator = User.objects.create_user("op", is_staff=True)
    operator.groups.add(Group.objects.get(name="operator"))
    client.force_login(operator)
    cluster.hdfs(capacity_used=1200 * 2**30, capacity_remaining=1650 * 2**30)  # 42 % used
    cluster.collect()
    assert not faults()

    row = threshold("hdfs_capacity_high")
    url = reverse("admin:cluster_metricthreshold_change", args=[row.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"raise_at": "40", "critical_at": "80", "duration_minutes": "0"}, follow=True
    )
    assert response.status_code == 200
    assert threshold("hdfs_capacity_high").raise_at == 40

    cluster.collect()  # same process, no restart: the new limit is read
    (fault,) = faults().values()
    assert fault.fault_type.code == "hdfs_capacity_high" and fault.severity == "warning"
    assert "raised at 40 %" in fault.latest_sample


def test_the_admin_refuses_a_raise_value_above_the_critical_one(client):
    client.force_login(User.objects.create_superuser("root", password="x"))
    row = threshold("hdfs_capacity_high")
    url = reverse("admin:cluster_metricthreshold_change", args=[row.pk])
    response = client.post(url, {"raise_at": "90", "critical_at": "80", "duration_minutes": "0"})
    assert response.status_code == 200  # the form again, with the error
    assert b"must not exceed the critical value" in response.content
    assert threshold("hdfs_capacity_high").raise_at == 75


def test_a_viewer_sees_thresholds_and_cannot_change_them(client):
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.groups.add(Group.objects.get(name="viewer"))
    client.force_login(viewer)
    row = threshold("hdfs_capacity_high")
    assert client.get(reverse("admin:cluster_metricthreshold_changelist")).status_code == 200
    url = reverse("admin:cluster_metricthreshold_change", args=[row.pk])
    client.post(url, {"raise_at": "1", "critical_at": "2", "duration_minutes": "0"})
    assert threshold("hdfs_capacity_high").raise_at == 75


def test_a_two_minute_spike_under_a_five_minute_duration_raises_nothing(cluster, monkeypatch):
    MetricThreshold.objects.filter(fault_type__code="hdfs_corrupt_blocks").update(
        duration_minutes=5
    )
    start = timezone.now()
    for minute in range(3):  # in breach at 0, 1, 2 min
        at(monkeypatch, start + timedelta(minutes=minute))
        cluster.hdfs(corrupt_blocks=4)
        cluster.collect()
    at(monkeypatch, start + timedelta(minutes=3))
    cluster.hdfs()  # back to 0 before five minutes passed
    cluster.collect()
    assert not FaultRecord.objects.filter(fault_type__code="hdfs_corrupt_blocks").exists()
    assert not ThresholdBreach.objects.exists()  # the clock stopped

    # The same breach, sustained: raised once it has lasted five minutes, not before.
    restart = start + timedelta(minutes=10)
    for minute in range(7):
        at(monkeypatch, restart + timedelta(minutes=minute))
        cluster.hdfs(corrupt_blocks=4)
        cluster.collect()
        raised = FaultRecord.objects.filter(fault_type__code="hdfs_corrupt_blocks").exists()
        assert raised == (minute >= 5), minute
    fault = FaultRecord.objects.get(fault_type__code="hdfs_corrupt_blocks")
    assert fault.title == "4 corrupt HDFS blocks"
    at(monkeypatch, restart + timedelta(minutes=8))
    cluster.hdfs()
    cluster.collect()
    fault.refresh_from_db()
    assert fault.status == "resolved"


def test_namenode_heap_past_the_threshold_for_its_duration_raises_a_fault(cluster, monkeypatch):
    start = timezone.now()
    for minute in (0, 5, 10):
        at(monkeypatch, start + timedelta(minutes=minute))
        cluster.hdfs(heap_used_m=3900.0, heap_max_m=4096.0)  # 95 %
        cluster.collect()
    (fault,) = FaultRecord.objects.filter(fault_type__code="namenode_heap_high")
    assert fault.severity == "critical" and fault.host == cluster.nn.host
    assert "heap 95 % used" in fault.title


def test_resourcemanagers_that_answer_with_none_active_raise_no_active(cluster):
    cluster.rm.serve("/ws/v1/cluster/info", rm_info("STANDBY"))
    collection = cluster.collect()
    assert "resourcemanager_no_active" in {b.code for b in collection.evaluation.breaches}
    assert FaultRecord.objects.filter(fault_type__code="resourcemanager_no_active").exists()
    cluster.rm.serve("/ws/v1/cluster/info", rm_info("ACTIVE"))
    cluster.collect()
    fault = FaultRecord.objects.get(fault_type__code="resourcemanager_no_active")
    assert fault.status == "resolved"


def test_pushed_host_metrics_raise_and_clear_per_host(monkeypatch):
    start = timezone.now()
    for minute in range(0, 7):  # disk: 5 minutes by default
        at(monkeypatch, start + timedelta(minutes=minute))
        host_metrics_push(host="dn01", metrics={"disk_used_pct": 93.0, "cpu_pct": 20.0})
        host_metrics_push(host="dn02", metrics={"disk_used_pct": 40.0})
    (fault,) = FaultRecord.objects.all()
    assert (fault.fault_type.code, fault.host, fault.severity) == (
        "host_disk_high",
        "dn01",
        "critical",
    )
    # dn02's pushes speak for dn02 only: they never cleared dn01's fault.
    assert fault.status != "resolved"
    at(monkeypatch, start + timedelta(minutes=8))
    host_metrics_push(host="dn01", metrics={"disk_used_pct": 50.0})
    fault.refresh_from_db()
    assert fault.status == "resolved"


def test_a_disabled_host_metric_type_raises_nothing():
    FaultType.objects.filter(code="host_memory_high").update(enabled=False)
    MetricThreshold.objects.filter(fault_type__code="host_memory_high").update(duration_minutes=0)
    host_metrics_push(host="dn01", metrics={"memory_used_pct": 99.0})
    assert not FaultRecord.objects.exists()
