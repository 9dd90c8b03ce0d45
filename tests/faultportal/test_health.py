"""GET /api/health reports each dependency; the database is required, the cache optional."""

import pytest
from django.db import OperationalError
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_it_reports_ok_with_the_database_and_cache_up():
    response = APIClient().get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["database"]["ok"] is True
    assert body["status"] in ("ok", "degraded")


def test_database_down_is_503(monkeypatch):
    from faultportal import health

    def broken_cursor():
        raise OperationalError('(2003, "Can\'t connect to MySQL server")')

    monkeypatch.setattr(health.connection, "cursor", broken_cursor)
    response = APIClient().get("/api/health")
    assert response.status_code == 503
    assert response.json()["status"] == "down"
    assert response.json()["checks"]["database"]["ok"] is False


def test_redis_down_is_200_with_the_cache_marked_unavailable(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2},
        }
    }
    response = APIClient().get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["cache"] == {**body["checks"]["cache"], "ok": False, "backend": "redis"}


def test_redis_up_is_reported(real_redis_cache):
    response = APIClient().get("/api/health")
    assert response.json()["checks"]["cache"]["ok"] is True
    assert response.json()["checks"]["cache"]["backend"] == "redis"


@pytest.mark.parametrize(
    ("required", "code", "status"), [(False, 200, "degraded"), (True, 503, "down")]
)
def test_a_check_an_app_registers_is_reported_and_counts(monkeypatch, required, code, status):
    """Apps above the project package add their checks from AppConfig.ready (it imports none)."""
    from faultportal import health

    monkeypatch.setattr(health, "_checks", dict(health._checks))
    health.health_check_register(
        "worker", lambda: {"ok": False, "error": "no heartbeat"}, required=required
    )
    response = APIClient().get("/api/health")
    assert response.status_code == code
    assert response.json()["status"] == status
    assert response.json()["checks"]["worker"] == {"ok": False, "error": "no heartbeat"}
    assert response.json()["checks"]["database"]["ok"] is True
