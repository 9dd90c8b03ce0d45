"""ExecLog leaves the logs app for runs (runs/migrations/0001_initial): state only.

The `exec_logs` table is kept as it is, rows and all. The operator groups migration
(faultportal 0002) grants `logs.view_execlog` from this app's state, so it runs before.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("logs", "0005_log_sources"),
        ("faultportal", "0002_operator_groups"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ExecLog")],
            database_operations=[],
        ),
    ]
