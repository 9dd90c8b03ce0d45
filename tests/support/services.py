"""Access to the real MariaDB and Redis servers the suite talks to.

Tests that need a specific server (MariaDB for concurrency, bootstrap SQL, live gunicorn
servers; Redis for cache behaviour) reach it here whatever DATABASE_URL/REDIS_URL the suite runs
with. When a server is unreachable such tests are skipped on a developer machine and fail under
CI=true: CI must never pass by skipping.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str):
    """Fail under CI, skip elsewhere."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a missing service fails the run)", pytrace=False)
    pytest.skip(reason)


def mariadb_server_url() -> str:
    return os.environ.get("TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/")


def redis_server_url() -> str:
    return (
        os.environ.get("TEST_REDIS_URL")
        or os.environ.get("REDIS_URL")
        or "redis://127.0.0.1:6379/15"
    )


def mariadb_connect(url: str | None = None, database: str | None = None):
    """A raw MySQLdb connection (autocommit) to the server in `url`."""
    import MySQLdb

    parts = urlsplit(url or mariadb_server_url())
    db = database if database is not None else parts.path.lstrip("/")
    return MySQLdb.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=parts.username or "root",
        passwd=parts.password or "",
        db=db or "",
        charset="utf8mb4",
        autocommit=True,
        connect_timeout=5,
    )


def mariadb_available() -> str | None:
    """None when the server answers, else why not."""
    try:
        conn = mariadb_connect()
    except Exception as exc:  # any failure to connect means "not available"
        return f"MariaDB at {mariadb_server_url()} is unreachable: {exc}"
    conn.close()
    return None


def redis_available() -> str | None:
    import redis

    try:
        redis.Redis.from_url(redis_server_url(), socket_connect_timeout=2).ping()
    except Exception as exc:  # any failure to connect means "not available"
        return f"Redis at {redis_server_url()} is unreachable: {exc}"
    return None


def database_url_for(name: str) -> str:
    parts = urlsplit(mariadb_server_url())
    return f"mysql://{parts.netloc}/{name}"


def create_scratch_database(prefix: str = "fp_scratch") -> str:
    """Create an empty utf8mb4 database with a unique name; returns its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = mariadb_connect()
    try:
        conn.cursor().execute(
            f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
    finally:
        conn.close()
    return name


def drop_database(name: str) -> None:
    conn = mariadb_connect()
    try:
        conn.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        conn.close()


def run_manage(*args: str, env: dict | None = None, timeout: float = 600) -> str:
    """Run `python manage.py …` in a child process; raises with its output on failure."""
    return run_python("manage.py", *args, env=env, timeout=timeout)


def run_python(script: str, *args: str, env: dict | None = None, timeout: float = 600) -> str:
    """Run `python SCRIPT …` (a path in the repository) in a child process; raises with its
    output on failure."""
    result = subprocess.run(
        [sys.executable, script, *args],
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"{script} {' '.join(args)} exited {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result.stdout
