"""The watchdog worker_silent (watchdogs/checks.py): the background worker stopped heartbeating.

Its pattern is empty: log detection never matches it. It resolves itself (as "metric recovered")
when a worker heartbeats again.
"""

from django.db import migrations

ENTRY = {
    "code": "worker_silent",
    "name": "Background worker stopped (no heartbeat)",
    "category": "other",
    "default_severity": "major",
    "grouping": "cluster",
    "description": "A background worker (manage.py notify) has heartbeated, and no worker has "
    "for WORKER_SILENT_SECONDS: notifications are not delivered and LLM diagnoses stay pending.",
    "cause": "The worker's service stopped or keeps crashing (see its journal), it cannot reach "
    "the database, or it was never restarted after a deploy.",
    "remediation": "systemctl status faultportal-notify and journalctl -u faultportal-notify; "
    "run manage.py notify --once by hand to see its error; /api/health's worker check.",
    "confirm_metrics": "worker_heartbeats.beat_at; /api/health checks.worker.last_beat_at.",
}


def load(apps, schema_editor):
    FaultType = apps.get_model("diagnosis", "FaultType")
    FaultType.objects.update_or_create(
        code=ENTRY["code"],
        defaults={
            **{name: value for name, value in ENTRY.items() if name != "code"},
            "patterns": "",
            "min_level": "WARN",
            "is_builtin": True,
            "enabled": True,
        },
    )


def unload(apps, schema_editor):
    FaultType = apps.get_model("diagnosis", "FaultType")
    FaultType.objects.filter(code=ENTRY["code"], records__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("watchdogs", "0001_watchdog_fault_types")]

    operations = [migrations.RunPython(load, unload)]
