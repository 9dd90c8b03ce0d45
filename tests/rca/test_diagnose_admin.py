"""The admin: a "diagnose" action on selected faults, the latest diagnosis on a fault's page."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
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


def test_with_the_llm_the_action_queues_and_the_worker_diagnoses(admin_client, llm_configured):
    """The admin request never waits for the model: it queues, `manage.py notify` answers."""
    records = [hostile_fault("dn01"), hostile_fault("dn02")]
    html = run_action(admin_client, [r.pk for r in records]).content.decode()

    assert "Queued the LLM diagnosis of 2 fault(s)" in html
    assert llm_configured.requests == []  # nothing asked the model in the request
    assert set(Diagnosis.objects.values_list("state", flat=True)) == {"pending"}
    assert FaultRecord.objects.get(pk=records[0].pk).diagnosis is None

    call_command("notify", "--once", stdout=io.StringIO())

    assert len(llm_configured.requests) == 2
    for record in records:
        row = Diagnosis.objects.get(fault=record)
        assert row.state == "done" and row.engine == "llm" and row.requested_by == "oncall"
        assert FaultRecord.objects.get(pk=record.pk).diagnosis == row.result
