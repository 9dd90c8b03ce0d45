"""ExecLog moves from the logs app to runs: the `exec_logs` table stays as it is.

State only (SeparateDatabaseAndState): the model changes app, no table is created, renamed or
altered. logs/migrations/0006_execlog_to_runs removes it from the logs app's state first.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("logs", "0006_execlog_to_runs"),
        ("diagnosis", "0005_precursors_for_diagnosis"),
        ("faultportal", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ExecLog",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("script", models.CharField(max_length=255)),
                        (
                            "args",
                            models.JSONField(
                                blank=True,
                                default=list,
                                help_text="Arguments as a list of strings.",
                            ),
                        ),
                        ("host", models.CharField(max_length=255)),
                        (
                            "trigger",
                            models.CharField(
                                choices=[
                                    ("manual", "Manual"),
                                    ("cron", "Cron"),
                                    ("fault", "fault remediation"),
                                    ("api", "Api"),
                                    ("other", "Other"),
                                ],
                                default="manual",
                                max_length=16,
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("running", "Running"),
                                    ("succeeded", "Succeeded"),
                                    ("failed", "Failed"),
                                    ("timed_out", "timed out"),
                                    ("aborted", "Aborted"),
                                ],
                                default="running",
                                max_length=16,
                            ),
                        ),
                        ("exit_code", models.SmallIntegerField(blank=True, null=True)),
                        ("started_at", models.DateTimeField()),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("duration_seconds", models.FloatField(blank=True, null=True)),
                        (
                            "timeout_seconds",
                            models.PositiveIntegerField(
                                blank=True,
                                help_text="A run still running after this long is timed out.",
                                null=True,
                            ),
                        ),
                        ("stdout_tail", models.TextField(blank=True)),
                        ("stderr_tail", models.TextField(blank=True)),
                        (
                            "stdout_bytes",
                            models.PositiveBigIntegerField(
                                blank=True,
                                help_text="Total size of stdout; more than the tail means it was cut.",
                                null=True,
                            ),
                        ),
                        ("stderr_bytes", models.PositiveBigIntegerField(blank=True, null=True)),
                        (
                            "client_run_id",
                            models.CharField(blank=True, max_length=64, null=True, unique=True),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "fault",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="exec_runs",
                                to="diagnosis.faultrecord",
                            ),
                        ),
                        (
                            "reported_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="faultportal.apitoken",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "execution log",
                        "db_table": "exec_logs",
                        "ordering": ["-started_at", "-id"],
                        "indexes": [
                            models.Index(
                                fields=["script", "started_at"], name="exec_logs_script_started"
                            ),
                            models.Index(
                                fields=["status", "started_at"], name="exec_logs_status_started"
                            ),
                            models.Index(
                                fields=["host", "started_at"], name="exec_logs_host_started"
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
