"""/api/health: a stale cluster snapshot (the collector is down) is "degraded", never "down"."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.cluster.snapshots import store_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.CLUSTER_STATUS_STALE_SECONDS = 300


def health() -> tuple[int, dict]:
    response = APIClient().get("/api/health")
    return response.status_code, response.json()


def test_no_snapshot_yet_is_not_a_problem():
    code, body = health()
    assert (code, body["status"]) == (200, "ok")
    assert body["checks"]["collector"]["ok"] is True
    assert body["checks"]["collector"]["last_snapshot_at"] is None


def test_a_fresh_snapshot_is_ok_and_a_stale_one_is_degraded():
    store_snapshot(at=timezone.now() - timedelta(minutes=2))
    code, body = health()
    assert (code, body["status"]) == (200, "ok")
    assert 100 < body["checks"]["collector"]["age_seconds"] < 300

    store_snapshot(at=timezone.now() - timedelta(minutes=20))
    code, body = health()
    assert (code, body["status"]) == (200, "ok")  # the newest snapshot counts

    from cluster.models import ClusterStatus

    ClusterStatus.objects.update(collected_at=timezone.now() - timedelta(minutes=20))
    code, body = health()
    assert (code, body["status"]) == (200, "degraded")
    collector = body["checks"]["collector"]
    assert collector["ok"] is False and collector["stale_after_seconds"] == 300
    assert collector["age_seconds"] >= 1200
