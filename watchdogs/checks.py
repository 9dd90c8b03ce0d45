"""The watchdogs: the portal's own inputs that stopped, judged from what is stored.

Each check is pure given its inputs' reads: it returns a `Verdict`, the alarms it raises and the
keys it could judge. `watchdogs_apply` (watchdogs/services.py) raises a fault for each alarm and
resolves, as recovered, the active faults of a judged key that no longer alarms. A key a check
could not judge (no data about it) is left alone: no data is not a recovery.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings

from cluster.selectors import cluster_snapshot_latest_at
from diagnosis.models import Severity
from jobs.selectors import worker_silence
from logs.selectors import log_sources_heard_since

CLUSTER_KEY = "cluster"
CLUSTER_STATUS_STALE = "cluster_status_stale"
HOST_SILENT = "host_silent"
INGESTION_STOPPED = "ingestion_stopped"
WORKER_SILENT = "worker_silent"
# A source is watched while it sent lines within this: a host removed from the cluster stops
# being watched after a day (and its fault, no longer raised, is auto-resolved when quiet).
WATCH_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class Alarm:
    key: str
    title: str
    severity: str
    host: str = ""
    sample: str = ""


@dataclass
class Verdict:
    code: str
    judged: set[str] = field(default_factory=set)  # keys this run could judge
    alarms: list[Alarm] = field(default_factory=list)

    def alarm(self, key: str, **fields) -> None:
        self.judged.add(key)
        self.alarms.append(Alarm(key=key, **fields))


def _minutes(delta: timedelta) -> str:
    minutes = delta.total_seconds() / 60
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def cluster_status_stale(*, now: datetime) -> Verdict:
    """The latest cluster snapshot is older than CLUSTER_STATUS_STALE_SECONDS: the collector is
    down (or cannot write). Never raised before the first snapshot: an install without a
    collector is not an outage."""
    verdict = Verdict(CLUSTER_STATUS_STALE)
    latest = cluster_snapshot_latest_at()
    if latest is None:
        return verdict
    verdict.judged.add(CLUSTER_KEY)
    limit = timedelta(seconds=settings.CLUSTER_STATUS_STALE_SECONDS)
    age = now - latest
    if age > limit:
        verdict.alarm(
            CLUSTER_KEY,
            title=f"Cluster status is {_minutes(age)} old: the collector is not collecting",
            severity=Severity.MAJOR,
            sample=f"latest cluster snapshot collected at {latest.isoformat()}; "
            f"CLUSTER_STATUS_STALE_SECONDS={settings.CLUSTER_STATUS_STALE_SECONDS}",
        )
    return verdict


def source_key(host: str, logtype: str) -> str:
    return f"{host}\x1f{logtype}"


def log_sources(*, now: datetime) -> tuple[Verdict, Verdict]:
    """host_silent per (host, log type), and ingestion_stopped for the portal as a whole.

    A source that sent lines in the last day and none for HOST_SILENT_MINUTES is silent (its
    Flume agent or its node is down). When no source at all sent anything for
    INGESTION_SILENT_MINUTES, ingestion as a whole stopped (the portal's intake, the network, a
    token): that one fault is raised instead of one per host, and the per-host faults are
    neither raised nor resolved meanwhile.
    """
    silent = Verdict(HOST_SILENT)
    stopped = Verdict(INGESTION_STOPPED)
    sources = log_sources_heard_since(since=now - WATCH_WINDOW)
    if not sources:
        return silent, stopped
    latest = max(at for _, _, at in sources)
    stopped.judged.add(CLUSTER_KEY)
    stop_limit = timedelta(minutes=settings.INGESTION_SILENT_MINUTES)
    if now - latest > stop_limit:
        stopped.alarm(
            CLUSTER_KEY,
            title=f"No log line received from any host for {_minutes(now - latest)}",
            severity=Severity.CRITICAL,
            sample=f"{len(sources)} sources sent lines in the last day; the latest at "
            f"{latest.isoformat()} (INGESTION_SILENT_MINUTES="
            f"{settings.INGESTION_SILENT_MINUTES})",
        )
        return silent, stopped
    limit = timedelta(minutes=settings.HOST_SILENT_MINUTES)
    for host, logtype, at in sources:
        key = source_key(host, logtype)
        silent.judged.add(key)
        if now - at > limit:
            silent.alarm(
                key,
                host=host,
                title=f"{host} sent no {logtype} lines for {_minutes(now - at)}",
                severity=Severity.MAJOR,
                sample=f"last {logtype} line from {host} received at {at.isoformat()} "
                f"(HOST_SILENT_MINUTES={settings.HOST_SILENT_MINUTES})",
            )
    return silent, stopped


def worker_silent(*, now: datetime) -> Verdict:
    """The background worker (`manage.py notify`: notifications, LLM diagnoses) stopped: a
    worker has heartbeated, and no worker has for WORKER_SILENT_SECONDS. One fault for the
    portal, not one per worker process (each restart is a new worker id). Never raised before
    the first heartbeat: an install that runs no worker is not an outage."""
    verdict = Verdict(WORKER_SILENT)
    silent, latest = worker_silence(now=now)
    if latest is None:
        return verdict
    verdict.judged.add(CLUSTER_KEY)
    if silent:
        verdict.alarm(
            CLUSTER_KEY,
            title=f"No background worker heartbeat for {_minutes(now - latest)}: "
            "notifications and LLM diagnoses are not running",
            severity=Severity.MAJOR,
            sample=f"latest worker heartbeat at {latest.isoformat()} "
            f"(WORKER_SILENT_SECONDS={settings.WORKER_SILENT_SECONDS})",
        )
    return verdict


def watchdogs_evaluate(*, now: datetime) -> list[Verdict]:
    return [cluster_status_stale(now=now), *log_sources(now=now), worker_silent(now=now)]
