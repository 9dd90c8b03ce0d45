"""Joins the two 0007 migrations (layouts and events landed side by side) and puts back the
SQLite full-text triggers of 0004.

On SQLite, 0007_log_layouts_code_location adds its columns by rebuilding system_logs, and a
rebuild drops the table's triggers: from then on new lines would not reach the FTS5 index and
search would miss them. The triggers are created again (IF NOT EXISTS: a database migrated
before the rebuild, or whose triggers survived, is unchanged) and the index is rebuilt from the
table, which also indexes any line stored in between. The SQL is copied from 0004, not imported,
so this migration keeps meaning what it meant when it shipped. Other databases: nothing.
"""

from django.db import migrations

SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS system_logs_fts_insert AFTER INSERT ON system_logs BEGIN
        INSERT INTO system_logs_fts(rowid, message, trace) VALUES (new.id, new.message, new.trace);
    END""",
    """CREATE TRIGGER IF NOT EXISTS system_logs_fts_delete AFTER DELETE ON system_logs BEGIN
        INSERT INTO system_logs_fts(system_logs_fts, rowid, message, trace)
        VALUES ('delete', old.id, old.message, old.trace);
    END""",
    """CREATE TRIGGER IF NOT EXISTS system_logs_fts_update AFTER UPDATE OF message, trace
        ON system_logs BEGIN
        INSERT INTO system_logs_fts(system_logs_fts, rowid, message, trace)
        VALUES ('delete', old.id, old.message, old.trace);
        INSERT INTO system_logs_fts(rowid, message, trace) VALUES (new.id, new.message, new.trace);
    END""",
    "INSERT INTO system_logs_fts(system_logs_fts) VALUES ('rebuild')",
]


def restore_triggers(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'system_logs_fts'"
        )
        if cursor.fetchone() is None:  # the index was dropped on purpose (log_search_index)
            return
        for sql in SQLITE_TRIGGERS:
            cursor.execute(sql)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("logs", "0007_log_layouts_code_location"),
        ("logs", "0007_system_logs_events"),
    ]

    operations = [
        migrations.RunPython(restore_triggers, migrations.RunPython.noop, elidable=False),
    ]
