"""Reads of system_logs for pages other than the admin list (host pages, fault pages)."""

from datetime import datetime

from django.db.models.functions import Left

from logs.models import SEVERE_LEVELS, SystemLog

# Pages show the start of a message; a line may hold 64 KiB.
MESSAGE_HEAD_CHARS = 500
LIST_FIELDS = ("id", "host", "logtype", "log_time", "level", "component")


def system_log_severe_recent(
    *, host: str, since: datetime, limit: int, scan_limit: int
) -> list[SystemLog]:
    """A host's newest WARN/ERROR/FATAL lines since `since`, newest first.

    There is no (host, level, log_time) index: the (host, log_time) index walks the host's
    lines newest first and each row is read to check its level, so a quiet host (few WARN+
    lines among many INFO ones) would cost a read of every line it wrote since `since`. The
    walk is therefore bounded to the host's newest `scan_limit` lines: one index-only query
    finds the log time of the scan_limit-th newest line, and the lines are searched from there.
    """
    recent = SystemLog.objects.filter(host=host, log_time__gte=since)
    floor = list(
        recent.order_by("-log_time", "-id").values_list("log_time", flat=True)[
            scan_limit - 1 : scan_limit
        ]
    )
    if floor:
        recent = recent.filter(log_time__gte=floor[0])
    return list(
        recent.filter(level__in=[str(level) for level in SEVERE_LEVELS])
        .only(*LIST_FIELDS)
        .annotate(message_head=Left("message", MESSAGE_HEAD_CHARS))
        .order_by("-log_time", "-id")[:limit]
    )


def system_log_host_exists(*, host: str) -> bool:
    """Whether any line came from `host` (one (host, log_time) index dive)."""
    return SystemLog.objects.filter(host=host).exists()
