"""GET /api/cluster/status from the cache: no queries when cached, fresh after a new snapshot,
right when Redis is down."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.utils import timezone
from rest_framework.test import APIClient

from cluster import cache as status_cache
from cluster import rendering, selectors
from tests.cluster.snapshots import store_snapshot

pytestmark = pytest.mark.django_db

URL = "/api/cluster/status"


@pytest.fixture
def reader(token_client):
    return token_client("read")


def live(body) -> int:
    return body["cluster"]["hdfs"]["datanodes"]["live"]


def test_the_second_get_makes_no_database_queries(
    real_redis_cache, reader, django_assert_num_queries
):
    store_snapshot(live=3)
    first = reader.get(URL).json()  # authenticates the token (cached per process), fills Redis
    assert real_redis_cache.get(status_cache.ANSWER_KEY) is not None  # really in Redis
    with django_assert_num_queries(0):
        second = reader.get(URL)
    assert second.status_code == 200
    body = second.json()
    assert live(body) == 3 and body["cluster"] == first["cluster"]
    assert [(n["role"], n["host"], n["state"]) for n in body["nodes"]] == [
        (n["role"], n["host"], n["state"]) for n in first["nodes"]
    ]
    assert body["age_seconds"] >= first["age_seconds"]  # computed per answer, not cached


def test_the_age_is_computed_per_answer_not_cached(real_redis_cache, reader, settings):
    settings.CLUSTER_STATUS_STALE_SECONDS = 60
    store_snapshot(at=timezone.now() - timedelta(seconds=50))
    assert reader.get(URL).json()["stale"] is False
    # The cached answer ages: served later, the same cached data is stale.
    cached = status_cache.status_cached(lambda: pytest.fail("the answer should be cached"))
    later = json.loads(rendering.status_json(cached, timezone.now() + timedelta(seconds=30)))
    assert later["stale"] is True and later["age_seconds"] >= 80
    assert all(node["stale"] for node in later["nodes"])


def test_the_encoded_answer_is_the_answer_with_its_ages():
    store_snapshot(at=timezone.now() - timedelta(seconds=42), live=2)
    store_snapshot(at=timezone.now() - timedelta(hours=2), datanodes=5)  # dn04, dn05 go stale
    answer = selectors.cluster_status_latest()
    now = timezone.now()
    encoded = rendering.status_json(rendering.status_render(answer), now)
    assert json.loads(encoded) == selectors.status_with_age(answer, now=now)
    empty = {"collected_at": None, "cluster": None, "nodes": []}
    assert json.loads(rendering.status_json(rendering.status_render(empty), now)) == (
        selectors.status_with_age(empty, now=now)
    )


def test_a_new_snapshot_invalidates_the_cached_answer(
    real_redis_cache, reader, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        store_snapshot(live=3)
    assert live(reader.get(URL).json()) == 3
    assert live(reader.get(URL).json()) == 3  # cached
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        store_snapshot(datanodes=3, live=2)
    assert callbacks  # the invalidation waits for the commit
    body = reader.get(URL).json()
    assert live(body) == 2
    assert {n["host"]: n["state"] for n in body["nodes"] if n["role"] == "datanode"}[
        "dn03.example.com"
    ] == "dead"


def test_nothing_is_invalidated_before_the_commit(real_redis_cache, reader):
    store_snapshot(live=3)
    assert live(reader.get(URL).json()) == 3
    # Inside the test's transaction the new rows are not committed: on_commit has not run, and
    # the cached answer (what other connections can see) is still served.
    store_snapshot(datanodes=3, live=1)
    assert live(reader.get(URL).json()) == 3


def test_a_pushed_host_row_invalidates_it_too(
    real_redis_cache, make_token, reader, django_capture_on_commit_callbacks
):
    store_snapshot()
    assert not [n for n in reader.get(URL).json()["nodes"] if n["role"] == "host"]
    pusher = APIClient()
    pusher.credentials(HTTP_AUTHORIZATION=f"Token {make_token('ingest')}")
    with django_capture_on_commit_callbacks(execute=True):
        assert pusher.post(URL, {"host": "edge1", "cpu_pct": 5}, format="json").status_code == 201
    hosts = [n for n in reader.get(URL).json()["nodes"] if n["role"] == "host"]
    assert [h["host"] for h in hosts] == ["edge1"]


def test_an_answer_built_before_a_commit_is_not_kept_after_it(
    real_redis_cache, reader, monkeypatch, django_capture_on_commit_callbacks
):
    """A reader builds from the old rows, a snapshot commits, then the reader stores its
    answer: the next reader must still get the new snapshot."""
    store_snapshot(live=3)
    real_build = selectors.cluster_status_latest

    def build_then_a_snapshot_commits():
        answer = real_build()
        with django_capture_on_commit_callbacks(execute=True):
            store_snapshot(datanodes=3, live=1)
        return answer

    monkeypatch.setattr("cluster.api.views.cluster_status_latest", build_then_a_snapshot_commits)
    assert live(reader.get(URL).json()) == 3  # built before the commit
    monkeypatch.setattr("cluster.api.views.cluster_status_latest", real_build)
    assert live(reader.get(URL).json()) == 1


def test_with_redis_unreachable_the_answer_is_still_right(
    settings, reader, django_capture_on_commit_callbacks
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # closed port: connection refused
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
            },
        }
    }
    assert "redis" in caches["default"].__class__.__module__
    with django_capture_on_commit_callbacks(execute=True):
        store_snapshot(live=3)  # the failed invalidation must not fail the write
    response = reader.get(URL)
    assert response.status_code == 200 and live(response.json()) == 3
    with django_capture_on_commit_callbacks(execute=True):
        store_snapshot(datanodes=3, live=2)
    response = reader.get(URL)
    assert response.status_code == 200 and live(response.json()) == 2


def test_with_the_cache_turned_off_every_get_reads_the_database(
    real_redis_cache, reader, settings, django_assert_max_num_queries
):
    settings.CLUSTER_STATUS_CACHE_SECONDS = 0
    store_snapshot(live=3)
    reader.get(URL)
    with django_assert_max_num_queries(10) as queries:
        assert live(reader.get(URL).json()) == 3
    assert len(queries) >= 2  # the cluster row and the nodes, every time
    assert real_redis_cache.get(status_cache.ANSWER_KEY) is None


def test_a_staff_session_costs_its_own_two_queries_only(
    real_redis_cache, django_assert_num_queries
):
    """Sessions are read from the database (django.contrib.sessions) and so is their user: a
    cached answer costs a browser those two queries, nothing for the status itself."""
    store_snapshot()
    client = APIClient()
    client.force_login(User.objects.create_user("ops", password="x", is_staff=True))
    client.get(URL)
    with django_assert_num_queries(2) as queries:
        assert client.get(URL).status_code == 200
    tables = " ".join(q["sql"] for q in queries.captured_queries)
    assert "django_session" in tables and "auth_user" in tables
    assert "cluster_status" not in tables


def test_a_per_process_memory_cache_is_not_used(settings, reader):
    """The embedded default: the collector runs in another process and cannot invalidate a
    gunicorn worker's memory, so every answer comes from the database."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "x"}
    }
    store_snapshot(live=3)
    assert live(reader.get(URL).json()) == 3
    store_snapshot(datanodes=3, live=1)  # committed elsewhere: no invalidation reaches us
    assert live(reader.get(URL).json()) == 1
