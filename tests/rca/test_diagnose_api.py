"""POST /api/llm/diagnose: access, validation, stored history, rate limit, and the rules
answering when the LLM is unreachable (must-show 3)."""

import json
import urllib.request
import uuid

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from diagnosis.models import Diagnosis, FaultEvent, FaultRecord
from tests.diagnosis.scenario import fault, log_line, snapshot
from tests.support.server import PortalServer
from tests.support.services import run_manage

pytestmark = pytest.mark.django_db

URL = "/api/llm/diagnose"
EXCERPT = (
    "2026-11-28 10:14:05,311 WARN org.apache.hadoop.util.JvmPauseMonitor: Detected pause in JVM "
    "or host machine (eg GC): pause of approximately 48211ms\n"
    "GC pool 'G1 Old Generation' had collection(s): count=1 time=48002ms\n"
    "2026-11-28 10:14:06,120 INFO org.apache.hadoop.ha.ActiveStandbyElector: Session expired. "
    "Entering neutral mode and rejoining...\n"
)


def fresh_cache(settings, rate: str = "1000/min"):
    """A cache of this test's own, so rate-limit counters never leak between tests."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"diagnose-{uuid.uuid4().hex}",
        }
    }
    set_rate(settings, rate)


def set_rate(settings, rate: str):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "diagnose": rate}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


@pytest.fixture(autouse=True)
def _isolated_rate_limit(settings, request):
    if "real_redis_cache" not in request.fixturenames:
        fresh_cache(settings)


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def diagnose_token(make_token):
    return make_token("diagnose", name="ops-script")


def post(client, token, body, path=URL, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
    return client.post(path, body, format="json", **headers, **extra)


def expiry_fault():
    line = log_line(
        "nn01",
        0,
        "WARN",
        "org.apache.hadoop.ha.ActiveStandbyElector",
        "Session expired. Entering neutral mode and rejoining...",
    )
    return fault("ha_zk_session_expired", "nn01", line)


# --- access ---------------------------------------------------------------------------------


def test_no_credentials_is_401_json(client):
    response = post(client, None, {"log_text": EXCERPT})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_token_without_the_diagnose_scope_is_403(client, make_token):
    response = post(client, make_token("read,ingest"), {"log_text": EXCERPT})
    assert response.status_code == 403
    assert response.json() == {
        "status": 403,
        "code": "permission_denied",
        "detail": "This API token lacks the 'diagnose' scope.",
    }


def test_sessions_need_the_operator_permission(client):
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(viewer)
    assert post(client, None, {"log_text": EXCERPT}).status_code == 403

    operator = User.objects.create_user("operator", password="pw", is_staff=True)
    operator.user_permissions.add(Permission.objects.get(codename="change_faultrecord"))
    client.force_login(operator)
    record = expiry_fault()
    response = post(client, None, {"fault_id": record.pk})
    assert response.status_code == 200
    assert FaultEvent.objects.get(action="diagnosed").actor == "operator"


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "non_field_errors", "Send exactly one of fault_id, incident_id or log_text."),
        ({"fault_id": 1, "log_text": "x"}, "non_field_errors", "Send exactly one of"),
        ({"fault_id": "abc"}, "fault_id", "A valid integer is required."),
        ({"fault_id": 0}, "fault_id", "greater than or equal to 1"),
        ({"log_text": "   \n  "}, "log_text", "log_text is blank."),
        ({"log_text": None}, "log_text", "may not be null"),
        ({"fault_id": 1, "host": "nn01"}, "host", "host goes with log_text"),
        ({"log_text": "x", "engine": "gpt"}, "engine", "is not a valid choice"),
    ],
)
def test_invalid_requests_are_400_with_the_field(client, diagnose_token, body, field, message):
    response = post(client, diagnose_token, body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == "invalid"
    assert message in " ".join(payload["fields"][field])
    assert Diagnosis.objects.count() == 0


def test_a_body_that_is_not_json_is_400(client, diagnose_token):
    response = client.post(
        URL,
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {diagnose_token}",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_log_text_over_the_cap_is_413(client, diagnose_token, settings):
    settings.DIAGNOSE_MAX_LOG_TEXT_BYTES = 2048
    response = post(client, diagnose_token, {"log_text": "é" * 1100})  # 2200 bytes in UTF-8
    assert response.status_code == 413
    assert response.json() == {
        "status": 413,
        "code": "payload_too_large",
        "detail": "log_text is larger than 2048 bytes; send the lines around the error.",
    }
    assert post(client, diagnose_token, {"log_text": "é" * 1000}).status_code == 200


def test_a_body_far_over_the_cap_is_refused_before_it_is_read(client, diagnose_token, settings):
    settings.DIAGNOSE_MAX_LOG_TEXT_BYTES = 1024
    response = post(client, diagnose_token, {"log_text": "x" * 20_000})
    assert response.status_code == 413
    assert response.json()["detail"] == "The request body is larger than 10240 bytes."


def test_an_unknown_fault_is_404_json(client, diagnose_token):
    response = post(client, diagnose_token, {"fault_id": 987654})
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "code": "not_found",
        "detail": "No fault with id 987654.",
    }


@pytest.mark.parametrize("path", [URL, URL + "/"])
def test_the_path_works_with_and_without_trailing_slash(client, diagnose_token, path):
    response = post(client, diagnose_token, {"log_text": EXCERPT, "host": "nn01"}, path=path)
    assert response.status_code == 200  # never a redirect


# --- answers and history -----------------------------------------------------------------------


def test_a_fault_diagnosis_is_stored_and_the_fault_holds_the_latest(client, diagnose_token):
    record = expiry_fault()
    first = post(client, diagnose_token, {"fault_id": record.pk})
    fault("jvm_long_pause", "nn01", seconds=-30)  # found before the second diagnosis
    second = post(client, diagnose_token, {"fault_id": record.pk})

    assert first.status_code == second.status_code == 200
    rows = list(Diagnosis.objects.filter(fault=record).order_by("id"))
    assert [row.pk for row in rows] == [first.json()["diagnosis_id"], second.json()["diagnosis_id"]]
    assert [row.requested_by for row in rows] == ["token:ops-script"] * 2
    assert rows[0].result["probable_causes"][0]["fault_type"] == "ha_zk_session_expired"
    assert rows[1].result["probable_causes"][0]["fault_type"] == "jvm_long_pause"

    record = FaultRecord.objects.get(pk=record.pk)
    assert record.diagnosis == rows[1].result
    assert record.diagnosed_at == rows[1].created_at
    events = list(record.events.filter(action="diagnosed").order_by("id"))
    assert len(events) == 2 and events[0].actor == "token:ops-script"
    assert events[1].note.startswith("rules: Long JVM or host pause (GC) shortly before (")

    body = second.json()
    assert body["engine"] == "rules" and body["version"] == 1
    assert body["subject"]["fault_id"] == record.pk
    assert {k: body[k] for k in rows[1].result} == rows[1].result


def test_an_excerpt_is_diagnosed_and_kept_without_a_fault(client, diagnose_token):
    snapshot(
        cluster={"live_datanodes": 3},
        nodes=[{"host": "nn01", "role": "namenode", "state": "standby"}],
    )
    response = post(client, diagnose_token, {"log_text": EXCERPT, "host": "nn01"})

    assert response.status_code == 200
    body = response.json()
    assert body["subject"]["kind"] == "log_text" and body["subject"]["host"] == "nn01"
    assert body["probable_causes"][0]["title"] == "Long JVM or host pause (GC) shortly before"
    row = Diagnosis.objects.get(pk=body["diagnosis_id"])
    assert row.fault is None and row.log_text == EXCERPT and row.host == "nn01"
    assert FaultEvent.objects.filter(action="diagnosed").count() == 0


def test_with_the_llm_at_a_closed_port_the_rules_answer_200(
    client, diagnose_token, settings, closed_port
):
    """Must-show 3: LLM_BASE_URL points at nothing."""
    settings.LLM_BASE_URL = f"http://127.0.0.1:{closed_port}/v1"
    settings.LLM_MODEL = "llama3"
    record = expiry_fault()

    response = post(client, diagnose_token, {"fault_id": record.pk})

    assert response.status_code == 200
    body = response.json()
    assert body["engine"] == "rules"
    assert body["llm_error"].startswith("cannot connect to the LLM server:")
    assert body["probable_causes"] and body["remediation"]
    assert FaultRecord.objects.get(pk=record.pk).diagnosis["llm_error"] == body["llm_error"]
    assert "LLM not used" in FaultEvent.objects.get(action="diagnosed").note


def test_the_llm_answers_through_the_endpoint_unless_rules_are_asked_for(
    client, diagnose_token, llm_configured
):
    record = expiry_fault()
    assert post(client, diagnose_token, {"fault_id": record.pk}).json()["engine"] == "llm"
    assert len(llm_configured.requests) == 1
    rules_only = post(client, diagnose_token, {"fault_id": record.pk, "engine": "rules"})
    assert rules_only.json()["engine"] == "rules" and rules_only.json()["llm_error"] is None
    assert len(llm_configured.requests) == 1
    assert Diagnosis.objects.get(pk=rules_only.json()["diagnosis_id"]).engine == "rules"


# --- rate limit ---------------------------------------------------------------------------------


def _exhaust(client, settings, token):
    set_rate(settings, "2/min")
    codes = [post(client, token, {"log_text": EXCERPT}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    return post(client, token, {"log_text": EXCERPT})


def test_the_rate_limit_answers_429_with_retry_after(client, settings, make_token):
    token, other = make_token("diagnose"), make_token("diagnose")
    response = _exhaust(client, settings, token)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60
    # Each token has its own allowance: one busy script does not block the others.
    assert post(client, other, {"log_text": EXCERPT}).status_code == 200
    assert Diagnosis.objects.count() == 3


@pytest.mark.redis
def test_the_rate_limit_is_shared_through_redis(client, settings, make_token, real_redis_cache):
    token = make_token("diagnose")
    response = _exhaust(client, settings, token)
    assert response.status_code == 429
    assert any("throttle_diagnose_token-" in key for key in real_redis_cache.keys("*"))


# --- a live server ------------------------------------------------------------------------------


@pytest.mark.mariadb
def test_gunicorn_answers_from_the_rules_when_the_llm_is_unreachable(migrated_mariadb, closed_port):
    """Must-show 3 end to end: a real server process, configured with an LLM at a closed port."""
    raw = (
        run_manage(
            "create_api_token",
            f"diag-{uuid.uuid4().hex[:8]}",
            "--scopes",
            "diagnose",
            env={"DATABASE_URL": migrated_mariadb},
        )
        .strip()
        .splitlines()[-1]
    )
    env = {
        "DATABASE_URL": migrated_mariadb,
        "REDIS_URL": "",
        "LLM_BASE_URL": f"http://127.0.0.1:{closed_port}/v1",
        "LLM_MODEL": "llama3",
        "LLM_API_KEY": "sk-live-test",
        "LLM_TIMEOUT": "2",
    }
    server = PortalServer(env, workers=1, threads=2).start()
    try:
        request = urllib.request.Request(
            server.url + URL,
            data=json.dumps({"log_text": EXCERPT, "host": "nn01"}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Token {raw}"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
            body = json.loads(response.read())
    finally:
        server.stop()
    assert body["engine"] == "rules"
    assert body["llm_error"].startswith("cannot connect to the LLM server:")
    assert body["probable_causes"][0]["title"] == "Long JVM or host pause (GC) shortly before"
    assert "sk-live-test" not in json.dumps(body)
