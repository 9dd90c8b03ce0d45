"""The cluster status as the pages show it: the API's answer, read through the API's cache.

The dashboard, the host pages and GET /api/cluster/status all show the same snapshot: the
pages decode the cached JSON the API serves (cluster.cache / cluster.rendering), so with Redis
a page costs no status query at all, and without it they read the same selectors. Ages and
the stale flag are computed at answer time, never cached.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime

from cluster.cache import status_cached
from cluster.models import ClusterStatus
from cluster.rendering import status_json, status_render
from cluster.selectors import ROLE_ORDER, cluster_status_latest

Role = ClusterStatus.Role

# Display names and order of a host's roles.
ROLE_LABELS = {role: Role(role).label for role in ROLE_ORDER}

# State -> tone (the colour class): ok, warn, bad or muted. Unknown states read as warn.
STATE_TONES = {
    "active": "ok",
    "standby": "muted",
    "live": "ok",
    "stale": "warn",
    "dead": "bad",
    "decommissioning": "warn",
    "decommissioned": "muted",
    "in_maintenance": "muted",
    "unreachable": "bad",
    "running": "ok",
    "unhealthy": "bad",
    "lost": "bad",
    "rebooted": "warn",
    "shutdown": "muted",
    "new": "warn",
    "up": "ok",
    "ok": "ok",
    "warning": "warn",
    "critical": "bad",
}


def state_tone(state: str) -> str:
    return STATE_TONES.get((state or "").lower(), "warn")


def status_current(*, now: datetime) -> dict:
    """The latest snapshot with ages as of `now`: GET /api/cluster/status's answer, decoded."""
    rendered = status_cached(lambda: status_render(cluster_status_latest()))
    return json.loads(status_json(rendered, now))


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass
class RoleState:
    role: str
    label: str
    state: str
    tone: str
    reachable: bool
    error: str
    collected_at: datetime | None
    age_seconds: float | None
    stale: bool
    metrics: dict
    details: dict


@dataclass
class HostRow:
    """One host of the node table: its roles with their states, and its figures."""

    host: str
    roles: list[RoleState] = field(default_factory=list)

    def role(self, name: str) -> RoleState | None:
        return next((r for r in self.roles if r.role == name), None)

    @property
    def datanode(self):
        return self.role(Role.DATANODE)

    @property
    def nodemanager(self):
        return self.role(Role.NODEMANAGER)

    @property
    def metrics(self):
        return self.role(Role.HOST)

    @property
    def daemons(self) -> list[RoleState]:
        return [r for r in self.roles if r.role != Role.HOST]

    @property
    def tone(self) -> str:
        tones = {r.tone for r in self.roles} | ({"warn"} if self.stale else set())
        for tone in ("bad", "warn", "ok"):
            if tone in tones:
                return tone
        return "muted"

    @property
    def stale(self) -> bool:
        return any(r.stale for r in self.roles)

    @property
    def age_seconds(self) -> float | None:
        ages = [r.age_seconds for r in self.roles if r.age_seconds is not None]
        return max(ages) if ages else None


def role_state(node: dict) -> RoleState:
    return RoleState(
        role=node["role"],
        label=ROLE_LABELS.get(node["role"], node["role"]),
        state=node["state"],
        tone=state_tone(node["state"]),
        reachable=node["reachable"],
        error=node["error"],
        collected_at=parse_time(node["collected_at"]),
        age_seconds=node["age_seconds"],
        stale=node["stale"],
        metrics=node["metrics"],
        details=node["details"],
    )


def host_rows(nodes: list[dict]) -> list[HostRow]:
    """Node entries grouped by host, in the answer's order (masters first, then by name)."""
    rows: dict[str, HostRow] = {}
    for node in nodes:
        rows.setdefault(node["host"], HostRow(node["host"])).roles.append(role_state(node))
    return list(rows.values())


@dataclass(frozen=True)
class Banner:
    tone: str  # bad / warn
    title: str
    detail: str = ""
    command: str = ""


def status_banners(status: dict) -> list[Banner]:
    """What must be said above the figures: no data, stale data, unreachable daemons."""
    cluster = status["cluster"]
    if cluster is None:
        return [
            Banner(
                "warn",
                "No cluster snapshot yet.",
                "The collector has not stored a snapshot. Run it against your NameNode(s) and "
                "ResourceManager(s), once or every 60 s (or set NAMENODE_URLS and "
                "RESOURCEMANAGER_URLS):",
                "python manage.py collect_cluster_status --namenode http://nn1:9870 "
                "--resourcemanager http://rm1:8088 --every 60",
            )
        ]
    banners = []
    if status["stale"]:
        banners.append(
            Banner(
                "warn",
                f"Cluster data is stale: the latest snapshot is {age_text(status['age_seconds'])}"
                " old.",
                f"Snapshots older than {status['stale_after_seconds']} s "
                "(CLUSTER_STATUS_STALE_SECONDS) are flagged: is collect_cluster_status running?",
            )
        )
    hdfs, yarn = cluster["hdfs"], cluster["yarn"]
    down = [
        f"NameNode {host}" for host, state in hdfs["namenodes"].items() if state == "unreachable"
    ]
    down += [
        f"ResourceManager {host}"
        for host, state in yarn["resourcemanagers"].items()
        if state == "unreachable"
    ]
    if down or not cluster["reachable"]:
        banners.append(
            Banner(
                "bad",
                (", ".join(down) + " unreachable.")
                if down
                else "Part of the cluster did not answer the collector.",
                cluster["error"],
            )
        )
    elif cluster["error"]:
        banners.append(Banner("warn", "The collector reported a problem.", cluster["error"]))
    return banners


def age_text(seconds: float | None) -> str:
    """3 s, 4 min, 2 h 10 min, 3 d: how long ago, for people."""
    if seconds is None:
        return "unknown"
    seconds = int(seconds)
    if seconds < 90:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 90:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} d"
