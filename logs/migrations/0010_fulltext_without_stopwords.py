"""Rebuilds the MySQL/MariaDB full-text index of 0004 without stopwords, and gives code_file a
database default.

InnoDB binds the stopword list to a FULLTEXT index each time it builds it, from the session's
`innodb_ft_enable_stopword`. 0004 built `system_logs_fulltext` with it off, so "for", "not" and
"the" are searchable (docs/search.md). But adding a column to a table that has a FULLTEXT index
cannot be done in place: both 0007 migrations (log layouts' code_file/code_line, events' stream
columns) rebuilt system_logs, and its index, in a session with stopwords on. From then on those
words were dropped from every line, old and new. Here the index is dropped and built again with
stopwords off (as `manage.py log_search_index off` then `on` would: docs/search.md gives the
time on a large table); a database without the index (turned off on purpose) is left so. The
portal's MySQL connections now set stopwords off themselves (faultportal/config.py), so a later
rebuild keeps them off.

code_file: NOT NULL without a database default, an insert that does not name it (a process of
the previous release during a rolling upgrade) failed. MySQL/MariaDB set the default in place;
SQLite cannot alter a column without rebuilding the table (which drops the full-text triggers)
and Django's own inserts always name the column, so only the state changes there.
The SQL is written here, not imported, so this migration keeps meaning what it meant.
"""

from django.db import migrations, models

INDEX = "system_logs_fulltext"


def _has_index(cursor) -> bool:
    cursor.execute(
        "SELECT 1 FROM information_schema.statistics WHERE table_schema = DATABASE() "
        "AND table_name = 'system_logs' AND index_name = %s LIMIT 1",
        [INDEX],
    )
    return cursor.fetchone() is not None


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "mysql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE system_logs ALTER COLUMN code_file SET DEFAULT ''")
        if not _has_index(cursor):
            return
        cursor.execute("SET SESSION innodb_ft_enable_stopword = OFF")
        cursor.execute(f"ALTER TABLE system_logs DROP INDEX {INDEX}")
        cursor.execute(f"ALTER TABLE system_logs ADD FULLTEXT INDEX {INDEX} (message, trace)")


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "mysql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE system_logs ALTER COLUMN code_file DROP DEFAULT")


class Migration(migrations.Migration):
    atomic = False  # DDL; MySQL commits each statement anyway

    dependencies = [
        ("logs", "0009_log_layout_permissions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="systemlog",
                    name="code_file",
                    field=models.CharField(
                        blank=True,
                        db_default="",
                        default="",
                        help_text="Source file of the logging call (%F).",
                        max_length=255,
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(forwards, backwards, elidable=False),
            ],
        ),
    ]
