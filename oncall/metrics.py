"""Notifications for GET /metrics, read from the database at scrape time (registered in
OncallConfig.ready), so every gunicorn worker reports the worker processes' deliveries.

- ``faultportal_notification_deliveries_total{status}``: delivery attempts in the delivery
  log, sent or failed (pruned after NOTIFICATION_RETENTION_DAYS, which Prometheus reads as a
  counter reset);
- ``faultportal_notification_messages{status}``: messages queued, sent, failed (gave up);
- ``faultportal_notification_outbox{status}``: changes waiting (pending) or held (silenced);
- ``faultportal_notification_oldest_queued_seconds``: age of the oldest message not yet sent.
"""

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from oncall.models import NotificationDelivery, NotificationMessage, OutboxEntry


def notification_metrics():
    deliveries = CounterMetricFamily(
        "faultportal_notification_deliveries",
        "Notification delivery attempts in the delivery log, by outcome.",
        labels=["status"],
    )
    counts = dict.fromkeys(NotificationDelivery.Status.values, 0)
    counts |= dict(
        NotificationDelivery.objects.values_list("status").annotate(n=Count("id")).order_by()
    )
    for status, n in counts.items():
        deliveries.add_metric([status], n)

    messages = GaugeMetricFamily(
        "faultportal_notification_messages",
        "Notification messages by state: queued (not yet delivered), sent, failed (gave up).",
        labels=["status"],
    )
    counts = dict.fromkeys(NotificationMessage.Status.values, 0)
    counts |= dict(
        NotificationMessage.objects.values_list("status").annotate(n=Count("id")).order_by()
    )
    for status, n in counts.items():
        messages.add_metric([status], n)

    outbox = GaugeMetricFamily(
        "faultportal_notification_outbox",
        "Fault changes waiting for the dispatcher (pending) or held by a silence (silenced).",
        labels=["status"],
    )
    waiting = (OutboxEntry.Status.PENDING, OutboxEntry.Status.SILENCED)
    counts = dict.fromkeys(waiting, 0)
    counts |= dict(
        OutboxEntry.objects.filter(status__in=waiting)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for status, n in counts.items():
        outbox.add_metric([status], n)

    oldest = NotificationMessage.objects.filter(status=NotificationMessage.Status.QUEUED).aggregate(
        t=Min("created_at")
    )["t"]
    age = GaugeMetricFamily(
        "faultportal_notification_oldest_queued_seconds",
        "Age of the oldest notification message not yet delivered (0: none waiting).",
    )
    age.add_metric([], (timezone.now() - oldest).total_seconds() if oldest else 0.0)
    return [deliveries, messages, outbox, age]


def outbox_oldest_due():
    """For /api/health's worker check: when the oldest pending change was written."""
    return OutboxEntry.objects.filter(status=OutboxEntry.Status.PENDING).aggregate(
        t=Min("created_at")
    )["t"]
