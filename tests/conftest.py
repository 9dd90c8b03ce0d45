"""Shared fixtures. The suite runs on whatever DATABASE_URL / REDIS_URL say (MariaDB + Redis in
CI's first run, the embedded SQLite + memory cache in its second); tests that need a specific
real server use the fixtures below, which fail under CI=true when that server is missing.
"""

import uuid

import pytest
from django.conf import settings
from django.db import connection

from cluster.cache import status_cache_invalidate
from diagnosis.catalogue import catalogue_invalidate
from diagnosis.services import known_fingerprints_forget
from faultportal.api.authentication import clear_token_cache
from faultportal.services import api_token_create
from logs.selectors import log_unreadable_forget
from logs.sources import log_sources_forget
from logs.volume import log_volume_forget
from tests.support import services


def pytest_sessionstart(session):
    """Under CI, the configured Redis must really answer: django-redis would hide its absence."""
    if services.in_ci() and "redis" in settings.CACHES["default"]["BACKEND"].lower():
        import redis

        try:
            redis.Redis.from_url(
                settings.CACHES["default"]["LOCATION"], socket_connect_timeout=2
            ).ping()
        except Exception as exc:  # any failure: the run must stop here
            pytest.exit(f"REDIS_URL is set but Redis is unreachable: {exc}", returncode=3)


@pytest.fixture(autouse=True)
def _fast_hashing_and_fresh_token_cache(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    clear_token_cache()
    yield
    clear_token_cache()


@pytest.fixture(autouse=True)
def _fresh_fault_catalogue():
    """Each test sees the fault types and records of its own database state: a test's rollback
    does not fire the signals that drop the per-process compiled catalogue, nor forget the
    fingerprints this process saw committed (nor the log sources it has yet to write)."""
    catalogue_invalidate()
    known_fingerprints_forget()
    log_sources_forget()
    yield
    catalogue_invalidate()
    known_fingerprints_forget()
    log_sources_forget()


@pytest.fixture(autouse=True)
def _fresh_status_cache():
    """The test database is rolled back after each test, the cache is not: start a generation
    of the cluster status cache, and forget the log volume counted for another test's lines
    (the cluster API and every dashboard page read them) and the dashboard's count of lines in
    no known layout."""
    status_cache_invalidate()
    log_volume_forget()
    log_unreadable_forget()
    yield


@pytest.fixture
def make_token(db):
    """make_token("ingest,read") -> plaintext token with those scopes."""

    def make(scopes: str = "ingest", name: str | None = None) -> str:
        _, raw = api_token_create(name=name or f"test-{uuid.uuid4().hex[:8]}", scopes=scopes)
        return raw

    return make


@pytest.fixture
def token_client(make_token):
    """token_client("read,diagnose") -> an APIClient sending a new token with those scopes."""
    from rest_framework.test import APIClient

    def make(scopes: str, name: str | None = None) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {make_token(scopes, name=name)}")
        return client

    return make


@pytest.fixture(scope="session")
def mariadb_server():
    """The root URL of a real MariaDB/MySQL server (TEST_MARIADB_URL)."""
    reason = services.mariadb_available()
    if reason:
        services.unavailable(reason)
    return services.mariadb_server_url()


@pytest.fixture(scope="session")
def redis_server():
    """The URL of a real Redis server (TEST_REDIS_URL, else REDIS_URL, else db 15 on localhost)."""
    reason = services.redis_available()
    if reason:
        services.unavailable(reason)
    return services.redis_server_url()


@pytest.fixture
def real_redis_cache(redis_server, settings):
    """Point Django's default cache at the real Redis, under a key prefix of this test's own."""
    from django.core.cache import caches

    prefix = f"test-{uuid.uuid4().hex[:10]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": redis_server,
            "KEY_PREFIX": prefix,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    # Django's setting_changed handler rebuilds the cache connections for the new CACHES.
    cache = caches["default"]
    yield cache
    cache.delete_pattern("*")


@pytest.fixture(scope="session")
def migrated_mariadb(mariadb_server, django_db_blocker):
    """A throw-away MariaDB database with every migration applied, for live server processes.

    Session-wide (migrating takes a while); tests sharing it must use their own hosts/tokens.
    Yields its DATABASE_URL.
    """
    name = services.create_scratch_database()
    url = services.database_url_for(name)
    try:
        services.run_manage("migrate", "--no-input", "-v0", env={"DATABASE_URL": url})
        yield url
    finally:
        services.drop_database(name)


@pytest.fixture
def on_mariadb():
    """Skip (or fail under CI) unless the suite's own database is MariaDB/MySQL."""
    if connection.vendor != "mysql":
        pytest.skip("runs in the MariaDB pass of the suite (DATABASE_URL=mysql://…)")
