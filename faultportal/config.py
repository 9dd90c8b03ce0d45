"""Builders for the settings that need more than one environment variable.

Kept out of settings.py so the settings module reads as a list of decisions.
"""

import os
import secrets
import time
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key


def database_from_url(url: str, *, sqlite_path: Path, conn_max_age: int) -> dict:
    """DATABASES["default"] for DATABASE_URL, or the embedded SQLite file when it is unset."""
    if not url:
        return sqlite_database(sqlite_path)
    scheme = urlsplit(url).scheme
    if (
        scheme == "mariadb"
    ):  # same wire protocol and driver; accepted so users need not think about it
        url = "mysql" + url[len("mariadb") :]
        scheme = "mysql"
    if scheme == "sqlite":
        path = urlsplit(url).path
        return sqlite_database(Path(path) if path not in ("", "/") else sqlite_path)
    if scheme != "mysql":
        raise ImproperlyConfigured(
            f"Environment variable DATABASE_URL has scheme {scheme!r}: "
            "expected mysql://user:password@host:3306/name or sqlite:///path."
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"Environment variable DATABASE_URL is invalid: {exc}") from None
    if not config.get("NAME"):
        raise ImproperlyConfigured(
            "Environment variable DATABASE_URL names no database: expected mysql://…/hadoop_fault_db."
        )
    # Django's MySQL backend with health checks skipped for just-used connections
    # (faultportal/db/mysql/base.py says why).
    config["ENGINE"] = "faultportal.db.mysql"
    config["OPTIONS"] = {
        # Django already connects with utf8mb4; stated so nobody "fixes" it to utf8 (utf8mb3).
        "charset": "utf8mb4",
        # Strict mode turns silent truncation into errors, whatever the server's own default.
        # Stopwords off: InnoDB binds them to a FULLTEXT index whenever it builds it, and any
        # ALTER that rebuilds system_logs rebuilds its index (logs/migrations/0010 says why).
        "init_command": "SET sql_mode='STRICT_TRANS_TABLES', innodb_ft_enable_stopword=OFF",
        # Django's default, stated explicitly: get_or_create/upserts rely on it.
        "isolation_level": "read committed",
        # Without it an unreachable server hangs each request for the OS's TCP timeout (minutes);
        # with it the request fails fast as 503 and the sender retries.
        "connect_timeout": 5,
        **config.get("OPTIONS", {}),
    }
    config["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    return config


def sqlite_database(path: Path) -> dict:
    path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            # gunicorn runs several workers on the embedded database: take the write lock at
            # BEGIN instead of failing half-way with "database is locked", and wait for it.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }


def cache_from_url(url: str) -> dict:
    """CACHES for REDIS_URL, or a per-process memory cache when it is unset."""
    if not url:
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "faultportal",
            }
        }
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "fp",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # A Redis outage degrades the portal to uncached reads; it never fails a request.
                "IGNORE_EXCEPTIONS": True,
                # Fail in milliseconds when Redis is gone instead of stalling every request.
                "SOCKET_CONNECT_TIMEOUT": 0.25,
                "SOCKET_TIMEOUT": 0.25,
            },
        }
    }


def secret_key_from_file(path: Path) -> str:
    """Read the local secret key, creating it once; safe when several workers start together."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process may be between create and write
            key = path.read_text().strip()
            if key:
                return key
            time.sleep(0.02)
        raise ImproperlyConfigured(
            f"Secret key file {path} is empty; delete it to regenerate."
        ) from None
    key = get_random_secret_key() + secrets.token_urlsafe(16)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key
