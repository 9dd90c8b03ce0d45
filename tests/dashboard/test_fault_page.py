"""A fault's page: what it is, where, since when, its evidence, diagnosis, history and runs."""

import io
import socket

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from diagnosis import services
from rca.run import diagnosis_queue, fault_diagnose
from tests.dashboard.pages_data import HOSTILE, add_fault, add_line, add_run

pytestmark = pytest.mark.django_db

HOST = "dn07.example.com"


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def staff_client(client):
    client.force_login(User.objects.create_user("oncall", is_staff=True))
    return client


def page(client, fault) -> BeautifulSoup:
    response = client.get(reverse("dashboard-fault", args=[fault.pk]))
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "html.parser")


def text(node) -> str:
    return " ".join(node.get_text(" ").split())


def too_many_open_files(**fields):
    first = add_line(
        host=HOST, level="ERROR", minutes_ago=120, message="Too many open files", raw="first raw"
    )
    latest = add_line(host=HOST, level="ERROR", minutes_ago=3, message="Too many open files")
    return add_fault(
        host=HOST,
        title="DataNode on dn07 out of file descriptors",
        code="too_many_open_files",
        first_log=first,
        latest_log=latest,
        first_sample="2026-11-28 10:00:00,000 ERROR DataNode: Too many open files (first)",
        latest_sample="2026-11-28 12:00:00,000 ERROR DataNode: Too many open files (latest)",
        **fields,
    )


def test_what_the_fault_is_where_and_since_when(staff_client):
    fault = too_many_open_files(occurrences=29, is_regression=True)
    soup = page(staff_client, fault)
    assert text(soup.h1) == f"#{fault.pk} DataNode on dn07 out of file descriptors"
    assert text(soup.select_one("[data-severity]")) == "Major"
    assert text(soup.select_one("[data-status]")) == "Open"
    facts = text(soup.select_one("#fault-facts"))
    for expected in (
        f"type {fault.fault_type.name}",
        "too_many_open_files",
        f"host {HOST}",
        "occurrences 29",
        "regression yes",
        f"first seen {timezone.localtime(fault.first_seen):%Y-%m-%d %H:%M:%S}",
        f"last seen {timezone.localtime(fault.last_seen):%Y-%m-%d %H:%M:%S}",
    ):
        assert expected in facts, (expected, facts)
    about = text(soup.select_one("[aria-labelledby=type-title]"))
    ft = fault.fault_type
    for part in (ft.description, ft.cause, ft.remediation):
        assert " ".join(part.split()) in about
    samples = soup.select("pre[data-sample]")
    assert [s["data-sample"] for s in samples] == ["first", "latest"]
    assert samples[0].get_text() == fault.first_sample
    assert soup.select_one("#samples h3 a")["href"] == reverse(
        "admin:logs_systemlog_change", args=[fault.first_log_id]
    )


def test_links_to_the_admin_the_lines_and_the_host(staff_client):
    fault = too_many_open_files()
    links = [a["href"] for a in page(staff_client, fault).select(".fp-links a")]
    assert reverse("admin:diagnosis_faultrecord_change", args=[fault.pk]) in links
    assert reverse("admin:diagnosis_faultrecord_changelist") + f"?q={fault.pk}" in links
    assert reverse("admin:diagnosis_faultrecord_lines", args=[fault.pk]) in links
    assert reverse("dashboard-host", args=[HOST]) in links


def test_the_latest_diagnosis_causes_evidence_steps_and_runbook(staff_client):
    fault = too_many_open_files()
    fault_diagnose(fault=fault, actor="oncall", use_llm=False)
    fault.refresh_from_db()
    result = fault.diagnosis
    soup = page(staff_client, fault)
    section = soup.select_one("#diagnosis")
    assert "rules engine" in text(section)
    causes = section.select("[data-causes] > li")
    assert len(causes) == len(result["probable_causes"])
    top = result["probable_causes"][0]
    assert top["title"] in text(causes[0])
    assert f"{round(top['confidence'] * 100)} %" in text(causes[0])
    for step in result["remediation"]:
        assert " ".join(step.split()) in text(section)
    if result.get("runbook_script"):
        assert f"Runbook script: {result['runbook_script']}" in text(section)
    assert "Too many open files" in text(section)  # an evidence line


def test_not_yet_diagnosed_says_how(staff_client):
    fault = too_many_open_files()
    assert "Not diagnosed yet" in text(page(staff_client, fault).select_one("#diagnosis"))


def test_a_queued_llm_diagnosis_shows_as_waiting_until_the_worker_writes_it(
    staff_client, settings, closed_port
):
    settings.LLM_BASE_URL = f"http://127.0.0.1:{closed_port}/v1"
    settings.LLM_MODEL = "llama3"
    fault = too_many_open_files()
    diagnosis_queue(fault=fault, actor="alice")
    waiting = page(staff_client, fault).select_one("#diagnosis [data-diagnosis-pending]")
    assert "requested by alice" in text(waiting) and "background worker" in text(waiting)

    call_command("notify", "--once", stdout=io.StringIO())
    section = page(staff_client, fault).select_one("#diagnosis")
    assert section.select_one("[data-diagnosis-pending]") is None
    assert "LLM not used: cannot connect to the LLM server" in text(section)


def test_history_and_runs(staff_client):
    fault = too_many_open_files()
    services.fault_acknowledge(fault=fault, actor="alice", note="looking at ulimit")
    run = add_run(host=HOST, fault=fault, exit_code=0)
    add_run(host=HOST)  # not linked to the fault
    soup = page(staff_client, fault)
    assert text(soup.select_one("[data-status]")) == "Acknowledged"
    assert "Acknowledged by alice" in text(soup.select_one("[data-status-text]"))
    events = [text(row) for row in soup.select("[data-table=events] tbody tr")]
    assert len(events) == 1 and "Acknowledged alice looking at ulimit" in events[0]
    runs = soup.select("#runs tbody tr")
    assert len(runs) == 1
    assert runs[0].a["href"] == reverse("admin:runs_execlog_change", args=[run.pk])


def test_an_unknown_fault_is_404(staff_client):
    assert staff_client.get(reverse("dashboard-fault", args=[999999])).status_code == 404


def test_hostile_text_is_shown_as_text(staff_client):
    line = add_line(host=HOST, level="ERROR", message=HOSTILE, raw=HOSTILE)
    fault = add_fault(
        host=HOST,
        title=HOSTILE,
        code="unclassified",
        first_log=line,
        latest_log=line,
        first_sample=HOSTILE,
        latest_sample=HOSTILE,
        resolution_note=HOSTILE,
    )
    fault_diagnose(fault=fault, actor=HOSTILE, use_llm=False)
    page_html = staff_client.get(reverse("dashboard-fault", args=[fault.pk])).content.decode()
    assert "<script>alert" not in page_html and "<img src=x" not in page_html
    soup = BeautifulSoup(page_html, "html.parser")
    assert not soup.find("img")
    assert soup.select_one("pre[data-sample=first]").get_text() == HOSTILE
    assert HOSTILE in text(soup.h1)


# Queries: 1 session, 2 user, 3 the fault with its type (one join), 4 its sample lines (one
# IN query), 5 its latest events, 6 its script runs; what mutes it (issue 15): 7 its snooze,
# 8 the silences in force, 9 the maintenance windows; 10-11 the user's and groups' permissions
# (whether to offer the one-click silence); 12 a diagnosis still waiting for the worker.
FAULT_PAGE_QUERIES = 12


def test_the_page_runs_a_fixed_number_of_queries(staff_client, django_assert_num_queries):
    fault = too_many_open_files()
    for n in range(12):
        add_run(host=HOST, fault=fault)
        services.fault_acknowledge(fault=fault, actor=f"user{n}")
        services.fault_reopen(fault=fault, actor=f"user{n}")
    fault_diagnose(fault=fault, actor="oncall", use_llm=False)
    with django_assert_num_queries(FAULT_PAGE_QUERIES):
        soup = page(staff_client, fault)
    assert len(soup.select("[data-table=events] tbody tr")) == 20  # the latest 20
    assert len(soup.select("#runs tbody tr")) == 12
