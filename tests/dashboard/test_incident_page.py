"""An incident's page (/dashboard/incidents/<id>/) and the incidents listed first on the
dashboard: the cause named, member faults with symptoms marked, hosts and components, first/last
seen, status and diagnosis, links into the log explorer and to the fault and host pages; a fixed
number of queries; hostile log text stays text."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from diagnosis.models import FaultRecord, Incident
from rca.run import diagnosis_queue, incident_diagnose
from tests.dashboard.pages_data import HOSTILE
from tests.diagnosis.ingest import ingest
from tests.diagnosis.test_incidents import cut_off, line

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(User.objects.create_user("oncall", is_staff=True))
    return client


def cut_off_incident(host: str = "worker17", start: float = 0) -> Incident:
    """The real text an ApplicationMaster logs when master1 (NameNode + RM) drops off."""
    ingest(cut_off(host, start=start))
    return Incident.objects.exclude(status=Incident.Status.MERGED).filter(hosts=[host]).get()


def page(client, incident) -> BeautifulSoup:
    response = client.get(reverse("dashboard-incident", args=[incident.pk]))
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "html.parser")


def text(node) -> str:
    return " ".join(node.get_text(" ").split())


def query(href: str) -> tuple[str, dict]:
    parts = urlsplit(href)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_the_page_names_the_cause_lists_its_faults_with_symptoms_marked(staff_client):
    incident = cut_off_incident()
    soup = page(staff_client, incident)

    title = text(soup.h1)
    assert title.startswith(f"#{incident.pk} worker17 cannot reach ")
    assert "master1:9000 (NameNode RPC)" in title and "master1:8030 (RM scheduler)" in title
    assert text(soup.select_one("[data-status]")) == "Open"
    assert text(soup.select_one("[data-severity]")) == "Critical"
    facts = text(soup.select_one("#incident-facts"))
    assert f"first seen {timezone.localtime(incident.first_seen):%Y-%m-%d %H:%M:%S}" in facts
    assert f"last seen {timezone.localtime(incident.last_seen):%Y-%m-%d %H:%M:%S}" in facts
    cause = incident.cause_fault
    assert f"cause #{cause.pk} {cause.title}" in facts
    assert soup.select_one("[data-hosts] a")["href"] == reverse("dashboard-host", args=["worker17"])
    components = text(soup.select_one("[data-components]"))
    for component in incident.components:
        assert component in components
    peers = text(soup.select_one("[data-peers]"))
    assert (
        peers.startswith("master1 :")
        and "9000 (NameNode RPC)" in peers
        and "8030 (RM scheduler)" in peers
    )

    rows = soup.select("[data-table=faults] tbody tr[data-fault]")
    members = FaultRecord.objects.filter(incident=incident).select_related("fault_type")
    assert {int(r["data-fault"]) for r in rows} == {f.pk for f in members}
    roles = {int(r["data-fault"]): text(r.select_one("[data-role]")) for r in rows}
    by_code = {f.fault_type.code: f for f in members}
    assert roles[by_code["hdfs_lease_renew_failed"].pk] == "symptom"
    assert roles[by_code["rm_contact_failed"].pk] == "symptom"
    assert roles[by_code["peer_no_route"].pk] == "cause"
    # Causes first, then symptoms.
    flags = [r.has_attr("data-symptom") for r in rows]
    assert flags == sorted(flags)
    for row in rows:
        fault_id = int(row["data-fault"])
        assert row.a["href"] == reverse("dashboard-fault", args=[fault_id])


def test_links_into_the_log_explorer_have_the_filter_filled_in(staff_client):
    incident = cut_off_incident()
    soup = page(staff_client, incident)

    path, params = query(soup.select_one("[data-explore-host=worker17]")["href"])
    assert path == reverse("dashboard-logs")
    assert params["host"] == "worker17" and params["level"] == "WARN"
    assert parse_datetime(params["from"]) <= incident.first_seen - timedelta(minutes=4)
    assert parse_datetime(params["to"]) >= incident.last_seen + timedelta(minutes=4)
    path, params = query(soup.select_one("[data-explore-peer=master1]")["href"])
    assert path == reverse("dashboard-logs") and params["host"] == "master1"
    assert "level" not in params  # the peer's own lines at any level: does it still log?
    first_row = soup.select_one("[data-table=faults] tbody tr[data-fault]")
    fault = FaultRecord.objects.get(pk=first_row["data-fault"])
    path, params = query(first_row.select_one("[data-explore-fault]")["href"])
    assert params["host"] == fault.host

    # The explorer answers the link with the incident's own lines.
    explorer = staff_client.get(soup.select_one("[data-explore-host=worker17]")["href"])
    assert explorer.status_code == 200
    assert "Failed to renew lease for [DFSClient_NONMAPREDUCE_1537864556_1]" in (
        explorer.content.decode()
    )
    links = [a["href"] for a in soup.select(".fp-links a")]
    assert reverse("admin:diagnosis_incident_change", args=[incident.pk]) in links
    assert reverse("admin:diagnosis_faultrecord_changelist") + f"?incident={incident.pk}" in links


def test_the_diagnosis_ranks_the_network_first_and_shows_symptoms_as_symptoms(staff_client):
    incident = cut_off_incident()
    assert "Not diagnosed yet" in text(page(staff_client, incident).select_one("#diagnosis"))

    result = incident_diagnose(incident=incident, actor="oncall").result
    section = page(staff_client, incident).select_one("#diagnosis")

    causes = section.select("[data-causes] > li")
    assert text(causes[0]).startswith("network: master1 unreachable")
    top = result["probable_causes"][0]
    assert f"{round(top['confidence'] * 100)} %" in text(causes[0])
    assert [text(li) for li in causes[0].select("[data-signals] li")] == [
        ("against: " if s["against"] else "") + " ".join(s["text"].split()) for s in top["signals"]
    ]
    symptoms = text(section.select_one("[data-diagnosis-symptoms]"))
    assert "explained by network: master1 unreachable" in symptoms
    for step in result["remediation"]:
        assert " ".join(step.split()) in text(section)


def test_a_queued_llm_diagnosis_shows_as_waiting(staff_client):
    incident = cut_off_incident()
    diagnosis_queue(incident=incident, actor="alice")
    waiting = page(staff_client, incident).select_one("#diagnosis [data-diagnosis-pending]")
    assert "requested by alice" in text(waiting) and "background worker" in text(waiting)


def test_the_dashboard_lists_incidents_first_the_open_ones_above_the_rest(staff_client):
    older_open = cut_off_incident("worker17")
    newer_resolved = cut_off_incident("worker40", start=7200)
    Incident.objects.filter(pk=newer_resolved.pk).update(status=Incident.Status.RESOLVED)
    incident_diagnose(incident=older_open, actor="oncall")

    html = staff_client.get(reverse("dashboard")).content.decode()
    soup = BeautifulSoup(html, "html.parser")
    sections = [s.get("id") or s.h2.get("id") for s in soup.select("main section")]
    assert sections[0] == "incidents"
    rows = soup.select("#incidents tbody tr[data-incident]")
    assert [int(r["data-incident"]) for r in rows] == [older_open.pk, newer_resolved.pk]
    assert rows[0].a["href"] == reverse("dashboard-incident", args=[older_open.pk])
    assert "network: master1 unreachable" in text(rows[0])
    assert "not diagnosed" in text(rows[1])
    faults = FaultRecord.objects.filter(incident=older_open).count()
    assert text(rows[0].select("td")[5]) == str(faults)


def test_an_unknown_incident_is_404(staff_client):
    assert staff_client.get(reverse("dashboard-incident", args=[999999])).status_code == 404


def test_non_staff_users_are_sent_to_the_login(client):
    url = reverse("dashboard-incident", args=[1])
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def hostile_incident() -> Incident:
    """A DataNode exit whose log text is hostile; the rules' diagnosis quotes it."""
    ingest(
        [
            line(
                0,
                "ERROR",
                "org.apache.hadoop.hdfs.server.datanode.DataNode",
                f"dn03:9866:DataXceiverServer: Exiting due to: java.lang.OutOfMemoryError: "
                f"Java heap space {HOSTILE}",
                host="dn03",
            )
        ]
    )
    incident = Incident.objects.get()
    Incident.objects.filter(pk=incident.pk).update(
        title=f"dn03 {HOSTILE}", components=[HOSTILE], hosts=["dn03"]
    )
    incident.refresh_from_db()
    incident_diagnose(incident=incident, actor=HOSTILE)
    return incident


def test_hostile_text_is_shown_as_text(staff_client):
    incident = hostile_incident()
    for url in (reverse("dashboard-incident", args=[incident.pk]), reverse("dashboard")):
        html = staff_client.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, url
        soup = BeautifulSoup(html, "html.parser")
        assert not soup.find("img"), url
        assert HOSTILE in text(
            soup.select_one("#incidents" if url.endswith("dashboard/") else "h1")
        )
    soup = page(staff_client, incident)
    assert HOSTILE in text(soup.select_one("[data-components]"))
    assert HOSTILE in text(soup.select_one("#diagnosis"))  # the evidence line


# Queries: 1 session, 2 user, 3 the incident, 4 its faults with their types (one join), 5 a
# diagnosis still waiting for the worker; 6 the silences in force on it (issue 15); 7-8 the
# user's and groups' permissions (whether to offer the one-click silence).
INCIDENT_PAGE_QUERIES = 8


def test_the_page_runs_a_fixed_number_of_queries(staff_client, django_assert_num_queries):
    incident = cut_off_incident()
    incident_diagnose(incident=incident, actor="oncall")
    with django_assert_num_queries(INCIDENT_PAGE_QUERIES):
        soup = page(staff_client, incident)
    few = len(soup.select("[data-table=faults] tbody tr[data-fault]"))
    # The same peer unreachable from more hosts: more faults, the same queries.
    for n, host in enumerate(("worker18", "worker19", "worker20")):
        ingest(cut_off(host, start=10 + n))
    incident.refresh_from_db()
    with django_assert_num_queries(INCIDENT_PAGE_QUERIES):
        soup = page(staff_client, incident)
    assert len(soup.select("[data-table=faults] tbody tr[data-fault]")) > few
    hosts = [a["data-explore-host"] for a in soup.select("[data-hosts] [data-explore-host]")]
    assert sorted(hosts) == ["worker17", "worker18", "worker19", "worker20"]
