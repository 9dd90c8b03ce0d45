"""manage.py prune: every growing table past its own retention, nothing newer, fault pages whole."""

import io
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from cluster.models import ClusterStatus
from diagnosis.models import Diagnosis, FaultEvent, FaultRecord
from faultportal.models import ApiToken, PruneRun
from faultportal.retention import IdWalk, retention_policies
from logs.models import IngestRequest, SystemLog
from runs.models import ExecLog
from tests.cluster.snapshots import store_snapshot
from tests.dashboard.pages_data import add_fault, add_line

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def prune(*args) -> str:
    out = io.StringIO()
    call_command("prune", *args, "--no-progress", stdout=out)
    return out.getvalue()


def _age(model, pk, field, when):
    model.objects.filter(pk=pk).update(**{field: when})


@pytest.fixture
def world(settings):
    """Rows on both sides of every retention, written in the order the portal writes them."""
    settings.LOG_RETENTION_DAYS = 30
    settings.INGEST_REQUEST_RETENTION_HOURS = 48
    settings.EXEC_LOG_RETENTION_DAYS = 90
    settings.FAULT_HISTORY_RETENTION_DAYS = 60
    settings.DIAGNOSIS_RETENTION_DAYS = 60
    settings.CLUSTER_STATUS_RETENTION_DAYS = 30
    now = timezone.now()
    w = {}
    # Lines: received 40 days ago (old) and today; one received today with a log time of last
    # year (a back-filled log) must stay.
    w["old_lines"] = [add_line(received_at=now - 40 * DAY, message=f"old {i}").pk for i in range(7)]
    w["fault_line"] = add_line(
        received_at=now - 35 * DAY, level="ERROR", message="Too many open files"
    )
    w["new_lines"] = [add_line(received_at=now, message=f"new {i}").pk for i in range(3)]
    w["backfilled"] = add_line(received_at=now, log_time=now - 365 * DAY, message="backfill").pk

    token = ApiToken.objects.create(name="flume", prefix="fpt_", key_hash="x" * 64, scopes="ingest")
    old_key = IngestRequest.objects.create(token=token, idempotency_key="old", accepted=1)
    _age(IngestRequest, old_key.pk, "created_at", now - 3 * DAY)
    w["old_key"] = old_key.pk
    w["new_key"] = IngestRequest.objects.create(token=token, idempotency_key="new", accepted=1).pk

    def run(status, age):
        row = ExecLog.objects.create(script="fsck", host="dn01", status=status, started_at=now)
        _age(ExecLog, row.pk, "created_at", now - age)
        return row.pk

    w["old_run"] = run(ExecLog.Status.SUCCEEDED, 100 * DAY)
    w["old_running"] = run(ExecLog.Status.RUNNING, 100 * DAY)  # never finished: the sweep's
    w["new_run"] = run(ExecLog.Status.FAILED, DAY)

    # A fault resolved 70 days ago whose lines are gone after the prune, with history and
    # diagnoses; an open fault with old history keeps all of it.
    settled = add_fault(
        host="dn07.example.com",
        title="DataNode on dn07 out of file descriptors",
        status=FaultRecord.Status.RESOLVED,
        first_log=w["fault_line"],
        latest_log=w["fault_line"],
        first_sample="2026-10-01 10:00:00,000 ERROR DataNode: Too many open files (first)",
        latest_sample="2026-10-01 12:00:00,000 ERROR DataNode: Too many open files (latest)",
        diagnosis={"engine": "rules", "causes": [], "remediation": []},
    )
    active = add_fault(host="dn08.example.com", title="still open")
    for fault in (settled, active):
        for action in ("opened", "resolved"):
            event = FaultEvent.objects.create(fault=fault, action=action, actor="system")
            _age(FaultEvent, event.pk, "at", now - 70 * DAY)
        diagnosis = Diagnosis.objects.create(fault=fault, engine="rules", result={"causes": []})
        _age(Diagnosis, diagnosis.pk, "created_at", now - 70 * DAY)
    _age(FaultRecord, settled.pk, "updated_at", now - 70 * DAY)
    excerpt = Diagnosis.objects.create(engine="rules", result={}, log_text="pasted")
    _age(Diagnosis, excerpt.pk, "created_at", now - 70 * DAY)
    w["new_excerpt"] = Diagnosis.objects.create(engine="rules", result={}, log_text="new").pk
    w["settled"], w["active"] = settled, active

    w["old_snapshot"] = store_snapshot(at=now - 31 * DAY)
    w["new_snapshot"] = store_snapshot(at=now - 29 * DAY)
    return w


def counts() -> dict:
    return {
        "system_logs": SystemLog.objects.count(),
        "ingest_requests": IngestRequest.objects.count(),
        "exec_logs": ExecLog.objects.count(),
        "fault_events": FaultEvent.objects.count(),
        "diagnoses": Diagnosis.objects.count(),
        "cluster_status": ClusterStatus.objects.count(),
        "fault_records": FaultRecord.objects.count(),
    }


def test_every_growing_table_is_registered_with_its_own_setting():
    policies = {p.table: p.setting for p in retention_policies()}
    assert policies == {
        "system_logs": "LOG_RETENTION_DAYS",
        "ingest_requests": "INGEST_REQUEST_RETENTION_HOURS",
        "exec_logs": "EXEC_LOG_RETENTION_DAYS",
        "fault_events": "FAULT_HISTORY_RETENTION_DAYS",
        "diagnoses": "DIAGNOSIS_RETENTION_DAYS",
        "cluster_status": "CLUSTER_STATUS_RETENTION_DAYS",
        "jobs": "JOBS_RETENTION_DAYS",
        "worker_heartbeats": "JOBS_RETENTION_DAYS",
        "notification_outbox": "NOTIFICATION_RETENTION_DAYS",
        "notification_messages": "NOTIFICATION_RETENTION_DAYS",
        "notification_groups": "NOTIFICATION_RETENTION_DAYS",
        "silences": "SILENCE_RETENTION_DAYS",
    }


def test_dry_run_says_what_would_go_and_deletes_nothing(world):
    before = counts()
    snapshot_rows = ClusterStatus.objects.filter(collection_id=world["old_snapshot"]).count()
    out = prune("--dry-run")
    assert counts() == before
    assert out.count("\n") == 1, out  # one line for cron
    assert out.startswith("prune --dry-run: would delete "), out
    assert "system_logs 8 (older than 30 d), " in out
    for part in (
        "ingest_requests 1 (older than 2 d)",
        "exec_logs 1 (older than 90 d)",
        "fault_events 2 (older than 60 d)",
        "diagnoses 2 (older than 60 d)",
        f"cluster_status {snapshot_rows} (older than 30 d)",
    ):
        assert part in out
    assert not PruneRun.objects.exists()


def test_prune_deletes_what_is_past_retention_keeps_the_rest_and_fault_pages(world, client):
    before = counts()
    out = prune()
    assert out.startswith("prune: deleted "), out
    assert "system_logs 8 (older than 30 d), " in out

    assert not SystemLog.objects.filter(pk__in=world["old_lines"]).exists()
    assert not SystemLog.objects.filter(pk=world["fault_line"].pk).exists()
    kept = set(SystemLog.objects.values_list("pk", flat=True))
    assert kept == {*world["new_lines"], world["backfilled"]}
    assert set(IngestRequest.objects.values_list("pk", flat=True)) == {world["new_key"]}
    assert set(ExecLog.objects.values_list("pk", flat=True)) == {
        world["old_running"],
        world["new_run"],
    }
    settled, active = world["settled"], world["active"]
    assert not FaultEvent.objects.filter(fault=settled).exists()
    assert FaultEvent.objects.filter(fault=active).count() == 2
    assert not Diagnosis.objects.filter(fault=settled).exists()
    assert Diagnosis.objects.filter(fault=active).count() == 1
    assert set(Diagnosis.objects.filter(fault__isnull=True).values_list("pk", flat=True)) == {
        world["new_excerpt"]
    }
    assert not ClusterStatus.objects.filter(collection_id=world["old_snapshot"]).exists()
    assert ClusterStatus.objects.filter(collection_id=world["new_snapshot"]).exists()
    assert counts()["fault_records"] == before["fault_records"]

    # The settled fault's page still shows its evidence: the record keeps its sample lines.
    client.force_login(User.objects.create_user("oncall", is_staff=True))
    response = client.get(reverse("dashboard-fault", args=[settled.pk]))
    assert response.status_code == 200
    page = " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())
    assert "Too many open files (first)" in page
    assert "Too many open files (latest)" in page
    assert client.get(reverse("dashboard-fault", args=[active.pk])).status_code == 200

    runs = {r.table: r for r in PruneRun.objects.all()}
    assert runs["system_logs"].rows == 8 and runs["system_logs"].finished_at is not None

    # A second run finds nothing more.
    after = counts()
    again = prune()
    assert counts() == after
    assert "; 0 rows in " in again, again


def test_the_walk_steps_over_rows_it_keeps_and_stops_at_the_first_new_row(world, settings):
    # Batches of 2 rows: the old lines span several batches, and the walk still stops at the
    # first row received after the cutoff (the backfilled line after it is new too).
    out = prune("--batch-size", "2", "--table", "system_logs", "--table", "fault_events")
    assert out.startswith("prune: deleted system_logs 8 (older than 30 d), fault_events 2 ")
    assert SystemLog.objects.count() == 4


def test_the_estimate_is_the_old_id_span():
    now = timezone.now()
    old = [add_line(received_at=now - 40 * DAY).pk for _ in range(5)]
    add_line(received_at=now)
    policy = next(p for p in retention_policies() if p.table == "system_logs")
    assert isinstance(policy, IdWalk)
    assert policy.estimate(now - 30 * DAY) == old[-1] - old[0] + 1
    assert policy.estimate(now - 50 * DAY) == 0


def test_the_command_refuses_nonsense():
    with pytest.raises(CommandError, match="Unknown table nope"):
        prune("--table", "nope")
    with pytest.raises(CommandError):
        prune("--batch-size", "0")
