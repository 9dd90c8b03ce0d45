"""Formats shared by every app."""

from datetime import datetime

from django.utils import timezone


def iso(moment: datetime | None) -> str | None:
    """Cluster-local time with its offset, like the API's other datetimes."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None
