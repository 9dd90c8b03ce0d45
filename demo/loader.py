"""Load, detect and delete the demo week.

The demo is recognisable by what only it uses: hosts under .hdp.example, snapshots with source
"demo", runs with client_run_id "demo-run-…", tokens named "demo-…", and fault fingerprints
derived from the demo's own keys. That is how a second run knows it is there, and how --reset
removes exactly the demo and nothing an operator added.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from cluster.models import ClusterStatus
from demo import scenario
from demo.chatter import background_lines
from demo.exec_runs import exec_logs, incident_runs, scheduled_runs
from demo.faults import demo_fingerprint, evidence_by_fault, faults_record
from demo.incidents import incident_story
from demo.lines import Ids, Line, to_system_log
from demo.snapshots import Snapshots, snapshot_times
from demo.topology import DOMAIN, HOST_NAMES, HOSTS
from diagnosis.models import FaultRecord, Incident
from faultportal.models import ApiToken
from faultportal.services import api_token_create, api_token_revoke
from logs.models import SystemLog
from oncall.models import MaintenanceWindow, OutboxEntry, Silence
from oncall.silences import maintenance_window_create, silence_for_fault
from runs.models import ExecLog

BATCH_SIZE = 1000
# The author of the demo's silence and maintenance window (how --reset finds them).
DEMO_AUTHOR = "demo-seed"
DEMO_RUN_PREFIX = "demo-run-"
# (name, scopes): one ingest token per node's Flume agent, and the usual service accounts.
DEMO_TOKENS = [(f"demo-flume-{host.short}", "ingest") for host in HOSTS] + [
    ("demo-ops-scripts", "ingest"),
    ("demo-grafana", "read"),
    ("demo-oncall-bot", "read,diagnose"),
    ("demo-flume-edge01", "ingest"),  # an edge node taken out of service: revoked
]


@dataclass(frozen=True)
class DemoStory:
    """Everything the demo week consists of, before anything is stored."""

    week: scenario.Week
    lines: list[Line]
    specs: list
    snapshots: list[ClusterStatus]
    snapshot_count: int
    exec_runs: list[tuple[ExecLog, str]]  # (run, key of its demo fault or "")
    rm_started_ms: int

    @property
    def size(self) -> int:
        """Units of work for a progress bar: rows stored, plus one per fault."""
        return len(self.lines) + len(self.specs) + len(self.snapshots) + len(self.exec_runs)


def demo_story(*, now: datetime, seed: int, zone: ZoneInfo) -> DemoStory:
    """The demo week ending at `now`: the same seed and `now` always give the same week."""
    week = scenario.Week.ending(now, zone)
    rng = random.Random(seed)
    rm_started = week.start - timedelta(days=19, hours=rng.randint(0, 23))
    rm_started_ms = int(rm_started.timestamp() * 1000)
    ids = Ids(rng=rng, rm_started_ms=rm_started_ms)
    story = incident_story(week, rng, ids)
    lines = background_lines(week, rng, ids) + story.lines
    lines.sort(key=lambda line: line.at)
    snapshots = Snapshots(week, rng)
    times = snapshot_times(week, rng)
    rows = [row for number, hours in enumerate(times) for row in snapshots.rows(number, hours)]
    runs = scheduled_runs(week, rng) + incident_runs(rng)
    return DemoStory(
        week=week,
        lines=lines,
        specs=story.faults,
        snapshots=rows,
        snapshot_count=len(times),
        exec_runs=exec_logs(week, runs, rm_started_ms=rm_started_ms),
        rm_started_ms=rm_started_ms,
    )


@dataclass(frozen=True)
class DemoCounts:
    log_lines: int
    snapshots: int
    status_rows: int
    faults: dict[str, int]  # status -> count
    regressions: int
    exec_runs: int
    tokens: int

    def summary(self) -> str:
        faults = sum(self.faults.values())
        states = ", ".join(f"{count} {status}" for status, count in self.faults.items() if count)
        return (
            f"{len(HOST_NAMES)} hosts, {self.log_lines:,} log lines, "
            f"{self.snapshots:,} cluster snapshots ({self.status_rows:,} status rows), "
            f"{faults} faults ({states}; {self.regressions} regression), "
            f"{self.exec_runs} script runs, {self.tokens} API tokens"
        )


def demo_counts() -> DemoCounts:
    faults = FaultRecord.objects.filter(fingerprint__in=_all_fingerprints())
    return DemoCounts(
        log_lines=SystemLog.objects.filter(host__in=HOST_NAMES).count(),
        snapshots=ClusterStatus.objects.filter(source="demo", scope="cluster").count(),
        status_rows=ClusterStatus.objects.filter(source="demo").count(),
        faults={s: faults.filter(status=s).count() for s in FaultRecord.Status.values},
        regressions=faults.filter(is_regression=True).count(),
        exec_runs=ExecLog.objects.filter(client_run_id__startswith=DEMO_RUN_PREFIX).count(),
        tokens=ApiToken.objects.filter(name__in=[name for name, _ in DEMO_TOKENS]).count(),
    )


def demo_exists() -> bool:
    return (
        ClusterStatus.objects.filter(source="demo").exists()
        or SystemLog.objects.filter(host__in=HOST_NAMES).exists()
        or ExecLog.objects.filter(client_run_id__startswith=DEMO_RUN_PREFIX).exists()
        or ApiToken.objects.filter(name__in=[name for name, _ in DEMO_TOKENS]).exists()
    )


def other_host_with_lines() -> str | None:
    """A host outside the demo cluster with lines stored, if any: real data seed_demo would mix
    a fake week into. One indexed probe, whatever the table's size."""
    found = SystemLog.objects.exclude(host__in=HOST_NAMES).order_by().values_list("host", flat=True)
    return next(iter(found[:1]), None)


def _all_fingerprints() -> list[str]:
    # The fault specs do not depend on time or seed: build them against any week.
    week = scenario.Week.ending(timezone.now(), ZoneInfo("UTC"))
    story = incident_story(week, random.Random(0), Ids(rng=random.Random(0), rm_started_ms=0))
    return [demo_fingerprint(spec) for spec in story.faults]


def demo_delete() -> int:
    """Remove the demo data (and only it); returns how many rows went."""
    deleted = 0
    with transaction.atomic():
        deleted += ExecLog.objects.filter(client_run_id__startswith=DEMO_RUN_PREFIX).delete()[0]
        demo_faults = FaultRecord.objects.filter(fingerprint__in=_all_fingerprints())
        incident_ids = set(demo_faults.exclude(incident=None).values_list("incident_id", flat=True))
        # The outbox keeps no constraint on its fault (it must never block a fault change):
        # the demo faults' changes waiting to be notified go with them (their items cascade).
        deleted += OutboxEntry.objects.filter(fault__in=demo_faults).delete()[0]
        deleted += demo_faults.delete()[0]
        deleted += _incidents_delete(incident_ids)
        deleted += SystemLog.objects.filter(host__in=HOST_NAMES).delete()[0]
        deleted += ClusterStatus.objects.filter(source="demo").delete()[0]
        deleted += ApiToken.objects.filter(name__in=[name for name, _ in DEMO_TOKENS]).delete()[0]
        deleted += Silence.objects.filter(author=DEMO_AUTHOR).delete()[0]
        deleted += MaintenanceWindow.objects.filter(author=DEMO_AUTHOR).delete()[0]
    return deleted


def _incidents_delete(ids: set[int]) -> int:
    """The demo's incidents go with their faults, with the ones merged into them (a merged
    incident keeps no faults of its own); an incident a real fault joined stays."""
    found = set(ids)
    while ids:
        ids = set(Incident.objects.filter(merged_into__in=ids).values_list("id", flat=True)) - found
        found |= ids
    return Incident.objects.filter(id__in=found).filter(faults=None).delete()[0]


Progress = Callable[[int], None]


def demo_load(*, story: DemoStory, progress: Progress | None = None) -> DemoCounts:
    """Store the demo week in one transaction; `progress(n)` is told of each n units done."""
    progress = progress or (lambda n: None)
    wall_start = timezone.now()
    rng = random.Random(story.rm_started_ms)
    zone = story.week.zone
    with transaction.atomic():
        raws = _store_lines(story.lines, zone, rng, progress)
        ids = _tagged_line_ids(story.lines)
        records = faults_record(
            week=story.week,
            specs=story.specs,
            evidence=evidence_by_fault(story.lines, raws, ids),
            wall_start=wall_start,
        )
        progress(len(story.specs))
        for start in range(0, len(story.snapshots), BATCH_SIZE):
            batch = story.snapshots[start : start + BATCH_SIZE]
            ClusterStatus.objects.bulk_create(batch)
            progress(len(batch))
        scripts = _store_tokens(story, rng)
        for run, fault_key in story.exec_runs:
            run.fault = records[fault_key] if fault_key else None
            run.reported_by = scripts
        ExecLog.objects.bulk_create([run for run, _ in story.exec_runs], batch_size=BATCH_SIZE)
        _backdate_runs()
        progress(len(story.exec_runs))
        _store_mutes(records.values())
    return demo_counts()


def _store_mutes(records) -> None:
    """What an on-call team has muted: the DataNodes' weekly rolling restart, and a silence on
    an open DataNode fault being worked on (its page says "silenced until …")."""
    maintenance_window_create(
        author=DEMO_AUTHOR,
        name="Sunday DataNode rolling restart",
        host_glob=f"dn*.{DOMAIN}",
        recurrence=MaintenanceWindow.Recurrence.WEEKLY,
        weekdays="sun",
        start_time=time(3, 0),
        duration_minutes=90,
        comment="Restarts one DataNode at a time after the weekly patch run.",
    )
    open_worker_faults = sorted(
        (r for r in records if r.is_active and r.host.startswith("dn")), key=lambda r: r.pk
    )
    if open_worker_faults:
        fault = open_worker_faults[0]
        silence_for_fault(
            fault=fault,
            duration=timedelta(hours=2),
            author=DEMO_AUTHOR,
            comment=f"Looking into it on {fault.host.split('.')[0]}; ticket OPS-1042.",
        )


def _store_lines(lines: list[Line], zone: ZoneInfo, rng: random.Random, progress) -> list[str]:
    raws = []
    for start in range(0, len(lines), BATCH_SIZE):
        batch = lines[start : start + BATCH_SIZE]
        rows = [
            to_system_log(line, zone, delay=timedelta(milliseconds=rng.randint(150, 3000)))
            for line in batch
        ]
        SystemLog.objects.bulk_create(rows)
        raws += [row.raw for row in rows]
        progress(len(rows))
    return raws


def _tagged_line_ids(lines: list[Line]) -> dict:
    """Ids of the stored lines that are fault evidence (bulk_create gives no ids on MySQL)."""
    times = {line.at for line in lines if line.fault}
    found = SystemLog.objects.filter(host__in=HOST_NAMES, log_time__in=times).values_list(
        "id", "host", "log_time", "raw"
    )
    return {(host, at, raw): pk for pk, host, at, raw in found}


def _store_tokens(story: DemoStory, rng: random.Random) -> ApiToken:
    """The tokens a cluster like this has; their secrets are never shown (this is a demo)."""
    end = story.week.end
    tokens = {}
    for name, scopes in DEMO_TOKENS:
        token, _ = api_token_create(name=name, scopes=scopes)
        tokens[name] = token
    for name, token in tokens.items():
        if name.startswith("demo-flume-") and name != "demo-flume-edge01":
            token.last_used_at = end - timedelta(seconds=rng.randint(1, 40))
        elif name == "demo-grafana":
            token.last_used_at = end - timedelta(minutes=rng.randint(1, 5))
        elif name == "demo-oncall-bot":
            token.last_used_at = end - timedelta(hours=rng.randint(2, 30))
        token.created_at = story.week.start - timedelta(days=rng.randint(30, 200))
        token.save(update_fields=["last_used_at", "created_at"])
    retired = api_token_revoke(token=tokens["demo-flume-edge01"])
    retired.last_used_at = story.week.at(52.0)
    retired.revoked_at = story.week.at(53.5)
    retired.save(update_fields=["last_used_at", "revoked_at"])
    scripts = tokens["demo-ops-scripts"]
    last_run = max(run.finished_at or run.started_at for run, _ in story.exec_runs)
    ApiToken.objects.filter(pk=scripts.pk).update(last_used_at=last_run)
    return scripts


def _backdate_runs() -> None:
    ExecLog.objects.filter(client_run_id__startswith=DEMO_RUN_PREFIX).update(
        created_at=F("started_at"), updated_at=Coalesce(F("finished_at"), F("started_at"))
    )
