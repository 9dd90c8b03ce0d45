"""The admin: a "diagnose" action on selected faults, the latest diagnosis on a fault's page."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from diagnosis.models import Diagnosis, FaultRecord
from rca.admin import MAX_FAULTS_PER_ACTION
from tests.diagnosis.scenario import fault, log_line

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:diagnosis_faultrecord_changelist")


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("oncall", "oncall@example.com", "pw"))
    return client


def hostile_fault(host="dn01"):
    line = log_line(
        host,
        0,
        "ERROR",
        "org.apache.hadoop.hdfs.server.datanode.DataNode",
        "java.io.IOException: Too many open files <script>alert('x')</script>",
    )
    return fault("too_many_open_files", host, line)


def run_action(admin_client, ids):
    return admin_client.post(
        CHANGELIST,
        {"action": "diagnose_faults", "_selected_action": [str(pk) for pk in ids]},
        follow=True,
    )


def test_the_action_diagnoses_each_selected_fault(admin_client):
    records = [hostile_fault("dn01"), hostile_fault("dn02")]
    response = run_action(admin_client, [r.pk for r in records])

    assert response.status_code == 200
    assert "Diagnosed 2 fault(s): 2 by the rules engine." in response.content.decode()
    for record in records:
        row = Diagnosis.objects.get(fault=record)
        assert row.requested_by == "oncall"
        assert FaultRecord.objects.get(pk=record.pk).diagnosis == row.result


def test_the_action_refuses_too_many_faults_at_once(admin_client):
    records = [hostile_fault(f"dn{i:02}") for i in range(MAX_FAULTS_PER_ACTION + 1)]
    response = run_action(admin_client, [r.pk for r in records])
    assert f"Select at most {MAX_FAULTS_PER_ACTION} faults" in response.content.decode()
    assert Diagnosis.objects.count() == 0


def test_the_change_page_shows_the_latest_diagnosis_escaped(admin_client):
    record = hostile_fault()
    page = admin_client.get(reverse("admin:diagnosis_faultrecord_change", args=[record.pk]))
    assert "Not diagnosed yet" in page.content.decode()

    run_action(admin_client, [record.pk])
    html = admin_client.get(
        reverse("admin:diagnosis_faultrecord_change", args=[record.pk])
    ).content.decode()

    assert "Latest diagnosis" in html
    assert "File descriptors exhausted: one of its usual causes" in html
    assert "Raise the limits (/etc/security/limits.d" in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<script>alert('x')</script>" not in html


def test_past_its_time_budget_the_action_stops_asking_the_llm(
    admin_client, llm_configured, monkeypatch
):
    from rca import admin as actions

    records = [hostile_fault("dn01"), hostile_fault("dn02")]
    monkeypatch.setattr(actions, "LLM_BUDGET_SECONDS", 0)

    html = run_action(admin_client, [r.pk for r in records]).content.decode()

    assert "Diagnosed 2 fault(s): 2 by the rules engine." in html
    assert "2 fault(s) were diagnosed by the rules only" in html
    assert llm_configured.requests == []


def test_the_action_uses_the_llm_when_configured(admin_client, llm_configured):
    record = hostile_fault()
    html = run_action(admin_client, [record.pk]).content.decode()
    assert "Diagnosed 1 fault(s): 1 by the llm engine." in html
    assert Diagnosis.objects.get(fault=record).engine == "llm"
