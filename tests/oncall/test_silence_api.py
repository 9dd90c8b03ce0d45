"""GET/POST /api/silences, GET/DELETE /api/silences/{id}: scope diagnose, errors as JSON."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from oncall.models import Silence
from oncall.suppression import suppression_for
from tests.oncall.silence_data import HOSTILE, add_fault, entry_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(token_client):
    return token_client("read,diagnose", name="ops-bot")


def test_post_makes_a_silence_that_holds_matching_changes(api):
    fault = add_fault(host="dn3.dc1", code="datanode_dead")
    response = api.post(
        "/api/silences",
        {"host_glob": "dn*", "fault_type": "datanode_dead", "hours": 2, "comment": "restart"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "active"
    assert body["host_glob"] == "dn*" and body["fault_type"] == "datanode_dead"
    assert body["author"] == "token:ops-bot"
    starts, ends = parse_datetime(body["starts_at"]), parse_datetime(body["ends_at"])
    assert ends - starts == timedelta(hours=2)
    held = suppression_for(entry_for(fault))
    assert (held.kind, held.id) == ("silence", body["id"])


def test_post_with_a_fault_silences_its_type_on_its_host(api):
    fault = add_fault(host="dn7", code="too_many_open_files")
    response = api.post(
        "/api/silences", {"fault": fault.pk, "hours": 0.5, "comment": "on it"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["host_glob"] == "dn7"
    assert response.json()["fault_type"] == "too_many_open_files"
    assert suppression_for(entry_for(fault)) is not None


def test_list_shows_active_and_pending_by_default_and_filters_by_state(api):
    now = timezone.now()
    active = Silence.objects.create(
        host_glob="a*", starts_at=now, ends_at=now + timedelta(hours=1), author="x", comment="c"
    )
    pending = Silence.objects.create(
        host_glob="p*",
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=2),
        author="x",
        comment="c",
    )
    expired = Silence.objects.create(
        host_glob="e*",
        starts_at=now - timedelta(hours=2),
        ends_at=now - timedelta(hours=1),
        author="x",
        comment="c",
    )

    def ids(query=""):
        response = api.get(f"/api/silences{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [pending.pk, active.pk]
    assert ids("?state=active") == [active.pk]
    assert ids("?state=expired") == [expired.pk]
    assert sorted(ids("?state=all")) == sorted([active.pk, pending.pk, expired.pk])
    assert api.get("/api/silences?state=bogus").status_code == 400


def test_delete_expires_and_purge_removes(api):
    created = api.post(
        "/api/silences", {"host_glob": "dn1", "hours": 1, "comment": "x"}, format="json"
    ).json()
    expired = api.delete(f"/api/silences/{created['id']}")
    assert expired.status_code == 200
    assert expired.json()["state"] == "expired"
    assert api.get(f"/api/silences/{created['id']}").json()["state"] == "expired"
    assert api.delete(f"/api/silences/{created['id']}?purge=true").status_code == 204
    gone = api.get(f"/api/silences/{created['id']}")
    assert gone.status_code == 404 and gone.json()["code"] == "not_found"
    assert api.delete("/api/silences/999999").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"host_glob": "dn1", "comment": "x"}, "ends_at"),  # neither end nor hours
        ({"host_glob": "dn1", "hours": 1}, "comment"),
        ({"comment": "x", "hours": 1}, "non_field_errors"),  # no matcher
        ({"host_glob": "rack[", "hours": 1, "comment": "x"}, "host_glob"),
        ({"fault_type": "nope", "hours": 1, "comment": "x"}, "fault_type"),
        ({"severity": "urgent", "hours": 1, "comment": "x"}, "severity"),
        ({"incident": 999999, "hours": 1, "comment": "x"}, "incident"),
        ({"fault": 999999, "hours": 1, "comment": "x"}, "fault"),
        ({"fault": 1, "host_glob": "x", "hours": 1, "comment": "x"}, "fault"),
        ({"host_glob": "dn1", "hours": -3, "comment": "x"}, "hours"),
        ({"host_glob": "dn1", "hours": "soon", "comment": "x"}, "hours"),
        ({"host_glob": "dn1", "ends_at": "yesterday", "comment": "x"}, "ends_at"),
        (
            {
                "host_glob": "dn1",
                "starts_at": "2026-12-02T10:00:00Z",
                "ends_at": "2026-12-02T09:00:00Z",
                "comment": "x",
            },
            "ends_at",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, body, field):
    response = api.post("/api/silences", body, format="json")
    assert response.status_code == 400, response.content
    payload = response.json()
    assert payload["code"] == "invalid"
    assert field in payload["fields"], payload
    assert Silence.objects.count() == 0


def test_a_body_that_is_not_an_object_is_a_400(api):
    response = api.post("/api/silences", [1, 2], format="json")
    assert response.status_code == 400
    response = api.post("/api/silences", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["status"] == 400


def test_scope_diagnose_is_needed(token_client, client):
    reader = token_client("read")
    assert reader.get("/api/silences").status_code == 403
    response = reader.post("/api/silences", {"host_glob": "x", "hours": 1, "comment": "c"})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert client.get("/api/silences").status_code == 401


def test_hostile_text_comes_back_as_data(api):
    response = api.post(
        "/api/silences", {"host_glob": "dn1", "hours": 1, "comment": HOSTILE}, format="json"
    )
    assert response.status_code == 201
    assert response["Content-Type"].startswith("application/json")
    assert api.get(f"/api/silences/{response.json()['id']}").json()["comment"] == HOSTILE


def test_the_schema_documents_the_silence_operations():
    from rest_framework.test import APIClient

    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    assert set(schema["paths"]["/api/silences"]) >= {"get", "post"}
    assert set(schema["paths"]["/api/silences/{id}"]) >= {"get", "delete"}
    post = schema["paths"]["/api/silences"]["post"]
    assert "400" in post["responses"] and "201" in post["responses"]
