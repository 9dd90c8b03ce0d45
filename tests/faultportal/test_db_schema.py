"""The schema: migrations build it on an empty MariaDB database and on a fresh SQLite file, the
tables carry the names DBAs and scripts query, the models and migrations agree, and the fault
catalogue is loaded."""

import sqlite3
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.support import services

# Table names are a contract: DBAs and scripts query them directly.
CONTRACT_TABLES = {"system_logs", "exec_logs", "cluster_status", "fault_records", "fault_types"}
PORTAL_TABLES = CONTRACT_TABLES | {
    "ingest_requests",
    "fault_events",
    "fault_types_precursors",
    "diagnoses",
    "api_tokens",
    "prune_runs",
    "log_sources",
    "incidents",
    "metric_thresholds",
    "threshold_breaches",
    "jobs",
    "worker_heartbeats",
    "log_layouts",
    "notification_channels",
    "notification_rules",
    "notification_outbox",
    "notification_groups",
    "notification_items",
    "notification_messages",
    "notification_deliveries",
    "silences",
    "maintenance_windows",
    "fault_snoozes",
}
# SQLite only: the log search's FTS5 table and the shadow tables FTS5 keeps its index in.
SQLITE_SEARCH_TABLES = {
    "system_logs_fts",
    "system_logs_fts_data",
    "system_logs_fts_idx",
    "system_logs_fts_docsize",
    "system_logs_fts_config",
}


def portal_tables(names) -> set[str]:
    """Everything but Django's own tables and django-axes' (sign-in attempts)."""
    return {name for name in names if not name.startswith(("django_", "auth_", "axes_"))}


@pytest.mark.mariadb
def test_migrate_builds_the_schema_on_an_empty_mariadb_database(mariadb_server):
    name = services.create_scratch_database("fp_schema")
    url = services.database_url_for(name)
    try:
        services.run_manage("migrate", "--no-input", "-v0", env={"DATABASE_URL": url})
        # Nothing left unapplied.
        services.run_manage("migrate", "--check", env={"DATABASE_URL": url})
        conn = services.mariadb_connect(database=name)
        try:
            cursor = conn.cursor()
            cursor.execute(
                "SELECT TABLE_NAME, TABLE_COLLATION, ENGINE FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = %s",
                (name,),
            )
            tables = {row[0]: row[1:] for row in cursor.fetchall()}
            assert portal_tables(tables) == PORTAL_TABLES
            for table in PORTAL_TABLES:
                collation, engine = tables[table]
                assert collation.startswith("utf8mb4"), (table, collation)
                assert engine == "InnoDB", (table, engine)  # transactions and foreign keys
            cursor.execute("SELECT COUNT(*) FROM fault_types")
            assert cursor.fetchone()[0] >= 20
            cursor.execute(
                "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s "
                "AND TABLE_NAME = 'system_logs' AND COLUMN_NAME IN ('host', 'logtype', "
                "'log_time', 'level', 'component', 'message', 'raw', 'received_at')",
                (name,),
            )
            assert cursor.fetchone()[0] == 8
            cursor.execute(
                "SELECT INDEX_TYPE, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) "
                "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s "
                "AND TABLE_NAME = 'system_logs' AND INDEX_NAME = 'system_logs_fulltext' "
                "GROUP BY INDEX_TYPE",
                (name,),
            )
            assert cursor.fetchall() == (("FULLTEXT", "message,trace"),)  # the log search
        finally:
            conn.close()
    finally:
        services.drop_database(name)


def test_migrate_builds_the_schema_on_a_fresh_sqlite_file(tmp_path: Path):
    path = tmp_path / f"fresh-{uuid.uuid4().hex[:8]}.sqlite3"
    url = f"sqlite:///{path}"
    services.run_manage("migrate", "--no-input", "-v0", env={"DATABASE_URL": url})
    services.run_manage("migrate", "--check", env={"DATABASE_URL": url})
    conn = sqlite3.connect(path)
    try:
        names = [
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        assert (
            portal_tables(name for name in names if name != "sqlite_sequence")
            == PORTAL_TABLES | SQLITE_SEARCH_TABLES
        )
        (types,) = conn.execute("SELECT COUNT(*) FROM fault_types WHERE enabled").fetchone()
        assert types >= 20
        codes = {row[0] for row in conn.execute("SELECT code FROM fault_types")}
        assert {"datanode_dead", "namenode_safemode", "container_killed_pmem"} <= codes
    finally:
        conn.close()


@pytest.mark.django_db  # makemigrations checks the history of the database it runs on
def test_models_and_migrations_agree():
    # Exits non-zero (SystemExit) when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_the_models_use_the_contract_table_names():
    from cluster.models import ClusterStatus
    from diagnosis.models import FaultRecord, FaultType
    from logs.models import SystemLog
    from runs.models import ExecLog

    assert [
        m._meta.db_table for m in (SystemLog, ExecLog, ClusterStatus, FaultRecord, FaultType)
    ] == [
        "system_logs",
        "exec_logs",
        "cluster_status",
        "fault_records",
        "fault_types",
    ]
