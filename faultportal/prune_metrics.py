"""Prune progress for GET /metrics, read from prune_runs at scrape time (FaultportalConfig)."""

from prometheus_client.core import GaugeMetricFamily

from faultportal.models import PruneRun


def prune_progress():
    rows = GaugeMetricFamily(
        "faultportal_prune_rows",
        "Rows deleted by the latest (or running) manage.py prune of each table.",
        labels=["table"],
    )
    running = GaugeMetricFamily(
        "faultportal_prune_running", "1 while prune is deleting from the table.", labels=["table"]
    )
    finished = GaugeMetricFamily(
        "faultportal_prune_last_finished_timestamp_seconds",
        "When the latest prune of the table finished (Unix time).",
        labels=["table"],
    )
    failed = GaugeMetricFamily(
        "faultportal_prune_last_failed",
        "1 when the latest prune of the table failed.",
        labels=["table"],
    )
    for run in PruneRun.objects.all():
        rows.add_metric([run.table], run.rows)
        running.add_metric([run.table], 0 if run.finished_at else 1)
        if run.finished_at:
            finished.add_metric([run.table], run.finished_at.timestamp())
            failed.add_metric([run.table], 1 if run.error else 0)
    return [rows, running, finished, failed]
