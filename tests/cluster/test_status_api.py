"""GET/POST /api/cluster/status and GET /api/cluster/status/history: answers, validation, access."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from cluster.models import ClusterStatus
from tests.cluster.snapshots import store_snapshot

pytestmark = pytest.mark.django_db

URL = "/api/cluster/status"


def client_with(token: str | None = None) -> APIClient:
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def reader(make_token):
    return client_with(make_token("read"))


@pytest.fixture
def pusher(make_token):
    return client_with(make_token("ingest"))


# --- GET --------------------------------------------------------------------------------------


def test_the_latest_snapshot_with_summary_nodes_and_age(reader):
    store_snapshot(at=timezone.now() - timedelta(minutes=30), live=1)
    store_snapshot(at=timezone.now() - timedelta(seconds=20), datanodes=3, live=2)
    body = reader.get(URL).json()

    assert 20 <= body["age_seconds"] < 60 and body["stale"] is False
    assert body["stale_after_seconds"] == 300
    cluster = body["cluster"]
    assert cluster["state"] == "ok" and cluster["reachable"] is True
    hdfs = cluster["hdfs"]
    assert hdfs["active_namenode"] == "nn1.example.com"
    assert hdfs["namenodes"] == {"nn1.example.com": "active", "nn2.example.com": "standby"}
    assert hdfs["capacity"]["used_pct"] == 42.11
    assert hdfs["capacity"]["total_bytes"] == 3000 * 1024**3
    assert hdfs["datanodes"] == {"live": 2, "dead": 1, "stale": 0, "decommissioning": None}
    assert hdfs["blocks"]["missing"] == 0 and hdfs["blocks"]["pending_deletion"] is None
    assert hdfs["safe_mode"] is False
    yarn = cluster["yarn"]
    assert yarn["apps"]["running"] == 4 and yarn["apps"]["failed"] is None
    assert yarn["memory_mb"]["total"] == 49152 and yarn["vcores"]["total"] == 24
    assert yarn["nodemanagers"]["active"] == 3 and yarn["nodemanagers"]["rebooted"] == 0
    assert yarn["active_resourcemanager"] == "rm1.example.com"

    # The latest row per (role, host): the newer snapshot's.
    nodes = {(n["role"], n["host"]): n for n in body["nodes"]}
    assert len(nodes) == 2 + 3 + 3
    dn03 = nodes[("datanode", "dn03.example.com")]
    assert dn03["state"] == "dead" and dn03["reachable"] is False
    assert dn03["metrics"]["last_contact_seconds"] == 900
    assert dn03["metrics"]["capacity_used_bytes"] is None
    assert dn03["stale"] is False and dn03["age_seconds"] >= 20
    assert nodes[("datanode", "dn02.example.com")]["state"] == "live"
    assert nodes[("nodemanager", "dn01.example.com")]["metrics"]["memory_total_mb"] == 16384
    # NameNodes first, then ResourceManagers, DataNodes, NodeManagers, hosts.
    assert [n["role"] for n in body["nodes"]][:3] == ["namenode", "namenode", "datanode"]


def test_old_data_is_flagged_stale(reader, settings):
    settings.CLUSTER_STATUS_STALE_SECONDS = 60
    store_snapshot(at=timezone.now() - timedelta(minutes=5))
    body = reader.get(URL).json()
    assert body["stale"] is True and body["age_seconds"] >= 300
    assert all(node["stale"] for node in body["nodes"])


def test_no_snapshot_yet(reader):
    body = reader.get(URL).json()
    assert body["collected_at"] is None and body["cluster"] is None
    assert body["stale"] is True and body["nodes"] == []


def test_a_node_that_stopped_reporting_keeps_its_last_row_with_its_age(reader, pusher):
    store_snapshot(at=timezone.now() - timedelta(hours=3), datanodes=4)
    store_snapshot(datanodes=3)  # dn04 no longer listed
    nodes = {(n["role"], n["host"]): n for n in reader.get(URL).json()["nodes"]}
    gone = nodes[("datanode", "dn04.example.com")]
    assert gone["stale"] is True and gone["age_seconds"] >= 3 * 3600
    assert nodes[("datanode", "dn03.example.com")]["stale"] is False


@pytest.mark.parametrize(
    ("scopes", "expected"), [(None, 401), ("ingest", 403), ("read", 200), ("ingest,read", 200)]
)
def test_get_needs_the_read_scope(make_token, scopes, expected):
    response = client_with(make_token(scopes) if scopes else None).get(URL)
    assert response.status_code == expected
    if expected != 200:
        assert response.json()["status"] == expected


def test_get_with_a_staff_session_and_not_without_staff():
    client = APIClient()
    staff = User.objects.create_user("ops", password="x", is_staff=True)
    client.force_login(staff)
    assert client.get(URL).status_code == 200
    client.force_login(User.objects.create_user("guest", password="x"))
    assert client.get(URL).status_code == 403


def test_the_token_may_be_in_the_query(make_token):
    assert APIClient().get(f"{URL}?token={make_token('read')}").status_code == 200


# --- POST: pushed host metrics ------------------------------------------------------------------

METRICS = {
    "host": "dn01.example.com",
    "cpu_pct": 37.5,
    "memory_used_pct": 81.2,
    "disk_used_pct": 64,
    "load_1m": 3.2,
    "load_5m": 2.9,
    "load_15m": 2.1,
}


@pytest.mark.parametrize("path", [URL, URL + "/"])
def test_a_push_is_stored_as_a_host_row(pusher, path):
    response = pusher.post(path, METRICS, format="json")
    assert response.status_code == 201, response.content
    row = ClusterStatus.objects.get()
    assert (row.scope, row.role, row.source, row.host) == ("node", "host", "push", METRICS["host"])
    assert (row.cpu_pct, row.memory_used_pct, row.disk_used_pct) == (37.5, 81.2, 64.0)
    assert (row.load_1m, row.load_5m, row.load_15m) == (3.2, 2.9, 2.1)
    body = response.json()
    assert body["id"] == row.id and body["cpu_pct"] == 37.5 and body["role"] == "host"


def test_pushed_metrics_show_in_the_node_list(pusher, reader):
    store_snapshot()
    pusher.post(URL, METRICS, format="json")
    pusher.post(URL, {**METRICS, "cpu_pct": 99.0}, format="json")
    nodes = {(n["role"], n["host"]): n for n in reader.get(URL).json()["nodes"]}
    host = nodes[("host", "dn01.example.com")]
    assert host["metrics"]["cpu_pct"] == 99.0 and host["source"] == "push"
    assert host["metrics"]["load_15m"] == 2.1
    assert ("datanode", "dn01.example.com") in nodes  # the same host's other roles stay listed


def test_missing_metrics_stay_null(pusher):
    assert pusher.post(URL, {"host": "h1", "load_1m": 0}, format="json").status_code == 201
    row = ClusterStatus.objects.get()
    assert row.load_1m == 0.0 and row.cpu_pct is None and row.disk_used_pct is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**METRICS, "cpu_pct": 100.5}, "cpu_pct"),
        ({**METRICS, "memory_used_pct": -1}, "memory_used_pct"),
        ({**METRICS, "disk_used_pct": "full"}, "disk_used_pct"),
        ({**METRICS, "load_1m": -0.5}, "load_1m"),
        ({**METRICS, "load_5m": 1e9}, "load_5m"),
        ({**METRICS, "cpu_pct": True}, "cpu_pct"),
        ({**METRICS, "cpu_pct": "NaN"}, "cpu_pct"),
        ({**METRICS, "host": ""}, "host"),
        ({**METRICS, "host": "dn01 <script>"}, "host"),
        ({**METRICS, "host": "x" * 256}, "host"),
        ({k: v for k, v in METRICS.items() if k != "host"}, "host"),
        ({**METRICS, "cpu": 12}, "cpu"),
        ({"host": "dn01"}, "non_field_errors"),
        ({"host": "dn01", "cpu_pct": None}, "non_field_errors"),
    ],
)
def test_bad_pushes_are_refused_with_the_field_named(pusher, payload, field):
    response = pusher.post(URL, payload, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and field in body["fields"]
    assert not ClusterStatus.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("{not json", "application/json"), ("[1, 2]", "application/json"), ("cpu=1", "text/plain")],
)
def test_unreadable_pushes_get_a_json_error(pusher, body, content_type):
    response = pusher.post(URL, body, content_type=content_type)
    assert response.status_code in (400, 415)
    assert response.json()["status"] == response.status_code
    assert not ClusterStatus.objects.exists()


@pytest.mark.parametrize(("scopes", "expected"), [(None, 401), ("read", 403), ("ingest", 201)])
def test_push_needs_the_ingest_scope(make_token, scopes, expected):
    client = client_with(make_token(scopes) if scopes else None)
    assert client.post(URL, METRICS, format="json").status_code == expected


def test_a_staff_session_cannot_push():
    client = APIClient()
    client.force_login(User.objects.create_user("ops", password="x", is_staff=True))
    assert client.post(URL, METRICS, format="json").status_code == 403


# --- History ----------------------------------------------------------------------------------

HISTORY = URL + "/history"


def test_cluster_history_raw_points_include_gaps(reader):
    now = timezone.now()
    store_snapshot(at=now - timedelta(minutes=3), capacity_used_pct=40.0)
    store_snapshot(at=now - timedelta(minutes=2), capacity_used_pct=None)  # NameNode unreachable
    store_snapshot(at=now - timedelta(minutes=1), capacity_used_pct=41.5)
    store_snapshot(at=now - timedelta(days=2), capacity_used_pct=10.0)  # before `since`
    body = reader.get(HISTORY, {"metric": "capacity_used_pct", "since": "1h"}).json()
    assert body["bucket_seconds"] is None and body["host"] is None
    assert [p["value"] for p in body["points"]] == [40.0, None, 41.5]


def test_long_history_is_folded_into_buckets_keeping_the_peaks(reader):
    now = timezone.now().replace(microsecond=0)
    for minute in range(60):
        store_snapshot(at=now - timedelta(minutes=60 - minute), missing_blocks=minute % 7)
    body = reader.get(
        HISTORY,
        {
            "metric": "missing_blocks",
            "since": (now - timedelta(minutes=61)).isoformat(),
            "until": now.isoformat(),
            "points": 10,
        },
    ).json()
    assert body["bucket_seconds"] == 366 and len(body["points"]) <= 10
    assert max(p["max"] for p in body["points"]) == 6
    assert min(p["min"] for p in body["points"]) == 0
    assert sum(1 for p in body["points"] if p["value"] is not None) == len(body["points"])


def test_host_history_uses_the_role_that_carries_the_metric(reader, pusher):
    store_snapshot()
    pusher.post(URL, {"host": "dn01.example.com", "cpu_pct": 12.0}, format="json")
    pusher.post(URL, {"host": "dn02.example.com", "cpu_pct": 90.0}, format="json")
    body = reader.get(HISTORY, {"metric": "cpu_pct", "host": "dn01.example.com"}).json()
    assert body["role"] == "host" and [p["value"] for p in body["points"]] == [12.0]
    body = reader.get(HISTORY, {"metric": "memory_total_mb", "host": "dn02.example.com"}).json()
    assert body["role"] == "nodemanager" and [p["value"] for p in body["points"]] == [16384]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "metric"),
        ({"metric": "error"}, "metric"),  # a column, but not a metric
        ({"metric": "capacity_used_pct; DROP TABLE"}, "metric"),
        ({"metric": "cpu_pct"}, "host"),
        ({"metric": "missing_blocks", "host": "dn01"}, "metric"),
        ({"metric": "cpu_pct", "host": "dn01", "role": "namenode"}, "role"),
        ({"metric": "missing_blocks", "since": "yesterday"}, "since"),
        ({"metric": "missing_blocks", "since": "1h", "until": "2h"}, "since"),
        ({"metric": "missing_blocks", "points": "100000"}, "points"),
    ],
)
def test_bad_history_queries_name_the_field(reader, params, field):
    response = reader.get(HISTORY, params)
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]


def test_history_needs_the_read_scope(pusher):
    assert pusher.get(HISTORY, {"metric": "missing_blocks"}).status_code == 403
