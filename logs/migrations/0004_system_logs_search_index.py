"""Full-text index over system_logs' message and trace (docs/search.md).

MySQL/MariaDB: InnoDB FULLTEXT with the default parser, built with stopwords off. On a large
table this rebuilds it once (InnoDB adds its FTS_DOC_ID column): docs/search.md gives the time.
SQLite: an FTS5 table over system_logs' own text, kept by triggers. Other databases: nothing.
The SQL is copied here (not imported) so this migration keeps meaning what it meant when it
shipped; logs/search_index.py holds the same statements for `manage.py log_search_index`.
"""

from django.db import migrations

SQLITE_CREATE = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS system_logs_fts USING fts5(
        message, trace, content='system_logs', content_rowid='id',
        tokenize="unicode61 tokenchars '_'")""",
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
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS system_logs_fts_insert",
    "DROP TRIGGER IF EXISTS system_logs_fts_delete",
    "DROP TRIGGER IF EXISTS system_logs_fts_update",
    "DROP TABLE IF EXISTS system_logs_fts",
]


def _has_mysql_index(cursor) -> bool:
    cursor.execute(
        "SELECT 1 FROM information_schema.statistics WHERE table_schema = DATABASE() "
        "AND table_name = 'system_logs' AND index_name = 'system_logs_fulltext' LIMIT 1"
    )
    return cursor.fetchone() is not None


def create_index(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            if _has_mysql_index(cursor):
                return
            cursor.execute("SET SESSION innodb_ft_enable_stopword = OFF")
            try:
                cursor.execute(
                    "ALTER TABLE system_logs "
                    "ADD FULLTEXT INDEX system_logs_fulltext (message, trace)"
                )
            finally:
                cursor.execute("SET SESSION innodb_ft_enable_stopword = ON")
        elif connection.vendor == "sqlite":
            for sql in SQLITE_CREATE:
                cursor.execute(sql)


def drop_index(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            if _has_mysql_index(cursor):
                cursor.execute("ALTER TABLE system_logs DROP INDEX system_logs_fulltext")
        elif connection.vendor == "sqlite":
            for sql in SQLITE_DROP:
                cursor.execute(sql)


class Migration(migrations.Migration):
    # MySQL cannot run DDL inside a transaction anyway; on SQLite the rebuild is one statement.
    atomic = False

    dependencies = [
        ("logs", "0003_system_logs_host_level_index"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
