"""GET /api/incidents/, GET /api/incidents/{id}/ and POST /api/llm/diagnose {"incident_id"}."""

import pytest

from diagnosis.models import Incident
from tests.diagnosis.ingest import ingest
from tests.diagnosis.test_incidents import cut_off

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident():
    ingest(cut_off("worker17"))
    return Incident.objects.exclude(status=Incident.Status.MERGED).get()


def test_the_list_names_the_cause_and_leaves_merged_incidents_out(token_client, incident):
    Incident.objects.create(
        kind="host",
        title="merged one",
        status=Incident.Status.MERGED,
        severity="minor",
        first_seen=incident.first_seen,
        last_seen=incident.last_seen,
        merged_into=incident,
    )
    client = token_client("read")
    body = client.get("/api/incidents/").json()
    assert [row["id"] for row in body["results"]] == [incident.pk]
    row = body["results"][0]
    assert row["title"].startswith("worker17 cannot reach master1:")
    assert row["kind"] == "peer" and row["hosts"] == ["worker17"]
    assert {"host": "master1", "ip": "", "port": 8030, "role": "RM scheduler"} in [
        {**p, "ip": ""} for p in row["peers"]
    ]
    merged = client.get("/api/incidents/?status=merged").json()["results"]
    assert [r["title"] for r in merged] == ["merged one"]
    assert client.get("/api/incidents/?host=worker18").json()["results"] == []
    assert len(client.get("/api/incidents/?host=worker17").json()["results"]) == 1


def test_the_detail_lists_causes_first_then_symptoms(token_client, incident):
    body = token_client("read").get(f"/api/incidents/{incident.pk}/").json()
    flags = [fault["is_symptom"] for fault in body["faults"]]
    assert flags == sorted(flags) and flags[-1] is True and flags[0] is False
    types = {fault["type"] for fault in body["faults"]}
    assert {"peer_no_route", "hdfs_lease_renew_failed", "rm_contact_failed"} <= types
    no_route = next(f for f in body["faults"] if f["type"] == "peer_no_route")
    assert no_route["entities"]["peers"][0]["host"] == "master1"


def test_an_unknown_incident_is_a_json_404(token_client):
    response = token_client("read").get("/api/incidents/999999/")
    assert response.status_code == 404
    assert "No incident with id 999999" in response.json()["detail"]


def test_reading_incidents_needs_a_token(client):
    assert client.get("/api/incidents/").status_code in (401, 403)


def test_diagnosing_an_incident_with_the_rules_answers_at_once(token_client, incident):
    response = token_client("diagnose").post(
        "/api/llm/diagnose", {"incident_id": incident.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["subject"]["kind"] == "incident"
    assert body["probable_causes"][0]["title"] == "network: master1 unreachable"
    listed = token_client("read").get("/api/incidents/").json()["results"][0]
    assert listed["top_cause"]["title"] == "network: master1 unreachable"


@pytest.mark.parametrize(
    "body",
    [
        {"incident_id": 1, "fault_id": 1},
        {"incident_id": 1, "log_text": "x"},
        {"incident_id": 1, "host": "dn01"},
        {"incident_id": "one"},
        {"incident_id": 0},
    ],
)
def test_bad_diagnose_requests_are_json_400s(token_client, incident, body):
    response = token_client("diagnose").post("/api/llm/diagnose", body, format="json")
    assert response.status_code == 400, response.content


def test_diagnosing_an_unknown_incident_is_a_404(token_client):
    response = token_client("diagnose").post(
        "/api/llm/diagnose", {"incident_id": 424242}, format="json"
    )
    assert response.status_code == 404
