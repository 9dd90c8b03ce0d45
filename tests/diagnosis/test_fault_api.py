"""GET /api/faults/, GET /api/faults/{id}/ and POST /api/faults/{id}/{action}."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from diagnosis import services
from diagnosis.models import FaultRecord, FaultType
from diagnosis.services import Occurrence
from logs.models import SystemLog

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def make_fault(
    code="too_many_open_files",
    *,
    host="dn01.example.com",
    at=T0,
    status="open",
    fingerprint=None,
    with_log=False,
):
    log_id = None
    if with_log:
        log_id = SystemLog.objects.create(
            host=host,
            logtype="hadoop",
            log_time=at,
            level="ERROR",
            component="org.apache.hadoop.hdfs.server.datanode.DataNode",
            message="DataXceiverServer: Exiting due to: ",
            trace="java.net.SocketException: Too many open files",
            raw="raw line",
            received_at=at,
        ).pk
    (record,) = services.fault_occurrences_record(
        occurrences=[
            Occurrence(
                fault_type=FaultType.objects.get(code=code),
                fingerprint=fingerprint or f"{code}-{host}-{at.isoformat()}",
                host=host,
                title=f"{code} on {host}",
                seen_at=at,
                sample=f"{at:%H:%M:%S} ERROR … Too many open files",
                log_id=log_id,
            )
        ]
    )
    if status != "open":
        action = {"acknowledged": "acknowledged", "resolved": "resolved", "ignored": "ignored"}
        services.fault_transition(fault=record, action=action[status], actor="alice")
        record.refresh_from_db()
    return record


@pytest.fixture
def reader(token_client):
    return token_client("read")


@pytest.fixture
def diagnoser(token_client):
    return token_client("read,diagnose", name="oncall")


def ids(response):
    return [item["id"] for item in response.json()["results"]]


class TestAccess:
    def test_without_credentials_it_is_401_json(self):
        response = APIClient().get("/api/faults/")
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"

    def test_a_token_without_read_scope_is_403(self, make_token):
        response = APIClient().get(
            "/api/faults/", HTTP_AUTHORIZATION=f"Token {make_token('ingest')}"
        )
        assert response.status_code == 403
        assert "read" in response.json()["detail"]

    @pytest.mark.parametrize("path", ["/api/faults", "/api/faults/"])
    def test_with_and_without_trailing_slash_no_redirect(self, reader, path):
        assert reader.get(path).status_code == 200

    def test_staff_session_may_read(self):
        user = User.objects.create_user("op", password="pw", is_staff=True)
        client = APIClient()
        client.force_login(user)
        assert client.get("/api/faults/").status_code == 200


class TestList:
    def test_filters(self, reader):
        a = make_fault("too_many_open_files", host="dn01", at=T0)
        b = make_fault("jvm_out_of_memory", host="dn02", at=T0 + timedelta(hours=1))
        c = make_fault("namenode_safemode", host="", at=T0 + timedelta(hours=2), status="resolved")
        d = make_fault("jvm_long_pause", host="dn01", at=T0 + timedelta(hours=3), status="ignored")

        def query(qs):
            response = reader.get(f"/api/faults/?{qs}")
            assert response.status_code == 200, response.json()
            return set(ids(response))

        assert query("") == {a.id, b.id, c.id, d.id}
        assert query("status=open") == {a.id, b.id}
        assert query("status=resolved&status=ignored") == {c.id, d.id}
        assert query("severity=critical") == {b.id, c.id}
        assert query("type=jvm_out_of_memory,jvm_long_pause") == {b.id, d.id}
        assert query("host=dn01") == {a.id, d.id}
        assert query("last_seen_after=2024-05-01T10:30:00Z") == {b.id, c.id, d.id}
        assert query("last_seen_after=2024-05-01T10:30:00Z&last_seen_before=2024-05-01T12:00Z") == {
            b.id,
            c.id,
        }
        assert query("first_seen_before=2024-05-01T10:00:00Z") == {a.id}

    def test_items_name_their_type_and_lifecycle(self, reader):
        make_fault("jvm_out_of_memory", status="acknowledged")
        (item,) = reader.get("/api/faults/").json()["results"]
        assert item["type"] == {
            "code": "jvm_out_of_memory",
            "name": "JVM out of memory",
            "category": "jvm",
        }
        assert item["status"] == "acknowledged" and item["acknowledged_by"] == "alice"
        assert item["severity"] == "critical" and item["occurrences"] == 1

    @pytest.mark.parametrize(
        "qs", ["status=sleeping", "severity=fatal", "last_seen_after=yesterday", "page_size=x"]
    )
    def test_bad_parameters_are_400_json(self, reader, qs):
        response = reader.get(f"/api/faults/?{qs}")
        if qs == "page_size=x":  # DRF falls back to the default page size
            assert response.status_code == 200
            return
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"

    def test_cursor_pages_walk_every_fault_once_newest_activity_first(self, reader):
        made = [make_fault(host=f"dn{n:02d}", at=T0 + timedelta(minutes=n // 2)) for n in range(11)]
        expected = [f.id for f in sorted(made, key=lambda f: (f.last_seen, f.id), reverse=True)]
        seen, url = [], "/api/faults/?page_size=3"
        while url:
            body = reader.get(url).json()
            assert len(body["results"]) <= 3
            seen += [item["id"] for item in body["results"]]
            url = body["next"]
        assert seen == expected


class TestDetail:
    def test_samples_diagnosis_history_and_remediation(self, reader):
        fault = make_fault(with_log=True)
        services.fault_acknowledge(fault=fault, actor="alice", note="on it")
        FaultRecord.objects.filter(pk=fault.pk).update(
            diagnosis={"causes": ["ulimit 1024"]}, diagnosed_at=T0
        )
        body = reader.get(f"/api/faults/{fault.pk}").json()
        assert body["id"] == fault.pk and body["status"] == "acknowledged"
        (sample,) = body["samples"]
        assert sample["text"].endswith("Too many open files")
        assert sample["log"]["id"] == fault.first_log_id
        assert sample["log"]["trace"] == "java.net.SocketException: Too many open files"
        assert body["diagnosis"] == {"causes": ["ulimit 1024"]}
        assert body["diagnosed_at"].startswith("2024-05-01T10:00:00")
        assert [e["action"] for e in body["events"]] == ["acknowledged", "opened"]
        assert body["events"][0]["note"] == "on it"
        assert "limits.d" in body["fault_type"]["remediation"]

    def test_a_pruned_line_leaves_the_stored_copy(self, reader):
        fault = make_fault(with_log=True)
        SystemLog.objects.all().delete()
        (sample,) = reader.get(f"/api/faults/{fault.pk}/").json()["samples"]
        assert sample["log"] is None and "Too many open files" in sample["text"]

    def test_unknown_fault_is_404_json(self, reader):
        response = reader.get("/api/faults/999999/")
        assert response.status_code == 404
        assert response.json() == {
            "status": 404,
            "code": "not_found",
            "detail": "No fault with id 999999.",
        }


class TestTransitions:
    @pytest.mark.parametrize("slash", ["", "/"])
    def test_acknowledge_with_a_note_records_who(self, diagnoser, slash):
        fault = make_fault()
        response = diagnoser.post(
            f"/api/faults/{fault.pk}/acknowledge{slash}", {"note": "looking"}, format="json"
        )
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["status"] == "acknowledged" and body["acknowledged_by"] == "token:oncall"
        assert body["events"][0] == {
            **body["events"][0],
            "action": "acknowledged",
            "note": "looking",
        }

    def test_every_action_and_an_empty_body(self, diagnoser):
        fault = make_fault()
        for action, status in [
            ("acknowledge", "acknowledged"),
            ("resolve", "resolved"),
            ("reopen", "open"),
            ("ignore", "ignored"),
        ]:
            response = diagnoser.post(f"/api/faults/{fault.pk}/{action}")
            assert response.status_code == 200, (action, response.json())
            assert response.json()["status"] == status

    def test_a_transition_not_allowed_is_409_with_the_current_status(self, diagnoser):
        fault = make_fault(status="resolved")
        response = diagnoser.post(f"/api/faults/{fault.pk}/acknowledge")
        assert response.status_code == 409
        assert response.json() == {
            "status": 409,
            "code": "transition_not_allowed",
            "detail": "Cannot acknowledge a fault that is resolved.",
            "fault_status": "resolved",
        }

    def test_read_scope_is_not_enough_and_no_credentials_is_401(self, reader):
        fault = make_fault()
        assert reader.post(f"/api/faults/{fault.pk}/resolve").status_code == 403
        assert APIClient().post(f"/api/faults/{fault.pk}/resolve").status_code == 401
        fault.refresh_from_db()
        assert fault.status == "open"

    def test_bad_bodies_are_400_and_unknown_things_404(self, diagnoser):
        fault = make_fault()
        too_long = diagnoser.post(
            f"/api/faults/{fault.pk}/resolve", {"note": "x" * 3000}, format="json"
        )
        assert too_long.status_code == 400 and "note" in too_long.json()["fields"]
        broken = diagnoser.post(
            f"/api/faults/{fault.pk}/resolve", "{not json", content_type="application/json"
        )
        assert broken.status_code == 400
        assert diagnoser.post("/api/faults/999999/resolve").status_code == 404
        assert diagnoser.post(f"/api/faults/{fault.pk}/explode").status_code == 404
        fault.refresh_from_db()
        assert fault.status == "open"

    def test_an_operator_session_may_transition_with_csrf_and_staff_alone_may_not(self):
        fault = make_fault()
        operator = User.objects.create_user("bob", password="pw", is_staff=True)
        operator.user_permissions.add(Permission.objects.get(codename="change_faultrecord"))
        viewer = User.objects.create_user("eve", password="pw", is_staff=True)

        client = APIClient(enforce_csrf_checks=True)
        client.force_login(viewer)
        client.get("/admin/")  # a page that sets the CSRF cookie
        csrf = client.cookies["csrftoken"].value
        assert (
            client.post(f"/api/faults/{fault.pk}/resolve", HTTP_X_CSRFTOKEN=csrf).status_code == 403
        )

        client.force_login(operator)
        client.get("/admin/")
        csrf = client.cookies["csrftoken"].value
        assert client.post(f"/api/faults/{fault.pk}/resolve").status_code == 403  # no token
        response = client.post(f"/api/faults/{fault.pk}/resolve", HTTP_X_CSRFTOKEN=csrf)
        assert response.status_code == 200, response.json()
        assert response.json()["resolved_by"] == "bob"
