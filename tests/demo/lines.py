"""A line of a host outside the demo cluster: what a real cluster's data looks like."""

from django.utils import timezone

from logs.models import SystemLog


def other_host_line(host: str = "prod-dn01") -> SystemLog:
    return SystemLog.objects.create(
        host=host, logtype="hdfs", level="INFO", message="m", raw="r", received_at=timezone.now()
    )
