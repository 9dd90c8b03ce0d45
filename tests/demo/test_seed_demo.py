"""seed_demo: a realistic week of a 12-node cluster, loaded once, consistent with itself."""

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from cluster.models import ClusterStatus
from demo.loader import demo_delete, demo_story
from demo.topology import HOST_NAMES
from diagnosis.models import FaultEvent, FaultRecord, FaultType, Incident
from faultportal.models import ApiToken
from logs.models import LogLevel, SystemLog
from oncall.models import OutboxEntry
from runs.models import ExecLog
from tests.demo.lines import other_host_line

pytestmark = pytest.mark.django_db

SUMMARY = re.compile(
    r"^Loaded the demo week: 12 hosts, [\d,]+ log lines, [\d,]+ cluster snapshots "
    r"\([\d,]+ status rows\), \d+ faults \(.*\), \d+ script runs, \d+ API tokens\.$"
)
LEVEL_ORDER = ["UNKNOWN", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]


def seed(capsys, *args) -> str:
    call_command("seed_demo", "--no-progress", *args)
    return capsys.readouterr().out


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded once for this module (loading takes seconds), in a cluster time zone
    other than UTC; each test runs in a transaction that is rolled back, so they share it."""
    out = io.StringIO()
    with django_db_blocker.unblock():
        with override_settings(CLUSTER_TIME_ZONE="Asia/Shanghai"):
            loaded_at = timezone.now()
            call_command("seed_demo", "--no-progress", stdout=out)
        try:
            yield out.getvalue(), loaded_at
        finally:
            demo_delete()


def table_counts() -> dict[str, int]:
    return {
        model._meta.db_table: model.objects.count()
        for model in (SystemLog, ExecLog, ClusterStatus, FaultRecord, FaultEvent, ApiToken)
    }


def test_it_loads_a_realistic_week_into_every_table_and_says_so_in_one_line(demo):
    out, now = demo
    assert SUMMARY.match(out.strip()), out
    assert len(out.strip().splitlines()) == 1

    logs = SystemLog.objects.all()
    assert logs.count() >= 10_000
    assert set(logs.values_list("host", flat=True).distinct()) == set(HOST_NAMES)
    assert set(logs.values_list("level", flat=True).distinct()) == set(LogLevel.values)
    first = logs.exclude(log_time=None).order_by("log_time").first().log_time
    last = logs.exclude(log_time=None).order_by("-log_time").first().log_time
    assert now - timedelta(days=7, minutes=5) <= first < now - timedelta(days=6, hours=23)
    assert now - timedelta(minutes=30) < last <= now
    assert logs.exclude(trace="").filter(trace__contains="\tat ").exists()  # stack traces
    assert logs.exclude(thread="").filter(logtype="mapreduce").exists()  # [thread] layout

    snapshots = ClusterStatus.objects.filter(scope="cluster")
    assert snapshots.count() >= 7 * 24 * 2  # at least every 30 minutes
    assert set(ClusterStatus.objects.values_list("role", flat=True).distinct()) == set(
        ClusterStatus.Role.values
    )
    assert snapshots.filter(safe_mode=True).exists()  # the safe-mode episode
    assert snapshots.filter(dead_datanodes__gt=0).exists()  # the dead DataNode
    namenodes = set(snapshots.values_list("active_namenode", flat=True).distinct())
    assert namenodes == {"nn01.hdp.example", "nn02.hdp.example"}  # the failover
    earliest, latest = snapshots.order_by("collected_at")[0], snapshots.latest("collected_at")
    assert latest.capacity_used_pct > earliest.capacity_used_pct + 5  # capacity creeps up

    faults = FaultRecord.objects.all()
    assert set(faults.values_list("status", flat=True).distinct()) == set(FaultRecord.Status.values)
    assert faults.filter(is_regression=True, status="open").exists()
    assert FaultEvent.objects.filter(action="regressed").exists()
    assert FaultEvent.objects.filter(at__gt=now).count() == 0  # the story is in the past

    runs = ExecLog.objects.all()
    assert {"succeeded", "failed", "timed_out", "running"} <= set(
        runs.values_list("status", flat=True).distinct()
    )
    assert runs.exclude(fault=None).exists()
    assert ApiToken.objects.filter(revoked_at__isnull=False).exists()
    # Not seeded on purpose: ingest_requests (a retry ledger for batch senders) and diagnoses
    # (the diagnosis engine's own output).


def test_a_second_run_adds_nothing(demo, capsys):
    before = table_counts()
    out = seed(capsys)
    assert out.startswith("Demo data already loaded (12 hosts, ")
    assert "Use --reset to replace it." in out
    assert table_counts() == before


def test_a_second_run_adds_nothing_even_beside_other_lines(demo, capsys):
    # ./bin/demo runs seed_demo on every start: lines sent to the demo portal must not stop it.
    other_host_line()
    before = table_counts()
    assert seed(capsys).startswith("Demo data already loaded (12 hosts, ")
    assert table_counts() == before


def test_reset_refuses_a_database_with_other_hosts_lines_without_force(demo, capsys):
    other_host_line("prod-nn01")
    before = table_counts()
    with pytest.raises(CommandError, match="hosts outside the demo cluster") as refused:
        seed(capsys, "--reset")
    assert "'prod-nn01'" in str(refused.value) and "--force" in str(refused.value)
    assert refused.value.returncode != 0  # manage.py exits with it
    assert table_counts() == before  # the demo was neither deleted nor loaded again


def test_reset_replaces_the_demo_and_leaves_everything_else_alone(demo, capsys):
    mine = other_host_line()
    my_run = ExecLog.objects.create(script="x.sh", host="prod-dn01", started_at=timezone.now())
    old = {model: model.objects.latest("pk").pk for model in (SystemLog, ClusterStatus, ExecLog)}
    faults, tokens = FaultRecord.objects.count(), ApiToken.objects.count()
    last_incident = Incident.objects.latest("pk").pk  # the demo's faults tell incidents
    last_outbox = OutboxEntry.objects.latest("pk").pk  # and their changes wait to be notified

    out = seed(capsys, "--reset", "--force")
    assert out.splitlines()[0].startswith("Deleted the previous demo data")
    assert SUMMARY.match(out.splitlines()[-1])
    # Every demo row is new; nothing else was touched; nothing is doubled.
    assert list(SystemLog.objects.filter(pk__lte=old[SystemLog])) == [mine]
    assert not ClusterStatus.objects.filter(pk__lte=old[ClusterStatus]).exists()
    assert list(ExecLog.objects.filter(pk__lte=old[ExecLog])) == [my_run]
    assert (FaultRecord.objects.count(), ApiToken.objects.count()) == (faults, tokens)
    # The previous demo's incidents (merged ones too) went with their faults.
    assert not Incident.objects.filter(pk__lte=last_incident).exists()
    assert Incident.objects.exists()
    # So did their changes in the notification outbox: no orphan is notified later.
    assert not OutboxEntry.objects.filter(pk__lte=last_outbox).exists()
    assert OutboxEntry.objects.exists()
    assert SystemLog.objects.filter(host__in=HOST_NAMES).count() > 10_000


def test_faults_are_built_from_the_stored_lines_in_the_cluster_time_zone(demo):
    zone = ZoneInfo("Asia/Shanghai")
    for line in SystemLog.objects.exclude(log_time=None).order_by("?")[:200]:
        stamp = datetime.strptime(line.raw[:23], "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=zone)
        assert stamp == line.log_time, line.raw  # raw shows local time; log_time is that, in UTC
    for fault in FaultRecord.objects.all():
        first, latest = (
            SystemLog.objects.get(pk=fault.first_log_id),
            SystemLog.objects.get(pk=fault.latest_log_id),
        )
        assert (fault.first_sample, fault.latest_sample) == (first.raw, latest.raw)
        assert (fault.first_seen, fault.last_seen) == (first.log_time, latest.log_time)
        assert fault.first_seen <= fault.created_at < fault.first_seen + timedelta(minutes=1)
        if fault.host:
            assert fault.host == first.host


@pytest.fixture
def catalogue():
    return list(FaultType.objects.filter(enabled=True))


def matching_codes(line, catalogue) -> set[str]:
    """The fault types whose signature this line carries, as the catalogue defines them."""
    level = "UNKNOWN" if line.unparsed else line.level
    text = f"{line.message}\n{line.trace}"
    codes = set()
    for fault_type in catalogue:
        if LEVEL_ORDER.index(level) < LEVEL_ORDER.index(fault_type.min_level):
            continue
        if fault_type.component_pattern and not re.search(
            fault_type.component_pattern, line.component
        ):
            continue
        if any(re.search(pattern, text) for pattern in fault_type.pattern_list):
            codes.add(fault_type.code)
    return codes


def test_every_signature_line_belongs_to_its_fault_and_no_other_line_has_one(catalogue):
    story = demo_story(now=timezone.now(), seed=7, zone=ZoneInfo("UTC"))
    codes = {spec.key: spec.code for spec in story.specs}
    tagged = 0
    for line in story.lines:
        found = matching_codes(line, catalogue)
        if line.fault:
            tagged += 1
            expected = codes[line.fault]
            if expected == "unclassified":
                assert not found and line.level in ("ERROR", "FATAL"), line.message
            else:
                assert expected in found, (line.fault, line.message)
        else:
            assert not found, (found, line.message)
            assert line.level not in ("ERROR", "FATAL"), line.message  # would be unclassified
    assert tagged >= 100
    assert len({spec.code for spec in story.specs}) >= 15


def test_the_week_is_deterministic_for_a_seed():
    now = timezone.now()
    one = demo_story(now=now, seed=11, zone=ZoneInfo("UTC"))
    two = demo_story(now=now, seed=11, zone=ZoneInfo("UTC"))
    other = demo_story(now=now, seed=12, zone=ZoneInfo("UTC"))
    assert [(line.at, line.message) for line in one.lines] == [
        (line.at, line.message) for line in two.lines
    ]
    assert [line.message for line in one.lines] != [line.message for line in other.lines]


def test_the_demo_mutes_a_weekly_restart_and_one_open_fault_and_reset_replaces_them(demo, capsys):
    from oncall.models import MaintenanceWindow, Silence
    from oncall.silences import fault_suppressions

    (window,) = MaintenanceWindow.objects.all()
    assert (window.recurrence, window.weekdays, window.host_glob) == (
        "weekly",
        "sun",
        "dn*.hdp.example",
    )
    (silence,) = Silence.objects.all()
    assert silence.state(timezone.now()) == "active"
    muted = FaultRecord.objects.get(
        host=silence.host_glob, fault_type__code=silence.fault_type_code
    )
    assert muted.is_active
    assert [s.kind for s in fault_suppressions(fault=muted)][:1] == ["silence"]

    mine = Silence.objects.create(
        host_glob="prod-dn01",
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(hours=1),
        author="olga",
        comment="an operator's own",
    )
    seed(capsys, "--reset", "--force")
    assert Silence.objects.filter(author="demo-seed").count() == 1  # replaced, not doubled
    assert not Silence.objects.filter(pk=silence.pk).exists()
    assert Silence.objects.filter(pk=mine.pk).exists()  # an operator's silence stays
    assert MaintenanceWindow.objects.count() == 1
