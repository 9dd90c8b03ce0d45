"""The per-token ingest rate limit: 429 with Retry-After over the limit, never when the cache is
down, and a counter shared through the cache (Redis in production)."""

import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from faultportal import env
from logs import throttling
from logs.models import SystemLog
from logs.throttling import parse_rate

pytestmark = pytest.mark.django_db

URL = "/api/log/auto-upload"
NOW = 1_764_324_030.0  # 30 s into a minute


@pytest.fixture(autouse=True)
def fresh_counters(monkeypatch):
    monkeypatch.setattr(throttling.IngestRateThrottle, "_cache_down_until", 0.0)
    throttling._counter.clear()
    yield
    throttling._counter.clear()


@pytest.fixture
def fixed_clock(monkeypatch):
    monkeypatch.setattr(throttling, "_now", lambda: NOW)


@pytest.fixture
def locmem_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"throttle-{uuid.uuid4().hex}",
        }
    }


@pytest.fixture(params=["locmem", "redis"])
def shared_cache(request):
    request.getfixturevalue("locmem_cache" if request.param == "locmem" else "real_redis_cache")
    return request.param


def set_rate(settings, rate):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "ingest": rate}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


_client = APIClient()  # one client: each new one loads the middleware (WhiteNoise scans files)


def send(token, body="line"):
    return _client.post(f"{URL}?token={token}", data=body, content_type="text/plain")


def test_over_the_limit_is_429_with_retry_after_and_a_body(
    settings, make_token, fixed_clock, shared_cache
):
    set_rate(settings, "3/min")
    token, other = make_token("ingest"), make_token("ingest")
    assert [send(token).status_code for _ in range(3)] == [200, 200, 200]
    refused = send(token)
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled" and refused.json()["detail"]
    assert refused["Retry-After"] == "30"  # the rest of the minute
    assert SystemLog.objects.count() == 3
    # the limit is per token
    assert send(other).status_code == 200


def test_the_counter_lives_in_redis_with_an_expiry(
    settings, make_token, fixed_clock, real_redis_cache
):
    set_rate(settings, "500/min")
    token = make_token("ingest")
    for _ in range(throttling.SYNC_EVERY + 5):
        send(token)
    keys = real_redis_cache.keys("throttle:ingest:*")
    assert len(keys) == 1
    # this process added its count at its first request and after SYNC_EVERY more
    assert real_redis_cache.get(keys[0]) == throttling.SYNC_EVERY + 1
    assert 0 < real_redis_cache.ttl(keys[0]) <= 61


def test_what_other_instances_counted_is_seen(
    settings, make_token, fixed_clock, real_redis_cache, monkeypatch
):
    monkeypatch.setattr(throttling, "SYNC_SECONDS", 0.0)  # sync on every request
    set_rate(settings, "10/min")
    token = make_token("ingest")
    assert [send(token).status_code for _ in range(2)] == [200, 200]
    (key,) = real_redis_cache.keys("throttle:ingest:*")
    real_redis_cache.incr(key, 20)  # another portal instance's requests
    assert send(token).status_code == 429


def test_a_new_window_starts_a_new_count(settings, make_token, monkeypatch, locmem_cache):
    set_rate(settings, "2/min")
    token = make_token("ingest")
    monkeypatch.setattr(throttling, "_now", lambda: NOW)
    assert [send(token).status_code for _ in range(3)] == [200, 200, 429]
    monkeypatch.setattr(throttling, "_now", lambda: NOW + 60)
    assert send(token).status_code == 200


def test_with_the_cache_down_requests_pass(settings, make_token, fixed_clock):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2},
        }
    }
    set_rate(settings, "1/min")
    token = make_token("ingest")
    assert [send(token).status_code for _ in range(3)] == [200, 200, 200]
    assert SystemLog.objects.count() == 3


def test_off_disables_the_limit(settings, make_token, fixed_clock, locmem_cache):
    set_rate(settings, None)
    token = make_token("ingest")
    assert {send(token).status_code for _ in range(5)} == {200}


def test_the_default_does_not_throttle_a_busy_agent(make_token, fixed_clock, locmem_cache):
    token = make_token("ingest")
    assert {send(token).status_code for _ in range(300)} == {200}


@pytest.mark.parametrize(
    ("rate", "expected"),
    [("100000/min", (100000, 60)), ("10/s", (10, 1)), ("5/hour", (5, 3600)), ("1/day", (1, 86400))],
)
def test_parse_rate(rate, expected):
    assert parse_rate(rate) == expected


@pytest.mark.parametrize("value", ["fast", "0/min", "10/week", "-1/s", "10"])
def test_a_bad_rate_in_the_environment_stops_startup_naming_it(monkeypatch, value):
    monkeypatch.setenv("INGEST_RATE_LIMIT", value)
    with pytest.raises(ImproperlyConfigured, match="INGEST_RATE_LIMIT"):
        env.env_rate("INGEST_RATE_LIMIT", "100000/min")


def test_off_in_the_environment_means_no_limit(monkeypatch):
    monkeypatch.setenv("INGEST_RATE_LIMIT", "off")
    assert env.env_rate("INGEST_RATE_LIMIT", "100000/min") is None
