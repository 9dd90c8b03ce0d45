"""Runs that never report their end become timed_out after their deadline."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from runs.models import ExecLog
from runs.services import FinishReport, exec_run_finish, exec_run_start, exec_runs_time_out

pytestmark = pytest.mark.django_db


def started(minutes_ago: float, timeout: int | None = None) -> ExecLog:
    run, _ = exec_run_start(
        script="fsck",
        host="nn01",
        timeout_seconds=timeout,
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
    )
    return run


def status_of(run: ExecLog) -> str:
    return ExecLog.objects.get(pk=run.pk).status


def test_a_run_past_its_declared_timeout_is_timed_out_and_not_before():
    overdue = started(minutes_ago=11, timeout=600)
    in_time = started(minutes_ago=9, timeout=600)
    assert exec_runs_time_out() == 1
    assert status_of(overdue) == "timed_out"
    assert status_of(in_time) == "running"
    assert ExecLog.objects.get(pk=overdue.pk).finished_at is None  # nobody reported an end


@override_settings(EXEC_DEFAULT_TIMEOUT_SECONDS=3600)
def test_without_a_declared_timeout_the_default_applies():
    overdue = started(minutes_ago=61)
    in_time = started(minutes_ago=59)
    exec_runs_time_out()
    assert (status_of(overdue), status_of(in_time)) == ("timed_out", "running")


def test_finished_runs_are_left_alone():
    run = started(minutes_ago=30, timeout=60)
    exec_run_finish(run_id=run.pk, report=FinishReport(exit_code=0))
    assert exec_runs_time_out() == 0
    assert status_of(run) == "succeeded"


def test_the_sweep_never_overwrites_a_finish_that_lands_meanwhile():
    run = started(minutes_ago=30, timeout=60)
    exec_run_finish(run_id=run.pk, report=FinishReport(exit_code=1))
    # The sweep read the run as running just before the finish; its update re-checks.
    assert ExecLog.objects.filter(pk=run.pk, status="running").update(status="timed_out") == 0
    assert status_of(run) == "failed"


def test_the_command_times_out_overdue_runs(capsys):
    run = started(minutes_ago=5, timeout=60)
    call_command("time_out_exec_runs")
    assert status_of(run) == "timed_out"
    assert "1 run(s) timed out." in capsys.readouterr().out


def test_listing_applies_the_sweep_lazily(token_client):
    run = started(minutes_ago=5, timeout=60)
    client = token_client("read")
    body = client.get("/api/exec/runs", {"status": "timed_out"}).json()
    assert [r["id"] for r in body["results"]] == [run.pk]
    assert client.get(f"/api/exec/runs/{run.pk}").json()["status"] == "timed_out"


def test_a_late_report_replaces_the_sweeps_inference():
    """The report was late (spooled while the portal was down), not the run."""
    run = started(minutes_ago=30, timeout=60)
    exec_runs_time_out()
    finished_at = run.started_at + timedelta(seconds=42)
    run, changed = exec_run_finish(
        run_id=run.pk, report=FinishReport(exit_code=0, stdout="ok\n", finished_at=finished_at)
    )
    assert changed
    assert (run.status, run.exit_code, run.stdout_tail) == ("succeeded", 0, "ok\n")
    assert run.duration_seconds == pytest.approx(42)
    # Re-sending that report from the spool changes nothing.
    again, changed = exec_run_finish(
        run_id=run.pk, report=FinishReport(exit_code=0, stdout="ok\n", finished_at=finished_at)
    )
    assert not changed and again.status == "succeeded"


def test_a_run_that_outlived_its_timeout_still_records_how_it_ended():
    run = started(minutes_ago=30, timeout=60)
    exec_runs_time_out()
    run, _ = exec_run_finish(run_id=run.pk, report=FinishReport(exit_code=3))
    assert (run.status, run.exit_code) == ("failed", 3)
    assert run.duration_seconds == pytest.approx(30 * 60, abs=5)
