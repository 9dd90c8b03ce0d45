"""POST /api/llm/diagnose: access, validation, stored history, rate limit, and the rules
answering when the LLM is unreachable (must-show 3)."""

import io
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from rest_framework.test import APIClient

from diagnosis.models import Diagnosis, FaultEvent, FaultRecord, Incident
from jobs.models import Job
from tests.diagnosis.scenario import fault, log_line, snapshot
from tests.support.server import PortalServer
from tests.support.services import REPO_ROOT, run_manage

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


def notify_once() -> None:
    """One pass of the background worker, as `manage.py notify --once` runs it."""
    call_command("notify", "--once", stdout=io.StringIO())


def poll(client, token, url):
    return client.get(url, HTTP_AUTHORIZATION=f"Token {token}")


def test_with_the_llm_at_a_closed_port_the_worker_answers_from_the_rules(
    client, diagnose_token, settings, closed_port
):
    """LLM_BASE_URL points at nothing: the request is queued, the worker's answer is the
    rules' with llm_error saying why."""
    settings.LLM_BASE_URL = f"http://127.0.0.1:{closed_port}/v1"
    settings.LLM_MODEL = "llama3"
    record = expiry_fault()

    response = post(client, diagnose_token, {"fault_id": record.pk})
    assert response.status_code == 202
    notify_once()
    body = poll(client, diagnose_token, response["Location"]).json()

    assert body["state"] == "done" and body["engine"] == "rules"
    assert body["llm_error"].startswith("cannot connect to the LLM server:")
    assert body["probable_causes"] and body["remediation"]
    assert FaultRecord.objects.get(pk=record.pk).diagnosis["llm_error"] == body["llm_error"]
    assert "LLM not used" in FaultEvent.objects.get(action="diagnosed").note


def test_with_the_llm_the_endpoint_answers_202_and_the_poll_url_gets_the_answer(
    client, diagnose_token, llm_configured
):
    """Must-show 3: 202 with the URL to poll; the model is asked by the worker, not the request."""
    record = expiry_fault()

    response = post(client, diagnose_token, {"fault_id": record.pk})

    assert response.status_code == 202
    queued = response.json()
    url = f"/api/diagnoses/{queued['diagnosis_id']}"
    assert queued == {
        "diagnosis_id": queued["diagnosis_id"],
        "state": "pending",
        "engine": "llm",
        "url": url,
        "fault_id": record.pk,
        "incident_id": None,
        "created_at": queued["created_at"],
    }
    assert response["Location"] == url
    assert llm_configured.requests == []  # the request thread never called the model
    assert poll(client, diagnose_token, url).json()["state"] == "pending"
    assert FaultRecord.objects.get(pk=record.pk).diagnosis is None

    notify_once()

    assert len(llm_configured.requests) == 1
    done = poll(client, diagnose_token, url + "/")
    assert done.status_code == 200
    body = done.json()
    assert body["state"] == "done" and body["engine"] == "llm" and body["model"] == "test-model"
    assert body["summary"].startswith("The NameNode on nn01 paused for 52 s")
    assert body["subject"]["fault_id"] == record.pk
    record = FaultRecord.objects.get(pk=record.pk)
    assert record.diagnosis == Diagnosis.objects.get(pk=queued["diagnosis_id"]).result
    (event,) = record.events.filter(action="diagnosed")
    assert event.actor == "token:ops-script" and event.note.startswith("llm: ")

    # A second pass (or a second worker) finds nothing left to do: written once.
    notify_once()
    assert len(llm_configured.requests) == 1
    assert record.events.filter(action="diagnosed").count() == 1


def test_an_excerpt_and_an_incident_are_queued_for_the_llm_too(
    client, diagnose_token, llm_configured
):
    from tests.diagnosis.ingest import ingest
    from tests.diagnosis.test_incidents import cut_off

    ingest(cut_off("worker17"))
    incident = Incident.objects.exclude(status=Incident.Status.MERGED).get()
    excerpt = post(client, diagnose_token, {"log_text": EXCERPT, "host": "nn01"})
    by_incident = post(client, diagnose_token, {"incident_id": incident.pk})
    assert excerpt.status_code == by_incident.status_code == 202
    assert by_incident.json()["incident_id"] == incident.pk

    notify_once()

    body = poll(client, diagnose_token, excerpt["Location"]).json()
    assert body["state"] == "done" and body["engine"] == "llm"
    assert body["subject"]["kind"] == "log_text" and body["subject"]["host"] == "nn01"
    body = poll(client, diagnose_token, by_incident["Location"]).json()
    assert body["state"] == "done" and body["engine"] == "llm"
    assert body["subject"]["kind"] == "incident"
    assert Incident.objects.get(pk=incident.pk).diagnosis == body_result(body)
    # The incident's rules were the model's reference: it saw the incident, not a fault.
    sent = json.dumps(llm_configured.requests[-1]["body"])
    assert "network: master1 unreachable" in sent


def body_result(body: dict) -> dict:
    return {k: v for k, v in body.items() if k not in POLL_FIELDS}


POLL_FIELDS = {"diagnosis_id", "state", "url", "fault_id", "incident_id", "created_at"}


def test_rules_asked_for_answer_200_at_once_even_with_the_llm(
    client, diagnose_token, llm_configured
):
    record = expiry_fault()
    rules_only = post(client, diagnose_token, {"fault_id": record.pk, "engine": "rules"})
    assert rules_only.status_code == 200
    body = rules_only.json()
    assert body["state"] == "done" and body["engine"] == "rules" and body["llm_error"] is None
    assert body["url"] == f"/api/diagnoses/{body['diagnosis_id']}"
    assert llm_configured.requests == []
    assert Diagnosis.objects.get(pk=body["diagnosis_id"]).engine == "rules"
    assert poll(client, diagnose_token, body["url"]).json() == body


def test_a_diagnosis_the_worker_gives_up_on_says_failed_and_why(
    client, diagnose_token, llm_configured, monkeypatch
):
    from rca import background

    def broken(diagnosis):
        raise RuntimeError("context gathering broke")

    monkeypatch.setattr(background, "pending_diagnosis_compute", broken)
    response = post(client, diagnose_token, {"log_text": EXCERPT})
    Job.objects.update(max_attempts=1)

    notify_once()

    body = poll(client, diagnose_token, response["Location"]).json()
    assert body["state"] == "failed"
    assert body["error"] == "RuntimeError: context gathering broke"
    assert Job.objects.get().status == "failed"


def test_polling_needs_the_scope_and_an_unknown_id_is_a_json_404(client, diagnose_token):
    assert client.get("/api/diagnoses/1").status_code == 401
    response = poll(client, diagnose_token, "/api/diagnoses/987654")
    assert response.status_code == 404
    assert response.json()["detail"] == "No diagnosis with id 987654."


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


def live_token(database_url: str, scopes: str) -> str:
    out = run_manage(
        "create_api_token",
        f"diag-{uuid.uuid4().hex[:8]}",
        "--scopes",
        scopes,
        env={"DATABASE_URL": database_url},
    )
    return out.strip().splitlines()[-1]


def http(method: str, url: str, token: str, body: bytes | None = None, content_type="json"):
    """(status, headers, JSON body) of one request; errors are answers too."""
    headers = {"Authorization": f"Token {token}"}
    if body is not None:
        headers["Content-Type"] = f"application/{content_type}"
        if content_type == "text":
            headers["Content-Type"] = "text/plain"
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"{}")


def wait_for(predicate, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.mariadb
def test_gunicorn_queues_and_the_worker_answers_from_the_rules_when_the_llm_is_unreachable(
    migrated_mariadb, closed_port
):
    """End to end: a real server process and `manage.py notify --once`, configured with an LLM
    at a closed port."""
    raw = live_token(migrated_mariadb, "diagnose")
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
        body = json.dumps({"log_text": EXCERPT, "host": "nn01"}).encode()
        status, headers, queued = http("POST", server.url + URL, raw, body)
        assert status == 202 and queued["state"] == "pending"
        run_manage("notify", "--once", env=env)
        status, _, body = http("GET", server.url + headers["Location"], raw)
    finally:
        server.stop()
    assert status == 200 and body["state"] == "done"
    assert body["engine"] == "rules"
    assert body["llm_error"].startswith("cannot connect to the LLM server:")
    assert body["probable_causes"][0]["title"] == "Long JVM or host pause (GC) shortly before"
    assert "sk-live-test" not in json.dumps(body)


@pytest.mark.mariadb
def test_gunicorn_threads_never_wait_for_a_model_that_takes_30_s(migrated_mariadb, fake_llm):
    """Must-show 3: the model takes 30 s to answer. gunicorn has one process of two threads;
    while the worker (`manage.py notify`) waits for the model, more diagnoses than there are
    threads are queued, lines are ingested and health and polls are answered — all before the
    model has answered anything — and then the poll gets the model's answer."""
    fake_llm.behaviour, fake_llm.sleep_seconds = "sleep", 30.0
    raw = live_token(migrated_mariadb, "diagnose,ingest")
    env = {
        "DATABASE_URL": migrated_mariadb,
        "REDIS_URL": "",
        "LLM_BASE_URL": fake_llm.base_url,
        "LLM_MODEL": "test-model",
        "LLM_TIMEOUT": "60",
        "WORKER_POLL_SECONDS": "0.2",
    }
    server = PortalServer(env, workers=1, threads=2).start()
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "notify"],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    excerpt = json.dumps({"log_text": EXCERPT, "host": "nn01"}).encode()
    try:
        status, headers, first = http("POST", server.url + URL, raw, excerpt)
        assert status == 202
        # The worker has the job and is waiting for the model.
        wait_for(lambda: len(fake_llm.requests) == 1, "the worker to call the model", 30)
        fake_llm.behaviour = "valid"  # the next calls answer at once; the first still sleeps

        answers = []

        def diagnose():
            answers.append(http("POST", server.url + URL, raw, excerpt))

        clients = [threading.Thread(target=diagnose) for _ in range(4)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join(timeout=20)
        lines = "\n".join(
            f"2026-11-28 10:15:{n:02},000 INFO org.apache.hadoop.hdfs.StateChange: line {n}"
            for n in range(20)
        ).encode()
        ingest = http(
            "POST", f"{server.url}/api/log/auto-upload?host=dn-slow-llm", raw, lines, "text"
        )
        health = http("GET", server.url + "/api/health", raw)
        polled = http("GET", server.url + headers["Location"], raw)

        # Every one of those was answered while the model still held the first request.
        assert fake_llm.answered == 0
        assert sorted(status for status, _, _ in answers) == [202] * 4
        assert ingest[0] == 200 and ingest[2]["accepted"] == 20
        assert health[0] == 200 and health[2]["checks"]["worker"]["alive"] == 1
        assert polled[0] == 200 and polled[2]["state"] == "pending"

        # Then the model answers and the poll gets it; the queued ones follow.
        wait_for(
            lambda: http("GET", server.url + headers["Location"], raw)[2]["state"] == "done",
            "the first diagnosis",
            60,
        )
        status, _, done = http("GET", server.url + headers["Location"], raw)
        assert done["engine"] == "llm" and done["model"] == "test-model"
        for _, queued_headers, _ in answers:
            wait_for(
                lambda h=queued_headers: (
                    http("GET", server.url + h["Location"], raw)[2]["state"] == "done"
                ),
                "the queued diagnoses",
                30,
            )
        assert fake_llm.answered == 5
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        server.stop()
