"""Links into the system-log admin, for other pages (fault admin, dashboard, host pages)."""

from datetime import datetime, timedelta

from django.urls import reverse
from django.utils.http import urlencode


def system_logs_admin_url(
    *,
    host: str | None = None,
    level: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    oldest_first: bool = False,
) -> str:
    """The system-log list narrowed to a host, a level and a log-time range.

    Every combination lands on an index: (host, log_time), (level, log_time) or (log_time).
    Times are sent as ISO 8601 with their offset, so the link means the same moment in any
    time zone. `oldest_first` reads a window in log order, the way a log file reads.
    """
    params = {}
    if level:
        params["level__exact"] = level
    if host:
        params["host"] = host
    if start is not None:
        params["log_time__gte"] = start.isoformat()
    if end is not None:
        params["log_time__lte"] = end.isoformat()
    if oldest_first:
        from logs.admin.system_log import SystemLogAdmin  # the admin imports this module

        params["o"] = SystemLogAdmin.oldest_first_order_param()
    url = reverse("admin:logs_systemlog_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def system_logs_around_url(
    *, host: str, moment: datetime, before=timedelta(minutes=5), after=timedelta(minutes=5)
) -> str:
    """One host's lines around a moment, oldest first: the context of a line or a fault."""
    return system_logs_admin_url(
        host=host, start=moment - before, end=moment + after, oldest_first=True
    )
