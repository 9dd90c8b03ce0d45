"""The admin pages for script runs: list, one run, Script health, and a fault's runs."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from diagnosis.models import FaultRecord, FaultType
from runs.models import ExecLog
from runs.services import FinishReport, exec_run_finish, exec_run_start

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'


def make_fault() -> FaultRecord:
    now = timezone.now()
    return FaultRecord.objects.create(
        fault_type=FaultType.objects.get(code="unclassified"),
        fingerprint=uuid.uuid4().hex,
        title="NameNode in safe mode",
        severity="critical",
        first_seen=now,
        last_seen=now,
    )


def make_run(script="balancer", exit_code=0, duration=10.0, fault=None, minutes_ago=5, **report):
    run, _ = exec_run_start(
        script=script,
        host="nn01",
        args=["hdfs", "balancer"],
        fault=fault,
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
    )
    if exit_code is not None:
        run, _ = exec_run_finish(
            run_id=run.pk,
            report=FinishReport(exit_code=exit_code, duration_seconds=duration, **report),
        )
    return run


def test_the_list_shows_status_duration_and_fault(admin_client):
    fault = make_fault()
    make_run(exit_code=1, duration=75, fault=fault)
    html = admin_client.get(reverse("admin:runs_execlog_changelist")).content.decode()
    assert 'class="fp-badge fp-status fp-run-failed">Failed<' in html
    assert "1 min 15 s" in html
    assert reverse("admin:diagnosis_faultrecord_change", args=[fault.pk]) in html
    assert reverse("admin:runs_execlog_scripts") in html  # the Script health link


def test_a_runs_output_is_shown_escaped_in_pre_blocks(admin_client):
    run = make_run(exit_code=1, stdout=f"ok\n{HOSTILE}\n", stderr="", stdout_bytes=99_999)
    html = admin_client.get(reverse("admin:runs_execlog_change", args=[run.pk])).content.decode()
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert '<pre class="fp-output"' in html
    assert "of 99999 (the start was cut)" in html
    assert "<code>hdfs balancer</code>" in html


def test_runs_are_view_only(admin_client):
    run = make_run()
    url = reverse("admin:runs_execlog_change", args=[run.pk])
    assert admin_client.post(url, {"script": "forged"}).status_code == 403
    assert ExecLog.objects.get(pk=run.pk).script == "balancer"
    assert admin_client.get(reverse("admin:runs_execlog_add")).status_code == 403


def test_the_list_times_out_overdue_runs_before_showing_them(admin_client):
    run, _ = exec_run_start(
        script="hung",
        host="nn01",
        timeout_seconds=60,
        started_at=timezone.now() - timedelta(hours=1),
    )
    html = admin_client.get(reverse("admin:runs_execlog_changelist")).content.decode()
    assert ExecLog.objects.get(pk=run.pk).status == "timed_out"
    assert "no report (timed out)" in html


def test_search_by_run_id_and_filter_by_script(admin_client):
    keep = make_run(script="fsck")
    make_run(script="balancer")
    url = reverse("admin:runs_execlog_changelist")
    by_id = admin_client.get(url, {"q": str(keep.pk)}).context["cl"].result_list
    assert [r.pk for r in by_id] == [keep.pk]
    response = admin_client.get(url, {"script": "fsck"})
    assert [r.script for r in response.context["cl"].result_list] == ["fsck"]
    assert '?script=balancer"' in response.content.decode()  # the filter lists recent scripts


def test_the_script_filter_hides_itself_when_there_are_too_many_scripts(admin_client):
    for i in range(51):
        make_run(script=f"job-{i:02d}", exit_code=None)
    html = admin_client.get(reverse("admin:runs_execlog_changelist")).content.decode()
    assert "?script=job-00" not in html
    filtered = admin_client.get(reverse("admin:runs_execlog_changelist"), {"script": "job-07"})
    assert [r.script for r in filtered.context["cl"].result_list] == ["job-07"]


def test_script_health_shows_success_rate_last_run_and_p95(admin_client):
    for minutes_ago, (code, duration) in enumerate([(0, 10), (0, 20), (1, 30), (0, 600)]):
        make_run(script="balancer", exit_code=code, duration=duration, minutes_ago=10 - minutes_ago)
    make_run(script=HOSTILE, exit_code=2)
    response = admin_client.get(reverse("admin:runs_execlog_scripts"), {"days": 7})
    assert response.status_code == 200
    rows = {row["stats"].script: row for row in response.context["rows"]}
    balancer = rows["balancer"]
    assert balancer["success_percent"] == 75.0
    assert balancer["p95"] == "10 min 0 s"
    assert balancer["p50"] == "20.0 s"
    html = response.content.decode()
    assert HOSTILE not in html and "&lt;script&gt;" in html
    assert list(rows)[0] == HOSTILE  # least successful first


def test_script_health_needs_view_permission(client, django_user_model):
    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:runs_execlog_scripts")).status_code == 403


def test_a_fault_page_lists_its_latest_runs(admin_client):
    fault = make_fault()
    other = make_run(script="unrelated")
    runs = [make_run(script="fix-safemode", fault=fault, minutes_ago=30 - i) for i in range(25)]
    html = admin_client.get(
        reverse("admin:diagnosis_faultrecord_change", args=[fault.pk])
    ).content.decode()
    assert "Script runs (latest 20)" in html
    shown = [r.pk for r in runs if reverse("admin:runs_execlog_change", args=[r.pk]) + '"' in html]
    assert shown == [r.pk for r in runs[5:]]  # the 20 most recent
    assert reverse("admin:runs_execlog_change", args=[other.pk]) + '"' not in html
