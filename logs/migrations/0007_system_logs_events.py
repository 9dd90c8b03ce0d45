"""Events across requests (docs/events.md): each row's stream, and its place in its event.

Columns with database defaults, so inserts that name only the older columns keep working;
MariaDB adds them in place without a copy. On SQLite, Django would rebuild the table to add a
NOT NULL column, and the rebuild drops the full-text triggers of 0004: the columns are added
with ALTER TABLE there instead. The index serves one lookup: a stream's last row.
"""

from django.db import migrations, models

FIELDS = [
    ("event_head", models.BigIntegerField(blank=True, null=True)),
    ("event_seq", models.PositiveIntegerField(db_default=0, default=0)),
    ("stream", models.BigIntegerField(db_default=0, default=0)),
]
SQLITE_COLUMNS = {
    "event_head": "bigint NULL",
    "event_seq": "integer unsigned NOT NULL DEFAULT 0 CHECK (event_seq >= 0)",
    "stream": "bigint NOT NULL DEFAULT 0",
}


def add_columns(apps, schema_editor):
    model = apps.get_model("logs", "SystemLog")
    for name, _ in FIELDS:
        field = model._meta.get_field(name)
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(
                f'ALTER TABLE "system_logs" ADD COLUMN "{name}" {SQLITE_COLUMNS[name]}'
            )
        else:
            schema_editor.add_field(model, field)


def drop_columns(apps, schema_editor):
    model = apps.get_model("logs", "SystemLog")
    for name, _ in reversed(FIELDS):
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(f'ALTER TABLE "system_logs" DROP COLUMN "{name}"')
        else:
            schema_editor.remove_field(model, model._meta.get_field(name))


class Migration(migrations.Migration):
    dependencies = [
        ("logs", "0006_execlog_to_runs"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(model_name="systemlog", name=name, field=field)
                for name, field in FIELDS
            ],
            database_operations=[],
        ),
        migrations.RunPython(add_columns, drop_columns, atomic=False),
        migrations.AddIndex(
            model_name="systemlog",
            index=models.Index(fields=["stream", "id"], name="system_logs_stream"),
        ),
    ]
