"""The execution-run API: what a wrapper sends and what operators read back."""

import uuid
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from diagnosis.models import FaultRecord, FaultType
from runs.models import ExecLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def ingest(token_client):
    return token_client("ingest")


@pytest.fixture
def reader(token_client):
    return token_client("read")


@pytest.fixture
def fault():
    now = timezone.now()
    return FaultRecord.objects.create(
        fault_type=FaultType.objects.get(code="unclassified"),
        fingerprint=uuid.uuid4().hex,
        host="dn01",
        title="DataNode disk failure",
        severity="major",
        first_seen=now,
        last_seen=now,
    )


def start(client, **fields):
    body = {"script": "hdfs-balancer", "host": "nn01", **fields}
    return client.post("/api/exec/runs", body, format="json")


def finish(client, run_id, **fields):
    return client.post(f"/api/exec/runs/{run_id}/finish", fields, format="json")


def test_it_records_a_run_from_start_to_finish(ingest, reader, fault):
    response = start(
        ingest,
        args=["hdfs", "balancer", "-threshold", "10"],
        trigger="fault",
        fault=fault.pk,
        timeout_seconds=600,
    )
    assert response.status_code == 201
    run = response.json()
    assert run["status"] == "running"
    assert response["Location"] == f"/api/exec/runs/{run['id']}"

    response = finish(ingest, run["id"], exit_code=0, stdout="balanced\n", duration_seconds=12.5)
    assert response.status_code == 200

    stored = ExecLog.objects.get(pk=run["id"])
    assert stored.status == "succeeded"
    assert stored.exit_code == 0
    assert stored.fault == fault
    assert stored.stdout_tail == "balanced\n"
    assert stored.stdout_bytes == len(b"balanced\n")
    assert stored.duration_seconds == 12.5
    assert stored.finished_at is not None
    assert stored.args == ["hdfs", "balancer", "-threshold", "10"]
    assert stored.reported_by is not None

    detail = reader.get(f"/api/exec/runs/{run['id']}").json()
    assert detail["status"] == "succeeded"
    assert detail["stdout_tail"] == "balanced\n"
    assert detail["stdout_truncated"] is False
    assert fault.exec_runs.get().pk == run["id"]


@pytest.mark.parametrize(
    ("exit_code", "status"), [(0, "succeeded"), (1, "failed"), (137, "failed"), (-9, "failed")]
)
def test_the_status_follows_the_exit_code_unless_given(ingest, exit_code, status):
    run_id = start(ingest).json()["id"]
    assert finish(ingest, run_id, exit_code=exit_code).json()["status"] == status


def test_a_wrapper_may_report_aborted_or_timed_out(ingest):
    first = start(ingest).json()["id"]
    second = start(ingest).json()["id"]
    assert finish(ingest, first, status="aborted").json()["status"] == "aborted"
    body = finish(ingest, second, status="timed_out", exit_code=124).json()
    assert (body["status"], body["exit_code"]) == ("timed_out", 124)


def test_duration_defaults_to_the_time_between_start_and_finish(ingest):
    started = timezone.now() - timedelta(minutes=5)
    run_id = start(ingest, started_at=started.isoformat()).json()["id"]
    finished = started + timedelta(seconds=90)
    finish(ingest, run_id, exit_code=0, finished_at=finished.isoformat())
    assert ExecLog.objects.get(pk=run_id).duration_seconds == pytest.approx(90)


def test_finishing_twice_with_the_same_result_is_idempotent(ingest):
    run_id = start(ingest).json()["id"]
    first = finish(ingest, run_id, exit_code=2, stderr="boom")
    again = finish(ingest, run_id, exit_code=2, stderr="boom")
    assert first.status_code == again.status_code == 200
    assert again.json()["updated_at"] == first.json()["updated_at"]


def test_a_different_result_for_a_finished_run_is_a_conflict(ingest):
    run_id = start(ingest).json()["id"]
    finish(ingest, run_id, exit_code=0)
    response = finish(ingest, run_id, exit_code=1)
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "already finished as succeeded" in response.json()["detail"]
    assert ExecLog.objects.get(pk=run_id).status == "succeeded"


def test_a_resent_start_returns_the_same_run(ingest):
    run_id = uuid.uuid4().hex
    first = start(ingest, client_run_id=run_id)
    again = start(ingest, client_run_id=run_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert ExecLog.objects.filter(client_run_id=run_id).count() == 1


def test_a_client_run_id_cannot_name_two_different_runs(ingest):
    run_id = uuid.uuid4().hex
    start(ingest, client_run_id=run_id)
    response = start(ingest, client_run_id=run_id, script="other-script")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


def test_an_unknown_fault_is_a_clear_400(ingest):
    response = start(ingest, fault=999999)
    assert response.status_code == 400
    assert response.json()["fields"]["fault"] == ["No fault with id 999999."]
    assert not ExecLog.objects.exists()


def test_finishing_an_unknown_run_is_a_json_404(ingest):
    response = finish(ingest, 987654, exit_code=0)
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "code": "not_found",
        "detail": "No run with id 987654.",
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "exit_code"),
        ({"status": "running"}, "status"),
        ({"status": "succeeded", "exit_code": 3}, "status"),
        ({"exit_code": 0, "duration_seconds": -1}, "duration_seconds"),
        ({"exit_code": 0, "finished_at": "2001-01-01T00:00:00Z"}, "finished_at"),
        ({"exit_code": 0, "stdout": 42}, "stdout"),
    ],
)
def test_bad_finish_reports_are_refused_field_by_field(ingest, body, field):
    run_id = start(ingest).json()["id"]
    response = finish(ingest, run_id, **body)
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert ExecLog.objects.get(pk=run_id).status == "running"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"script": ""}, "script"),
        ({"host": "x" * 256}, "host"),
        ({"args": "not a list"}, "args"),
        ({"trigger": "whim"}, "trigger"),
        ({"timeout_seconds": 0}, "timeout_seconds"),
        ({"client_run_id": "has spaces"}, "client_run_id"),
        ({"script": "nul\x00byte"}, "script"),
    ],
)
def test_bad_starts_are_refused_field_by_field(ingest, body, field):
    response = start(ingest, **body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]


def test_routes_work_with_and_without_a_trailing_slash_and_never_redirect(ingest, reader):
    response = ingest.post("/api/exec/runs/", {"script": "s", "host": "h"}, format="json")
    assert response.status_code == 201
    run_id = response.json()["id"]
    response = ingest.post(f"/api/exec/runs/{run_id}/finish/", {"exit_code": 0}, format="json")
    assert response.status_code == 200
    assert reader.get(f"/api/exec/runs/{run_id}/").status_code == 200
    assert reader.get("/api/exec/runs/").status_code == 200
    assert reader.get("/api/exec/scripts/").status_code == 200


def test_reporting_needs_the_ingest_scope_and_reading_the_read_scope(ingest, reader):
    assert start(reader).status_code == 403
    assert ingest.get("/api/exec/runs").status_code == 403
    assert start(APIClient()).status_code == 401
    assert APIClient().get("/api/exec/runs").json()["code"] == "not_authenticated"


def test_only_json_bodies_are_accepted(ingest):
    response = ingest.post("/api/exec/runs", "script=x&host=y", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


# --- output -------------------------------------------------------------------------------------


@override_settings(EXEC_OUTPUT_TAIL_BYTES=1024)
def test_output_is_capped_to_its_end_on_a_character_boundary(ingest, reader):
    run_id = start(ingest).json()["id"]
    # 3-byte characters: a cut at 1024 bytes from the end falls inside one.
    stdout = "first line\n" + "€" * 2000 + "\nlast line\n"
    finish(ingest, run_id, exit_code=1, stdout=stdout, stderr="short")
    run = ExecLog.objects.get(pk=run_id)
    kept = run.stdout_tail.encode()
    assert len(kept) <= 1024
    assert len(kept) >= 1024 - 3
    assert run.stdout_tail.endswith("€\nlast line\n")
    assert "first line" not in run.stdout_tail
    assert "\ufffd" not in run.stdout_tail  # cut between characters, not through one
    assert run.stdout_bytes == len(stdout.encode())
    detail = reader.get(f"/api/exec/runs/{run_id}").json()
    assert detail["stdout_truncated"] is True
    assert detail["stderr_truncated"] is False


def test_a_client_sent_tail_keeps_the_total_size_it_measured(ingest):
    run_id = start(ingest).json()["id"]
    finish(ingest, run_id, exit_code=0, stdout="the end\n", stdout_bytes=10_000_000)
    run = ExecLog.objects.get(pk=run_id)
    assert (run.stdout_tail, run.stdout_bytes) == ("the end\n", 10_000_000)


def test_hostile_output_is_stored_not_refused(ingest, reader):
    """NUL bytes, lone surrogates and replacement characters from undecodable bytes."""
    run_id = start(ingest).json()["id"]
    body = '{"exit_code": 1, "stdout": "a\\u0000b \\ud800 caf\\ufffd <script>x</script>"}'
    response = ingest.post(f"/api/exec/runs/{run_id}/finish", body, content_type="application/json")
    assert response.status_code == 200
    run = ExecLog.objects.get(pk=run_id)
    assert run.stdout_tail.startswith("a\x00b ")
    assert "\ud800" not in run.stdout_tail  # made storable: U+FFFD in its place
    assert run.stdout_tail.endswith("caf\ufffd <script>x</script>")
    assert reader.get(f"/api/exec/runs/{run_id}").json()["stdout_tail"] == run.stdout_tail


# --- reading ------------------------------------------------------------------------------------


def test_the_list_filters_and_pages_by_cursor_without_output(ingest, reader, fault):
    base = timezone.now() - timedelta(hours=1)
    for i in range(5):
        start(
            ingest,
            script="balancer",
            host=f"nn0{i % 2}",
            started_at=(base + timedelta(minutes=i)).isoformat(),
        )
    start(ingest, script="fsck", host="nn00", fault=fault.pk)

    page = reader.get("/api/exec/runs", {"script": "balancer", "page_size": 2}).json()
    assert [r["script"] for r in page["results"]] == ["balancer", "balancer"]
    assert "stdout_tail" not in page["results"][0]
    seen = [r["id"] for r in page["results"]]
    while page["next"]:
        page = reader.get(page["next"]).json()
        seen += [r["id"] for r in page["results"]]
    assert len(seen) == len(set(seen)) == 5
    started = [ExecLog.objects.get(pk=i).started_at for i in seen]
    assert started == sorted(started, reverse=True)

    assert len(reader.get("/api/exec/runs", {"host": "nn01"}).json()["results"]) == 2
    by_fault = reader.get("/api/exec/runs", {"fault": fault.pk}).json()["results"]
    assert [r["script"] for r in by_fault] == ["fsck"]
    assert reader.get("/api/exec/runs", {"status": "running"}).json()["results"]


@pytest.mark.parametrize(
    "query",
    [{"status": "exploded"}, {"fault": "abc"}, {"fault": "1.5"}, {"started_after": "yesterday"}],
)
def test_bad_filters_are_a_400_in_the_error_format(reader, query):
    response = reader.get("/api/exec/runs", query)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_a_forged_cursor_is_a_json_404(reader):
    response = reader.get("/api/exec/runs", {"cursor": "garbage"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_out_of_range_id_is_a_404_not_a_500(reader, ingest):
    assert reader.get(f"/api/exec/runs/{10**30}").status_code == 404
    assert finish(ingest, 10**30, exit_code=0).status_code == 404
    assert reader.get("/api/exec/runs", {"fault": 10**30}).status_code == 400


def test_script_stats_report_success_rate_last_run_and_p95(ingest, reader):
    base = timezone.now() - timedelta(days=1)
    for i, (code, duration) in enumerate([(0, 10), (0, 20), (1, 30), (0, 40)]):
        run_id = start(
            ingest, script="balancer", started_at=(base + timedelta(minutes=i)).isoformat()
        ).json()["id"]
        finish(ingest, run_id, exit_code=code, duration_seconds=duration)
    stats = reader.get("/api/exec/scripts", {"days": 7}).json()
    assert len(stats) == 1
    row = stats[0]
    assert (row["runs"], row["succeeded"], row["failed"]) == (4, 3, 1)
    assert row["success_rate"] == pytest.approx(0.75)
    assert row["p95_duration_seconds"] == 40
    assert row["p50_duration_seconds"] == 20
    assert row["last_status"] == "succeeded"
    assert reader.get("/api/exec/scripts", {"days": 0}).status_code == 400
