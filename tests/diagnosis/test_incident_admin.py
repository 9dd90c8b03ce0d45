"""The incident admin: list and page with query-count pins, escaping, filters, bulk actions."""

import pytest
from django.contrib.auth.models import Group, User

from diagnosis.models import FaultRecord, Incident
from tests.diagnosis.ingest import ingest
from tests.diagnosis.test_incidents import cut_off, line

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def hostile_incident() -> Incident:
    """A host whose name and log text are hostile, and a peer incident beside it."""
    ingest(
        [
            line(
                0,
                "ERROR",
                "org.apache.hadoop.hdfs.server.datanode.DataNode",
                f"{HOSTILE}:9866:DataXceiverServer: Exiting due to: java.lang.OutOfMemoryError: "
                f"Java heap space {HOSTILE}",
                host=HOSTILE,
            )
        ]
    )
    ingest(cut_off("worker17", start=5))
    return Incident.objects.order_by("id")[0]


def test_list_escapes_hostile_text_and_costs_a_fixed_number_of_queries(
    admin_client, django_assert_max_num_queries
):
    hostile_incident()
    with django_assert_max_num_queries(10):
        response = admin_client.get("/admin/diagnosis/incident/")
    page = response.content.decode()
    assert response.status_code == 200
    assert HOSTILE not in page and ESCAPED in page
    assert "worker17 cannot reach master1:" in page
    # More incidents, same queries: the fault counts are one GROUP BY for the page.
    ingest(cut_off("worker40", start=7200))
    with django_assert_max_num_queries(10):
        assert admin_client.get("/admin/diagnosis/incident/").status_code == 200


def test_incident_page_lists_its_faults_escaped_with_a_bounded_number_of_queries(
    admin_client, django_assert_max_num_queries
):
    incident = hostile_incident()
    with django_assert_max_num_queries(14):
        response = admin_client.get(f"/admin/diagnosis/incident/{incident.pk}/change/")
    page = response.content.decode()
    assert response.status_code == 200
    assert HOSTILE not in page and ESCAPED in page
    peer = Incident.objects.exclude(pk=incident.pk).get(kind="peer")
    page = admin_client.get(f"/admin/diagnosis/incident/{peer.pk}/change/").content.decode()
    assert "master1:8030 (RM scheduler)" in page
    assert "hdfs_lease_renew_failed" in page


def test_filters_search_and_the_link_to_its_faults(admin_client):
    hostile_incident()
    peer = Incident.objects.get(kind="peer")

    def listed(qs):
        page = admin_client.get(f"/admin/diagnosis/incident/?{qs}").content.decode()
        return {i.pk for i in Incident.objects.all() if f"/incident/{i.pk}/change/" in page}

    assert listed("kind=peer") == {peer.pk}
    assert listed("severity=critical") == {i.pk for i in Incident.objects.all()}
    assert listed("q=worker17") == {peer.pk}
    assert listed(f"q={peer.pk}") == {peer.pk}
    page = admin_client.get(f"/admin/diagnosis/faultrecord/?incident={peer.pk}").content.decode()
    inside = FaultRecord.objects.filter(incident=peer)
    outside = FaultRecord.objects.exclude(incident=peer)
    assert all(f"/faultrecord/{f.pk}/change/" in page for f in inside)
    assert not any(f"/faultrecord/{f.pk}/change/" in page for f in outside)


def test_bulk_resolve_acts_on_every_fault_of_the_incident_with_the_username(admin_client):
    ingest(cut_off("worker17"))
    incident = Incident.objects.get(kind="peer")
    response = admin_client.post(
        "/admin/diagnosis/incident/",
        {"action": "resolve_faults", "_selected_action": [incident.pk]},
    )
    assert response.status_code == 302
    assert set(incident.faults.values_list("status", flat=True)) == {"resolved"}
    assert set(incident.faults.values_list("resolved_by", flat=True)) == {"root"}
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED


def test_a_viewer_sees_incidents_but_cannot_act_on_them(client):
    ingest(cut_off("worker17"))
    incident = Incident.objects.get(kind="peer")
    viewer = User.objects.create_user("vic", password="pw", is_staff=True)
    viewer.groups.add(Group.objects.get(name="viewer"))
    client.force_login(viewer)
    page = client.get("/admin/diagnosis/incident/")
    assert page.status_code == 200
    assert "resolve_faults" not in page.content.decode()
    client.post(
        "/admin/diagnosis/incident/",
        {"action": "resolve_faults", "_selected_action": [incident.pk]},
    )
    assert set(incident.faults.values_list("status", flat=True)) == {"open"}


def test_view_on_site_leads_to_the_dashboard_incident_page(admin_client):
    from bs4 import BeautifulSoup
    from django.urls import reverse

    ingest(cut_off("worker17"))
    incident = Incident.objects.exclude(status=Incident.Status.MERGED).get()
    page = admin_client.get(f"/admin/diagnosis/incident/{incident.pk}/change/").content
    link = BeautifulSoup(page, "html.parser").select_one("a.viewsitelink")
    assert link["href"] == reverse("dashboard-incident", args=[incident.pk])
