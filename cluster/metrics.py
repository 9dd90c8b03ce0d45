"""The collector's freshness for GET /metrics, read at scrape time (ClusterConfig.ready)."""

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from cluster.selectors import cluster_snapshot_latest_at


def collector_age():
    """Seconds since the latest cluster snapshot; absent before the first one (alert on
    absent() if a collector is expected)."""
    latest = cluster_snapshot_latest_at()
    if latest is None:
        return []
    age = GaugeMetricFamily(
        "faultportal_collector_age_seconds",
        "Age of the latest cluster snapshot (collect_cluster_status).",
    )
    age.add_metric([], max(0.0, (timezone.now() - latest).total_seconds()))
    last = GaugeMetricFamily(
        "faultportal_collector_last_snapshot_timestamp_seconds",
        "When the latest cluster snapshot was collected (Unix time).",
    )
    last.add_metric([], latest.timestamp())
    return [age, last]
