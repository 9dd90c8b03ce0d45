"""Settings come from environment variables; a bad value names the variable."""

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from faultportal import config, env
from tests.support.services import REPO_ROOT


def test_it_reads_typed_values(monkeypatch):
    monkeypatch.setenv("FP_T_BOOL", "yes")
    monkeypatch.setenv("FP_T_INT", "42")
    monkeypatch.setenv("FP_T_LIST", "a, b,,c")
    assert env.env_bool("FP_T_BOOL", False) is True
    assert env.env_int("FP_T_INT", 1) == 42
    assert env.env_list("FP_T_LIST", []) == ["a", "b", "c"]
    assert env.env_int("FP_T_UNSET", 7) == 7


@pytest.mark.parametrize(
    ("helper", "value"),
    [
        (lambda: env.env_bool("FP_T_BAD", False), "maybe"),
        (lambda: env.env_int("FP_T_BAD", 1), "ten"),
        (lambda: env.env_int("FP_T_BAD", 1, min_value=5), "2"),
        (lambda: env.env_timezone("FP_T_BAD", "UTC"), "Mars/Olympus"),
        (lambda: env.env_url("FP_T_BAD", schemes=("redis",)), "http://x"),
    ],
)
def test_it_names_the_variable_when_a_value_is_bad(monkeypatch, helper, value):
    monkeypatch.setenv("FP_T_BAD", value)
    with pytest.raises(ImproperlyConfigured, match="FP_T_BAD"):
        helper()


def test_it_builds_mysql_settings_from_database_url(tmp_path):
    db = config.database_from_url(
        "mysql://app:s%40cret@db.example:3307/hadoop_fault_db",
        sqlite_path=tmp_path / "x.sqlite3",
        conn_max_age=300,
    )
    assert db["ENGINE"] == "faultportal.db.mysql"  # Django's MySQL backend, idle-aware pings
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "hadoop_fault_db",
        "app",
        "s@cret",
        "db.example",
        3307,
    )
    assert db["OPTIONS"]["charset"] == "utf8mb4"
    assert "STRICT_TRANS_TABLES" in db["OPTIONS"]["init_command"]
    assert db["CONN_MAX_AGE"] == 300 and db["CONN_HEALTH_CHECKS"] is True


def test_it_defaults_to_sqlite_and_rejects_other_databases(tmp_path):
    db = config.database_from_url("", sqlite_path=tmp_path / "x.sqlite3", conn_max_age=0)
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        config.database_from_url("postgres://x/y", sqlite_path=tmp_path / "x", conn_max_age=0)


def test_it_keeps_one_generated_secret_key(tmp_path):
    first = config.secret_key_from_file(tmp_path / "secret_key")
    assert len(first) >= 50
    assert config.secret_key_from_file(tmp_path / "secret_key") == first


def test_start_up_stops_with_a_message_naming_the_bad_variable():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "CLUSTER_TIME_ZONE": "Nowhere/Land", "DATA_DIR": "/tmp/fp-t"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "CLUSTER_TIME_ZONE" in result.stderr
