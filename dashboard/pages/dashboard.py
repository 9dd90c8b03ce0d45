"""What the dashboard shows, gathered from the selectors of each app (no query of its own).

Queries per render (pinned in tests/dashboard/test_dashboard.py): the cluster status (none when
the shared cache holds it, else the three of cluster_status_latest), the capacity history, the
active faults by severity and status, the newest active faults, the incidents (active first),
and the log volume (the current hour, plus the completed hours whose cached counts expired).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from cluster.selectors import status_history
from cluster.thresholds import HDFS_CAPACITY_HIGH, Limit, thresholds_current
from dashboard import charts
from dashboard.pages.status import (
    host_rows,
    parse_time,
    status_banners,
    status_current,
)
from diagnosis.models import FaultRecord, Severity
from diagnosis.selectors import (
    faults_active_counts,
    faults_active_newest,
    incidents_for_dashboard,
)
from logs.admin.links import system_logs_admin_url
from logs.selectors import log_unreadable_by_host
from logs.volume import LEVELS, log_volume_hourly

NEWEST_FAULTS = 12
# Incidents listed first on the page: the active ones, then the most recent others.
DASHBOARD_INCIDENTS = 10
CAPACITY_HISTORY = timedelta(days=7)
# Ambari's default for the pending-deletion alert (docs/sources.md §4).
PENDING_DELETION_WARNING = 100_000
LEVEL_CSS = {level: f"lv-{level.lower()}" for level in LEVELS}
SEVERE = ("FATAL", "ERROR", "WARN")


@dataclass(frozen=True)
class Part:
    """One figure of a tile: `value` `label`, e.g. "0 dead"."""

    key: str
    value: str
    label: str
    tone: str = ""


@dataclass
class Tile:
    key: str
    title: str
    headline: str
    tone: str = ""
    detail: str = ""
    parts: list[Part] = field(default_factory=list)
    meter: float | None = None  # 0-100: a bar under the headline
    headline_tone: str = ""  # colours the headline itself (a percentage against thresholds)

    @property
    def meter_width(self) -> str:
        return f"{min(max(self.meter or 0.0, 0.0), 100.0):.1f}"


def number(value) -> str:
    return "—" if value is None else f"{value:,}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


def share(part, whole) -> float | None:
    if part is None or not whole:
        return None
    return 100.0 * part / whole


def count_tone(value, tone: str, *, at_least: int = 1) -> str:
    return tone if value is not None and value >= at_least else ""


def capacity_tone(pct: float | None, limit: Limit) -> str:
    """The capacity tile's colour, by the operator's HDFS capacity threshold."""
    if pct is None:
        return ""
    if limit.critical_at is not None and pct >= limit.critical_at:
        return "bad"
    return "warn" if limit.raise_at is not None and pct >= limit.raise_at else "ok"


def capacity_limit() -> Limit:
    return thresholds_current().get(HDFS_CAPACITY_HIGH, Limit())


def hdfs_tiles(hdfs: dict, limit: Limit) -> list[Tile]:
    capacity = hdfs["capacity"]
    pct = capacity["used_pct"]
    used, total = capacity["used_bytes"], capacity["total_bytes"]
    detail = "not reported"
    if used is not None and total is not None:
        detail = f"{filesizeformat(used)} of {filesizeformat(total)} used"
        if capacity["remaining_bytes"] is not None:
            detail += f" · {filesizeformat(capacity['remaining_bytes'])} free"
    datanodes = hdfs["datanodes"]
    dn_parts = [
        Part("live", number(datanodes["live"]), "live", "ok" if datanodes["live"] else ""),
        Part("dead", number(datanodes["dead"]), "dead", count_tone(datanodes["dead"], "bad")),
        Part("stale", number(datanodes["stale"]), "stale", count_tone(datanodes["stale"], "warn")),
    ]
    if datanodes["decommissioning"]:
        dn_parts.append(Part("decommissioning", number(datanodes["decommissioning"]), "decom."))
    blocks = hdfs["blocks"]
    safe_mode = hdfs["safe_mode"]
    namenodes = ", ".join(
        f"{host} {state}"
        for host, state in hdfs["namenodes"].items()
        if host != hdfs["active_namenode"]
    )
    return [
        Tile(
            "capacity",
            "HDFS capacity used",
            percent(pct),
            tone=capacity_tone(pct, limit),
            detail=detail,
            meter=pct,
            headline_tone=capacity_tone(pct, limit),
        ),
        Tile(
            "datanodes",
            "DataNodes",
            number(datanodes["live"]),
            tone="bad" if datanodes["dead"] else ("warn" if datanodes["stale"] else ""),
            parts=dn_parts,
            detail=f"{number(hdfs['volume_failures'])} failed volumes"
            if hdfs["volume_failures"]
            else "",
        ),
        Tile(
            "blocks",
            "Blocks",
            number(blocks["missing"]) + " missing",
            tone="bad" if (blocks["missing"] or blocks["corrupt"]) else "",
            parts=[
                Part(
                    "missing",
                    number(blocks["missing"]),
                    "missing",
                    count_tone(blocks["missing"], "bad"),
                ),
                Part(
                    "corrupt",
                    number(blocks["corrupt"]),
                    "corrupt",
                    count_tone(blocks["corrupt"], "bad"),
                ),
                Part(
                    "under_replicated",
                    number(blocks["under_replicated"]),
                    "under-replicated",
                    count_tone(blocks["under_replicated"], "warn"),
                ),
                Part(
                    "pending_deletion",
                    number(blocks["pending_deletion"]),
                    "pending deletion",
                    count_tone(
                        blocks["pending_deletion"], "warn", at_least=PENDING_DELETION_WARNING
                    ),
                ),
            ],
            detail=f"{number(blocks['total'])} blocks, {number(hdfs['files_total'])} files",
        ),
        Tile(
            "namenode",
            "Active NameNode",
            hdfs["active_namenode"] or "none",
            tone="" if hdfs["active_namenode"] else "bad",
            parts=[
                Part(
                    "safe_mode",
                    {True: "ON", False: "off", None: "—"}[safe_mode],
                    "safe mode",
                    "bad" if safe_mode else "",
                )
            ],
            detail=hdfs["safe_mode_tip"] or (f"also: {namenodes}" if namenodes else ""),
        ),
    ]


def yarn_tiles(yarn: dict) -> list[Tile]:
    memory, vcores, apps, nms = (
        yarn["memory_mb"],
        yarn["vcores"],
        yarn["apps"],
        yarn["nodemanagers"],
    )
    memory_pct = share(memory["allocated"], memory["total"])
    vcores_pct = share(vcores["allocated"], vcores["total"])
    memory_detail = "not reported"
    if memory["total"] is not None:
        memory_detail = (
            f"{filesizeformat((memory['allocated'] or 0) * 2**20)} of "
            f"{filesizeformat(memory['total'] * 2**20)} allocated"
        )
    nm_parts = [
        Part("active", number(nms["active"]), "active", "ok" if nms["active"] else ""),
        Part("lost", number(nms["lost"]), "lost", count_tone(nms["lost"], "bad")),
        Part(
            "unhealthy", number(nms["unhealthy"]), "unhealthy", count_tone(nms["unhealthy"], "bad")
        ),
    ]
    if nms["decommissioned"]:
        nm_parts.append(Part("decommissioned", number(nms["decommissioned"]), "decommissioned"))
    return [
        Tile(
            "yarn_memory",
            "YARN memory",
            percent(memory_pct),
            detail=memory_detail,
            meter=memory_pct,
        ),
        Tile(
            "yarn_vcores",
            "YARN vcores",
            percent(vcores_pct),
            detail=f"{number(vcores['allocated'])} of {number(vcores['total'])} allocated",
            meter=vcores_pct,
        ),
        Tile(
            "apps",
            "Applications",
            number(apps["running"]) + " running",
            parts=[
                Part("running", number(apps["running"]), "running"),
                Part(
                    "pending",
                    number(apps["pending"]),
                    "pending",
                    count_tone(apps["pending"], "warn"),
                ),
                Part("failed", number(apps["failed"]), "failed"),
                Part("killed", number(apps["killed"]), "killed"),
            ],
            detail="failed and killed: since the ResourceManager started",
        ),
        Tile(
            "nodemanagers",
            "NodeManagers",
            number(nms["active"]),
            tone="bad" if (nms["lost"] or nms["unhealthy"]) else "",
            parts=nm_parts,
            detail=f"active ResourceManager: {yarn['active_resourcemanager']}"
            if yarn["active_resourcemanager"]
            else "",
        ),
    ]


@dataclass(frozen=True)
class SeverityCount:
    severity: str
    label: str
    open: int
    acknowledged: int
    open_url: str
    acknowledged_url: str

    @property
    def total(self) -> int:
        return self.open + self.acknowledged


def fault_counts() -> list[SeverityCount]:
    changelist = reverse("admin:diagnosis_faultrecord_changelist")

    def url(severity, status):
        return f"{changelist}?{urlencode({'severity__exact': severity, 'status__exact': status})}"

    counts = faults_active_counts()
    return [
        SeverityCount(
            severity,
            Severity(severity).label,
            by_status[FaultRecord.Status.OPEN],
            by_status[FaultRecord.Status.ACKNOWLEDGED],
            url(severity, FaultRecord.Status.OPEN),
            url(severity, FaultRecord.Status.ACKNOWLEDGED),
        )
        for severity, by_status in counts.items()
    ]


def volume_charts(now: datetime) -> dict:
    hours = log_volume_hourly(hours=24, now=now)
    buckets = []
    for index, hour in enumerate(hours):
        local = hour.start
        label = ""
        if index % 3 == 0 or not hour.complete:
            label = "now" if not hour.complete else _local_hour(local)
        title = f"{_local_hour(local)}–{_local_hour(local + timedelta(hours=1))}"
        if not hour.complete:
            title += " (so far)"
        buckets.append(charts.Bucket(label, title, hour.counts))
    all_series = [charts.Series(level, level, LEVEL_CSS[level]) for level in LEVELS]
    severe = [s for s in all_series if s.key in SEVERE]
    start = hours[0].start
    totals = {level: sum(h.counts.get(level, 0) for h in hours) for level in LEVELS}
    links = [
        {
            "level": level,
            "css": LEVEL_CSS[level],
            "lines": totals[level],
            "url": system_logs_admin_url(level=level, start=start),
        }
        for level in LEVELS
        if totals[level] or level in SEVERE
    ]
    return {
        "all": charts.stacked_bars(
            buckets=buckets, series=all_series, label="Log lines per hour and level, last 24 h"
        ),
        "severe": charts.stacked_bars(
            buckets=buckets,
            series=severe,
            label="WARN, ERROR and FATAL lines per hour, last 24 h",
        ),
        "levels": links,
        "since": start,
        "total": sum(totals.values()),
    }


def _local_hour(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


def capacity_chart(now: datetime, limit: Limit) -> charts.LineChart:
    since = now - CAPACITY_HISTORY
    series = status_history(metric="capacity_used_pct", since=since, until=now, max_points=168)
    points = [(parse_time(p["t"]), p["value"]) for p in series.points]
    return charts.line_chart(
        series=[charts.LineSeries("HDFS used", "ln-capacity", points, " %")],
        since=since,
        until=now,
        label="HDFS capacity used, last 7 days",
        y_max=100,
        guides=[
            (value, f"{name} {value:g} %")
            for value, name in ((limit.raise_at, "warning"), (limit.critical_at, "critical"))
            if value is not None
        ],
        width=1240,
        height=170,
    )


def incident_rows(incidents) -> list[dict]:
    rows = []
    for incident in incidents:
        try:
            confidence = round(float(incident.top_confidence) * 100)
        except (TypeError, ValueError):
            confidence = None
        rows.append(
            {
                "incident": incident,
                "url": reverse("dashboard-incident", args=[incident.pk]),
                "top_cause": incident.top_cause or "",
                "confidence_pct": confidence,
            }
        )
    return rows


# Hosts listed on the dashboard's "Lines in no known layout" card; the rest are summed.
UNREADABLE_HOSTS = 10


def unreadable_lines(now: datetime) -> dict:
    """Lines of the last 24 h in no known layout, per host (most first), with links to them
    and to the layout page (docs/layouts.md)."""
    hosts = log_unreadable_by_host(since=now - timedelta(hours=24))
    return {
        "total": sum(lines for _, lines in hosts),
        "hosts": [
            {
                "host": host,
                "lines": lines,
                "url": system_logs_admin_url(host=host, level="UNKNOWN"),
            }
            for host, lines in hosts[:UNREADABLE_HOSTS]
        ],
        "more_hosts": max(len(hosts) - UNREADABLE_HOSTS, 0),
        "all_url": system_logs_admin_url(level="UNKNOWN"),
        "layouts_url": reverse("admin:logs_loglayout_changelist"),
        "preview_url": reverse("admin:logs_loglayout_preview"),
    }


def dashboard_page(*, now: datetime) -> dict:
    status = status_current(now=now)
    cluster = status["cluster"]
    limit = capacity_limit() if cluster else Limit()
    return {
        "now": now,
        "status": status,
        "collected_at": parse_time(status["collected_at"]),
        "banners": status_banners(status),
        "hdfs_tiles": hdfs_tiles(cluster["hdfs"], limit) if cluster else [],
        "yarn_tiles": yarn_tiles(cluster["yarn"]) if cluster else [],
        "cluster_state": cluster["state"] if cluster else "",
        "capacity_chart": capacity_chart(now, limit) if cluster else None,
        "hosts": host_rows(status["nodes"]),
        "incidents": incident_rows(incidents_for_dashboard(limit=DASHBOARD_INCIDENTS)),
        "fault_counts": fault_counts(),
        "newest_faults": faults_active_newest(limit=NEWEST_FAULTS),
        "volume": volume_charts(now),
        "unreadable": unreadable_lines(now),
    }
