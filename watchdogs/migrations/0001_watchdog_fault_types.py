"""Fault types the watchdogs raise (watchdogs/checks.py): inputs of the portal that stopped.

Their patterns are empty: log detection never matches them. Each resolves itself (as "metric
recovered") when its input returns.
"""

from django.db import migrations

WATCHDOG_TYPES = [
    {
        "code": "cluster_status_stale",
        "name": "Cluster status stale (collector down)",
        "category": "other",
        "default_severity": "major",
        "grouping": "cluster",
        "description": "The latest cluster snapshot is older than CLUSTER_STATUS_STALE_SECONDS: "
        "the collector (collect_cluster_status) is not storing snapshots, so the dashboard and "
        "every cluster threshold are looking at old data.",
        "cause": "The collector's service or timer stopped or fails (see its journal); it "
        "cannot reach the database; the NameNode and ResourceManager URLs are wrong.",
        "remediation": "systemctl status faultportal-collector.timer and journalctl -u "
        "faultportal-collector; run collect_cluster_status once by hand to see its error.",
        "confirm_metrics": "GET /api/cluster/status age_seconds; faultportal_collector_age_seconds.",
    },
    {
        "code": "host_silent",
        "name": "Host stopped sending logs",
        "category": "network",
        "default_severity": "major",
        "grouping": "host",
        "description": "A host that sent lines of this log type in the last day has sent none "
        "for HOST_SILENT_MINUTES: a dead man's switch per host and log type. One fault per host "
        "and log type.",
        "cause": "The Flume agent on the node stopped or is stuck (full channel, a dead sink), "
        "the node is down, the daemon whose log it tails stopped, or its token was revoked.",
        "remediation": "Check the node and its Flume agent (systemctl status "
        "faultportal-flume, its log); check the Hadoop daemon; check the token in the admin.",
        "confirm_metrics": "log_sources.last_received_at of the host.",
    },
    {
        "code": "ingestion_stopped",
        "name": "Log ingestion stopped",
        "category": "other",
        "default_severity": "critical",
        "grouping": "cluster",
        "description": "No host sent a single line for INGESTION_SILENT_MINUTES: the portal is "
        "blind to the whole cluster. Raised instead of one host_silent per host.",
        "cause": "The portal's ingest endpoint is failing (503s, a proxy in front of it), the "
        "network between the cluster and the portal, a revoked shared token, every agent down.",
        "remediation": "curl the ingest endpoint from a node; check the portal's and the proxy's "
        "logs, /api/health and the 503 counter in /metrics.",
        "confirm_metrics": "faultportal_ingest_lines_total not increasing.",
    },
]
FIELDS = ("name", "category", "default_severity", "grouping", "description", "cause",
          "remediation", "confirm_metrics")  # fmt: skip


def load(apps, schema_editor):
    FaultType = apps.get_model("diagnosis", "FaultType")
    for entry in WATCHDOG_TYPES:
        FaultType.objects.update_or_create(
            code=entry["code"],
            defaults={
                **{name: entry[name] for name in FIELDS},
                "patterns": "",
                "min_level": "WARN",
                "is_builtin": True,
                "enabled": True,
            },
        )


def unload(apps, schema_editor):
    FaultType = apps.get_model("diagnosis", "FaultType")
    FaultType.objects.filter(
        code__in=[e["code"] for e in WATCHDOG_TYPES], records__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("diagnosis", "0005_precursors_for_diagnosis")]

    operations = [migrations.RunPython(load, unload)]
