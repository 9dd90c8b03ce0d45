"""Every admin list page runs a fixed number of queries, whatever the number of rows.

The system-log and API-token lists are pinned in their own modules (tests/logs/
test_system_log_admin.py, tests/faultportal/test_api_token_admin.py). Here: faults, fault
types, fault history, diagnoses, script runs (and Script health), cluster status. Each is
requested with a page full of rows that reference other rows (a fault's type, an event's
fault, a run's fault), then again with more rows: an N+1 would change the count.
"""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cluster.models import ClusterStatus
from diagnosis import services
from diagnosis.models import FaultEvent, FaultRecord, FaultType
from rca.run import fault_diagnose
from tests.dashboard.pages_data import HOSTILE, add_fault, add_run, populate

pytestmark = pytest.mark.django_db


def grow(rounds: int) -> None:
    """Faults on several hosts with history, diagnoses and runs; several cluster snapshots;
    fault types operators added."""
    for _ in range(rounds):
        populate(faults=36, datanodes=5)
        for _ in range(3):
            FaultType.objects.create(
                code=f"site_rule_{FaultType.objects.count()}",
                name="Site rule",
                category="other",
                default_severity="minor",
                patterns="site-specific failure",
            )
    for fault in FaultRecord.objects.order_by("-id")[: 6 * rounds]:
        services.fault_ignore(fault=fault, actor="oncall", note="known")
        fault_diagnose(fault=fault, actor="oncall", use_llm=False)
        add_run(host=fault.host, fault=fault, exit_code=1)


def rows(response) -> int:
    return len(BeautifulSoup(response.content, "html.parser").select("#result_list tbody tr"))


FAULTS = reverse("admin:diagnosis_faultrecord_changelist")
STATUS = reverse("admin:cluster_clusterstatus_changelist")

# (url, queries, comment). Every page starts with 1 the session and 2 the user.
PAGES = [
    # 3 the fault types for the type filter (the small catalogue, never a DISTINCT over
    # faults), 4 the filtered count (no unfiltered one: show_full_result_count is off),
    # 5 the page's faults joined to their types.
    (FAULTS, 5),
    (FAULTS + "?status__exact=open&severity__exact=major", 5),
    (FAULTS + "?q=dn01.example.com", 5),
    # 3 the filtered count, 4 the total (24 catalogue rows: cheap), 5 the page.
    (reverse("admin:diagnosis_faulttype_changelist"), 5),
    # 3 the sweep that times out overdue running runs, 4 the script names for the filter
    # (run in the last 30 days, at most 51), 5 the capped count, 6 the page (fault ids only).
    (reverse("admin:runs_execlog_changelist"), 6),
    # 3 the capped count (COUNT over LIMIT 10001), 4 the page (list columns only).
    (STATUS, 4),
    (STATUS + "?scope__exact=node&role__exact=datanode&reachable__exact=1", 4),
    (STATUS + "?q=dn02.example.com", 4),
    # 3 the capped count, 4 the events joined to their faults' id and title.
    (reverse("admin:diagnosis_faultevent_changelist"), 4),
    (reverse("admin:diagnosis_faultevent_changelist") + "?action__exact=ignored", 4),
    # 3 the capped count, 4 the diagnoses joined to their faults, the summary read from the
    # JSON inside the database.
    (reverse("admin:diagnosis_diagnosis_changelist"), 4),
    (reverse("admin:diagnosis_diagnosis_changelist") + "?engine__exact=rules", 4),
]


@pytest.mark.parametrize(("url", "queries"), PAGES)
def test_each_list_runs_a_fixed_number_of_queries(
    admin_client, django_assert_num_queries, url, queries
):
    grow(1)
    with django_assert_num_queries(queries):
        response = admin_client.get(url)
    assert response.status_code == 200
    shown = rows(response)
    grow(2)
    with django_assert_num_queries(queries):
        response = admin_client.get(url)
    assert rows(response) > shown or rows(response) == 100  # more rows, same queries


def test_script_health_runs_a_fixed_number_of_queries(admin_client, django_assert_num_queries):
    grow(1)
    # 1 session, 2 user, 3 the time-out sweep, 4 counts per script, 5 each script's latest
    # run, 6 the durations for the percentiles: three queries whatever the number of scripts.
    with django_assert_num_queries(6):
        response = admin_client.get(reverse("admin:runs_execlog_scripts"))
    assert b"check_datanode_disks.sh" in response.content


def test_lists_never_count_the_whole_table(admin_client):
    grow(1)
    for url in (STATUS, reverse("admin:diagnosis_faultevent_changelist")):
        with CaptureQueriesContext(connection) as ctx:
            admin_client.get(url)
        counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
        assert counts and all("LIMIT 10001" in sql for sql in counts), counts
        assert not any("DISTINCT" in q["sql"].upper() for q in ctx.captured_queries)


# --- what the new admin pages show -------------------------------------------------------------


def test_cluster_status_rows_are_read_only_and_link_to_the_host_page(admin_client):
    populate(datanodes=2)
    html = admin_client.get(STATUS).content.decode()
    assert f'href="{reverse("dashboard-host", args=["dn01.example.com"])}"' in html
    row = ClusterStatus.objects.filter(role="cluster").get()
    detail = admin_client.get(reverse("admin:cluster_clusterstatus_change", args=[row.pk]))
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content  # nothing to edit
    assert b"&quot;active_resourcemanager&quot;: &quot;rm1.example.com&quot;" in detail.content
    assert admin_client.get(reverse("admin:cluster_clusterstatus_add")).status_code == 403


def test_status_details_are_escaped(admin_client):
    populate(datanodes=1)
    row = ClusterStatus.objects.filter(role="nodemanager").get()
    row.details = {"healthReport": HOSTILE}
    row.save()
    html = admin_client.get(reverse("admin:cluster_clusterstatus_change", args=[row.pk])).content
    assert b"<script>alert" not in html and b"&lt;script&gt;" in html


def test_fault_history_and_diagnoses_are_listed_read_only_with_their_faults(admin_client):
    fault = add_fault(title=HOSTILE)
    services.fault_acknowledge(fault=fault, actor="alice", note=HOSTILE)
    fault_diagnose(fault=fault, actor="alice", use_llm=False)
    events = admin_client.get(reverse("admin:diagnosis_faultevent_changelist") + f"?q={fault.pk}")
    html = events.content.decode()
    assert rows(events) == FaultEvent.objects.filter(fault=fault).count() == 2
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert reverse("admin:diagnosis_faultrecord_change", args=[fault.pk]) in html
    diagnoses = admin_client.get(reverse("admin:diagnosis_diagnosis_changelist"))
    assert fault.diagnosis["summary"][:40] in diagnoses.content.decode()
    event = FaultEvent.objects.filter(fault=fault).first()
    change = reverse("admin:diagnosis_faultevent_change", args=[event.pk])
    assert b'name="_save"' not in admin_client.get(change).content
    assert (
        admin_client.get(reverse("admin:diagnosis_faultevent_delete", args=[event.pk])).status_code
        == 403
    )


def test_a_viewer_sees_the_new_lists(client):
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.groups.add(Group.objects.get(name="viewer"))
    client.force_login(viewer)
    for url in (
        STATUS,
        reverse("admin:diagnosis_faultevent_changelist"),
        reverse("admin:diagnosis_diagnosis_changelist"),
    ):
        assert client.get(url).status_code == 200, url


def test_every_admin_page_links_to_the_dashboard(admin_client):
    soup = BeautifulSoup(admin_client.get(reverse("admin:index")).content, "html.parser")
    nav = soup.select_one("#header .fp-admin-nav")
    assert [a["href"] for a in nav.select("a")] == [reverse("dashboard"), reverse("api-docs")]
    assert soup.select_one("#site-name").get_text(strip=True) == "faultportal admin"
