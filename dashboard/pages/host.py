"""One host's page: its daemons and metrics, faults, recent WARN+ lines and script runs.

Queries (pinned in tests/dashboard/test_host_page.py): the cluster status (none when cached),
the host's faults, its recent WARN+ lines (logs.selectors), its script runs, and one
per charted metric (status_history).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.urls import reverse
from django.utils.http import urlencode

from cluster.models import ClusterStatus
from cluster.selectors import status_history
from dashboard import charts
from dashboard.pages.logs import log_explorer_url
from dashboard.pages.status import HostRow, host_rows, parse_time, status_current
from diagnosis.selectors import faults_for_host
from logs.admin.links import system_logs_admin_url
from logs.models import SEVERE_LEVELS
from logs.selectors import system_log_host_exists, system_log_severe_recent
from runs.selectors import exec_runs_recent

Role = ClusterStatus.Role

HOST_FAULTS = 50
SEVERE_LINES = 50
# How far back the WARN+ list looks, and how many of the host's newest lines it searches at
# most (logs.selectors: there is no (host, level, log_time) index, so each line searched is a
# row read; on a buffer pool smaller than the table that is a disk read, ~0.08 ms measured).
SEVERE_WINDOW = timedelta(hours=24)
HOST_RUNS = 20
HISTORY = timedelta(days=7)
HISTORY_POINTS = 168

# (role, metric, label, css) charted on the host's 0-100 % chart, when the host has the role.
PERCENT_SERIES = [
    (Role.HOST, "cpu_pct", "CPU", "ln-cpu"),
    (Role.HOST, "memory_used_pct", "memory", "ln-memory"),
    (Role.HOST, "disk_used_pct", "disk", "ln-disk"),
    (Role.DATANODE, "capacity_used_pct", "HDFS used (DataNode)", "ln-capacity"),
]

# How each metric of a role reads on the page: (label, kind) with kind pct, bytes, mb, s, num.
METRIC_LABELS = {
    "safe_mode": ("safe mode", "bool"),
    "capacity_total_bytes": ("capacity", "bytes"),
    "capacity_used_bytes": ("HDFS used", "bytes"),
    "capacity_remaining_bytes": ("remaining", "bytes"),
    "capacity_used_non_dfs_bytes": ("non-DFS used", "bytes"),
    "capacity_used_pct": ("HDFS used %", "pct"),
    "volume_failures": ("failed volumes", "num"),
    "blocks_total": ("blocks", "num"),
    "last_contact_seconds": ("last heartbeat", "s"),
    "memory_total_mb": ("memory", "mb"),
    "memory_allocated_mb": ("memory allocated", "mb"),
    "memory_available_mb": ("memory available", "mb"),
    "vcores_total": ("vcores", "num"),
    "vcores_allocated": ("vcores allocated", "num"),
    "vcores_available": ("vcores available", "num"),
    "containers_allocated": ("containers", "num"),
    "health_report": ("health report", "text"),
    "cpu_pct": ("CPU", "pct"),
    "memory_used_pct": ("memory used", "pct"),
    "disk_used_pct": ("disk used", "pct"),
    "load_1m": ("load 1 min", "num"),
    "load_5m": ("load 5 min", "num"),
    "load_15m": ("load 15 min", "num"),
}


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    kind: str
    value: object


def role_metrics(metrics: dict) -> list[Metric]:
    shown = []
    for name, value in metrics.items():
        label, kind = METRIC_LABELS.get(name, (name.replace("_", " "), "num"))
        if value is None or value == "":
            continue
        shown.append(Metric(name, label, kind, value))
    return shown


def history_chart(*, host: str, row: HostRow | None, now: datetime) -> charts.LineChart | None:
    roles = {r.role for r in row.roles} if row else set()
    since = now - HISTORY
    series = []
    for role, metric, label, css in PERCENT_SERIES:
        if role not in roles:
            continue
        history = status_history(
            metric=metric, since=since, until=now, max_points=HISTORY_POINTS, host=host, role=role
        )
        points = [(parse_time(p["t"]), p["value"]) for p in history.points]
        series.append(charts.LineSeries(label, css, points, " %"))
    if not series:
        return None
    return charts.line_chart(
        series=series,
        since=since,
        until=now,
        label=f"{host}: metrics, last 7 days",
        y_max=100,
        width=1240,
        height=190,
    )


def host_links(host: str, now: datetime) -> dict:
    faults = reverse("admin:diagnosis_faultrecord_changelist")
    runs = reverse("admin:runs_execlog_changelist")
    status = reverse("admin:cluster_clusterstatus_changelist")
    since = now - SEVERE_WINDOW
    return {
        "lines": system_logs_admin_url(host=host),
        "lines_24h": system_logs_admin_url(host=host, start=since),
        "levels": [
            (level, system_logs_admin_url(host=host, level=level, start=since))
            for level in SEVERE_LEVELS
        ],
        "faults": f"{faults}?{urlencode({'q': host})}",
        "runs": f"{runs}?{urlencode({'q': host})}",
        "status": f"{status}?{urlencode({'q': host})}",
        "explore": log_explorer_url(host=host, since="24h"),
    }


def host_page(*, host: str, now: datetime) -> dict | None:
    """The page's content, or None when the portal knows nothing of `host`."""
    status = status_current(now=now)
    rows = host_rows([node for node in status["nodes"] if node["host"] == host])
    row = rows[0] if rows else None
    faults = faults_for_host(host=host, limit=HOST_FAULTS)
    lines = system_log_severe_recent(host=host, since=now - SEVERE_WINDOW, limit=SEVERE_LINES)
    runs = exec_runs_recent(host=host, limit=HOST_RUNS)
    if not (row or faults or lines or runs) and not system_log_host_exists(host=host):
        return None
    roles = [
        {"state": role, "metrics": role_metrics(role.metrics)}
        for role in (row.roles if row else [])
    ]
    return {
        "now": now,
        "host": host,
        "row": row,
        "roles": roles,
        "stale_after_seconds": status["stale_after_seconds"],
        "chart": history_chart(host=host, row=row, now=now),
        "faults": faults,
        "faults_limited": len(faults) == HOST_FAULTS,
        "active_faults": sum(1 for f in faults if f.is_active),
        "lines": lines,
        "lines_limit": SEVERE_LINES,
        "lines_window_hours": int(SEVERE_WINDOW.total_seconds() // 3600),
        "runs": runs,
        "links": host_links(host, now),
    }
