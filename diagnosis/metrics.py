"""Faults for GET /metrics, read at scrape time (registered in DiagnosisConfig.ready)."""

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily

from diagnosis.models import FaultRecord, Severity

ACTIVE = (FaultRecord.Status.OPEN, FaultRecord.Status.ACKNOWLEDGED)


def open_faults():
    """Active faults by severity and type (one grouped read of the status index)."""
    by_type = GaugeMetricFamily(
        "faultportal_faults_open",
        "Active (open or acknowledged) faults by severity and fault type.",
        labels=["severity", "type"],
    )
    by_severity = GaugeMetricFamily(
        "faultportal_faults_open_by_severity",
        "Active faults by severity (every severity present, 0 included).",
        labels=["severity"],
    )
    totals = dict.fromkeys(Severity.values, 0)
    rows = (
        FaultRecord.objects.filter(status__in=ACTIVE)
        .values_list("severity", "fault_type__code")
        .annotate(n=Count("id"))
        .order_by()
    )
    for severity, code, n in rows:
        by_type.add_metric([severity, code], n)
        totals[severity] = totals.get(severity, 0) + n
    for severity, n in totals.items():
        by_severity.add_metric([severity], n)
    return [by_type, by_severity]
