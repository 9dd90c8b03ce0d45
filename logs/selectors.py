"""Reads of system_logs for pages other than the admin list (host pages, fault pages)."""

from datetime import datetime

from django.db.models.functions import Left

from logs.models import SEVERE_LEVELS, SystemLog

# Pages show the start of a message; a line may hold 64 KiB.
MESSAGE_HEAD_CHARS = 500
LIST_FIELDS = ("id", "host", "logtype", "log_time", "level", "component")


def system_log_severe_recent(*, host: str, since: datetime, limit: int) -> list[SystemLog]:
    """A host's newest WARN/ERROR/FATAL lines since `since`, newest first.

    Served by the (host, level, log_time) index: one range per level, merged and cut at
    `limit`, however many INFO lines the host wrote meanwhile.
    """
    return list(
        SystemLog.objects.filter(
            host=host, level__in=[str(level) for level in SEVERE_LEVELS], log_time__gte=since
        )
        .only(*LIST_FIELDS)
        .annotate(message_head=Left("message", MESSAGE_HEAD_CHARS))
        .order_by("-log_time", "-id")[:limit]
    )


def system_log_host_exists(*, host: str) -> bool:
    """Whether any line came from `host` (one (host, log_time) index dive)."""
    return SystemLog.objects.filter(host=host).exists()
