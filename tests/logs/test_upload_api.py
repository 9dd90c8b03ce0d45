"""POST /api/log/auto-upload over real HTTP handling (the test client), on the suite's database.

In CI's first pass that database is MariaDB; these tests then run the MySQL insert path.
"""

import json
from datetime import UTC, datetime

import pytest
from django.db import OperationalError
from rest_framework.test import APIClient

from diagnosis.models import FaultRecord, FaultType
from diagnosis.services import Occurrence, fingerprint_for
from faultportal.services import api_token_create
from logs.models import IngestRequest, SystemLog

pytestmark = pytest.mark.django_db

URL = "/api/log/auto-upload"
LINE = (
    "2026-11-28 10:15:32,123 INFO org.apache.hadoop.hdfs.server.datanode.DataNode: "
    "Receiving BP-1473820740-10.0.0.2-1764324000000:blk_1074841215_80377 "
    "src: /10.0.0.234:60210 dest: /10.0.3.68:9866"
)
ERROR_WITH_TRACE = (
    "2026-11-28 10:17:45,001 ERROR org.apache.hadoop.hdfs.server.datanode.DataNode: "
    "dn03:9866:DataXceiver error processing WRITE_BLOCK operation\n"
    "java.io.IOException: Premature EOF from inputStream\n"
    "\tat org.apache.hadoop.io.IOUtils.readFully(IOUtils.java:212)\n"
    "\tat java.lang.Thread.run(Thread.java:748)"
)


@pytest.fixture
def token(make_token):
    return make_token("ingest")


@pytest.fixture
def client():
    # Flume's sink never has a CSRF token or cookie: the endpoint must not need one.
    return APIClient(enforce_csrf_checks=True)


def post(client, body, *, token=None, query="", content_type="text/plain", url=URL, **extra):
    params = [p for p in (f"token={token}" if token else "", query) if p]
    target = url + ("?" + "&".join(params) if params else "")
    data = body.encode() if isinstance(body, str) else body
    return client.generic("POST", target, data, content_type=content_type, **extra)


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == status and body["detail"], body
    if code:
        assert body["code"] == code
    return body


# --- body forms ---------------------------------------------------------------------------


def test_one_line_as_flume_sends_it(client, token):
    response = post(
        client, LINE, token=token, query="host=dn01&logtype=hdfs", HTTP_ACCEPT="text/plain"
    )
    assert response.status_code == 200
    assert response.json() == {
        "accepted": 1,
        "rows": 1,
        "truncated_lines": 0,
        "replaced_bytes": 0,
        "blank_lines": 0,
    }
    row = SystemLog.objects.get()
    assert (row.host, row.logtype, row.level, row.raw) == ("dn01", "hdfs", "INFO", LINE)
    assert row.component == "org.apache.hadoop.hdfs.server.datanode.DataNode"
    assert row.log_time == datetime(2026, 11, 28, 10, 15, 32, 123000, tzinfo=UTC)
    assert row.received_at is not None


def test_newline_separated_lines_with_a_trace(client, token):
    body = f"{LINE}\r\n{ERROR_WITH_TRACE}\n\n{LINE}\n"
    response = post(client, body, token=token, query="host=dn03")
    assert response.json()["accepted"] == 6
    assert response.json()["rows"] == 3
    assert response.json()["blank_lines"] == 1
    first, error, last = SystemLog.objects.order_by("id")
    assert first.raw == last.raw == LINE
    assert error.level == "ERROR" and error.raw == ERROR_WITH_TRACE
    assert error.trace == "\n".join(ERROR_WITH_TRACE.split("\n")[1:])


def test_a_flume_json_event_array(client, token):
    events = [
        {"headers": {"host": "dn07", "logtype": "yarn", "file": "/var/log/nm.log"}, "body": LINE},
        {"headers": {}, "body": "2026-11-28 10:00:00,000 WARN [main] a.B: careful"},
        {"body": "no headers at all"},
    ]
    response = post(
        client, json.dumps(events), token=token, query="host=relay", content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["accepted"] == 3
    rows = list(
        SystemLog.objects.order_by("id").values_list("host", "logtype", "source_file", "level")
    )
    # A line in no layout after a header of the same stream continues that header's event
    # (issue 13: events, not lines), so it is the WARN row's trace, not a row of its own.
    assert rows == [
        ("dn07", "yarn", "/var/log/nm.log", "INFO"),
        ("relay", "hadoop", "", "WARN"),
    ]
    assert SystemLog.objects.get(level="WARN").trace == "no headers at all"


def test_charset_parameters_and_a_missing_content_type_are_text(client, token):
    assert (
        post(client, "a", token=token, content_type="text/plain; charset=UTF-8").status_code == 200
    )
    latin = "Fehler für hdfs".encode("latin-1")
    assert (
        post(client, latin, token=token, content_type="text/plain; charset=ISO-8859-1").status_code
        == 200
    )
    assert post(client, "c", token=token, content_type="").status_code == 200
    assert list(SystemLog.objects.order_by("id").values_list("raw", flat=True)) == [
        "a",
        "Fehler für hdfs",
        "c",
    ]


# --- tokens, paths, negotiation -------------------------------------------------------------


def test_the_token_in_the_authorization_header(client, token):
    response = post(client, LINE, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200 and SystemLog.objects.count() == 1


@pytest.mark.parametrize("url", [URL, URL + "/"])
def test_with_and_without_trailing_slash_no_redirect(client, token, url):
    response = post(client, LINE, token=token, url=url)
    assert response.status_code == 200
    assert SystemLog.objects.count() == 1


def test_accept_text_plain_gets_json_not_406(client, token):
    response = post(client, LINE, token=token, HTTP_ACCEPT="text/plain")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    response = post(client, "", token=token, HTTP_ACCEPT="text/plain")
    assert_error(response, 400)


def test_missing_token_is_401_with_a_body(client):
    response = post(client, LINE)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Token")
    assert SystemLog.objects.count() == 0


def test_invalid_token_is_401_with_a_body(client):
    assert_error(post(client, LINE, token="fpt_wrong"), 401, "authentication_failed")
    assert_error(post(client, LINE, HTTP_AUTHORIZATION="Token a b"), 401)


def test_a_token_without_the_ingest_scope_is_403(client, make_token):
    body = assert_error(post(client, LINE, token=make_token("read")), 403, "permission_denied")
    assert "ingest" in body["detail"]
    assert SystemLog.objects.count() == 0


def test_a_logged_in_admin_session_cannot_ingest(client, admin_user):
    client.force_login(admin_user)
    assert_error(post(client, LINE), 401)


def test_get_is_405_with_a_body(client, token):
    # What Flume's sink would send after a redirect: must say so rather than look like success.
    assert_error(client.get(f"{URL}?token={token}"), 405)


# --- host and log type ----------------------------------------------------------------------


def test_without_a_host_the_peer_address_is_used(client, token):
    post(client, LINE, token=token, REMOTE_ADDR="10.0.3.68")
    assert SystemLog.objects.get().host == "10.0.3.68"
    assert SystemLog.objects.get().logtype == "hadoop"


def test_an_unresolved_agent_variable_stores_under_the_peer_and_says_so(client, token):
    response = post(
        client,
        LINE,
        token=token,
        query="host=${env:FLUME_HOST}&logtype=${env:LOGTYPE}",
        REMOTE_ADDR="10.0.3.68",
    )
    assert response.status_code == 200
    warnings = response.json()["warnings"]
    assert any("FLUME_HOST" in w and "10.0.3.68" in w for w in warnings)
    row = SystemLog.objects.get()
    assert (row.host, row.logtype) == ("10.0.3.68", "hadoop")


def test_overlong_query_values_are_clipped_not_refused(client, token):
    # A host longer than a host name can be is refused now (issue 17, test_host_names.py); the
    # other values are still clipped.
    response = post(client, LINE, token=token, query=f"host=dn01&logtype={'t' * 40}")
    assert response.status_code == 200
    row = SystemLog.objects.get()
    assert (row.host, len(row.logtype)) == ("dn01", 32)


# --- errors ---------------------------------------------------------------------------------


def test_an_empty_body_is_400(client, token):
    assert_error(post(client, b"", token=token), 400, "parse_error")
    assert_error(post(client, b"\n\n  \r\n", token=token), 400, "parse_error")


def test_invalid_json_is_400_naming_the_expected_shape(client, token):
    body = assert_error(
        post(client, b"{oops", token=token, content_type="application/json"), 400, "parse_error"
    )
    assert "Flume events" in body["detail"]


def test_a_chunked_body_without_length_is_411(client, token):
    response = client.generic(
        "POST",
        f"{URL}?token={token}",
        b"",
        content_type="text/plain",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert_error(response, 411, "length_required")


def test_a_body_over_the_limit_is_413(client, token, settings):
    settings.INGEST_MAX_BODY_BYTES = 2048
    body = assert_error(post(client, b"x" * 2049, token=token), 413, "payload_too_large")
    assert "2048" in body["detail"]
    assert post(client, b"x" * 2048, token=token).status_code == 200


def test_too_many_lines_is_413(client, token, settings):
    settings.INGEST_MAX_LINES = 10
    assert_error(post(client, "x\n" * 11, token=token), 413, "payload_too_large")
    assert SystemLog.objects.count() == 0


@pytest.mark.parametrize(
    "content_type",
    [
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/octet-stream",
        "image/png",
    ],
)
def test_other_content_types_are_415_saying_what_to_send(client, token, content_type):
    body = assert_error(
        post(client, LINE, token=token, content_type=content_type), 415, "unsupported_media_type"
    )
    assert "text/plain" in body["detail"] and "application/json" in body["detail"]


@pytest.fixture
def failing_log_inserts(monkeypatch):
    """Inserts into system_logs fail as when the server goes away mid-query; the rest works."""
    from django.db.backends import utils

    def fail_on_log_insert(method):
        def wrapper(self, sql, *args, **kwargs):
            if sql.startswith("INSERT INTO") and "system_logs" in sql.split("(", 1)[0]:
                raise OperationalError(2013, "Lost connection to MySQL server during query")
            return method(self, sql, *args, **kwargs)

        return wrapper

    for name in ("execute", "executemany"):
        monkeypatch.setattr(
            utils.CursorWrapper, name, fail_on_log_insert(getattr(utils.CursorWrapper, name))
        )


@pytest.mark.parametrize(
    "body", [LINE, f"{LINE}\n{LINE}"], ids=["one line (group commit)", "two lines (transaction)"]
)
def test_a_database_outage_is_503_with_a_body_and_retry_after(
    client, token, failing_log_inserts, body
):
    response = post(client, body, token=token)
    assert_error(response, 503, "database_unavailable")
    assert int(response["Retry-After"]) >= 1
    assert SystemLog.objects.count() == 0


def test_a_failure_after_the_rows_went_in_stores_nothing(client, token, use_detection):
    """All rows of a request and their faults commit together, or none do."""
    fault_type = FaultType.objects.first()

    def broken(detected, ids):
        raise OperationalError(1205, "Lock wait timeout exceeded")

    use_detection(detect=lambda rows: [(1, _occurrence(fault_type, rows[1]))], record=broken)
    assert_error(post(client, f"{LINE}\n{LINE}\n{LINE}", token=token), 503)
    assert SystemLog.objects.count() == 0


# --- duplicates and idempotency -------------------------------------------------------------


def test_identical_lines_are_all_stored(client, token):
    """Real logs repeat lines within a millisecond; a resend cannot be told from a repeat."""
    assert post(client, f"{LINE}\n{LINE}\n{LINE}", token=token).json()["accepted"] == 3
    assert post(client, LINE, token=token).json()["accepted"] == 1
    assert post(client, LINE, token=token).json()["accepted"] == 1
    assert SystemLog.objects.filter(raw=LINE).count() == 5


def test_a_retried_request_with_the_same_idempotency_key_is_stored_once(client, token):
    body = f"{LINE}\n{ERROR_WITH_TRACE}"
    first = post(client, body, token=token, HTTP_IDEMPOTENCY_KEY="batch-0001")
    again = post(client, body, token=token, HTTP_IDEMPOTENCY_KEY="batch-0001")
    assert first.status_code == again.status_code == 200
    assert first.json()["accepted"] == again.json()["accepted"] == 5
    assert again.json()["replayed"] is True and "replayed" not in first.json()
    assert SystemLog.objects.count() == 2
    assert IngestRequest.objects.get().accepted == 5


def test_idempotency_keys_belong_to_their_token(client, token, make_token):
    other = make_token("ingest")
    post(client, LINE, token=token, HTTP_IDEMPOTENCY_KEY="k1")
    post(client, LINE, token=other, HTTP_IDEMPOTENCY_KEY="k1")
    post(client, LINE, token=token, HTTP_IDEMPOTENCY_KEY="k2")
    assert SystemLog.objects.count() == 3


def test_a_key_reused_for_a_different_body_is_422(client, token):
    post(client, LINE, token=token, HTTP_IDEMPOTENCY_KEY="k1")
    assert_error(
        post(client, "other", token=token, HTTP_IDEMPOTENCY_KEY="k1"), 422, "unprocessable"
    )
    assert SystemLog.objects.count() == 1


def test_an_overlong_idempotency_key_is_400(client, token):
    assert_error(post(client, LINE, token=token, HTTP_IDEMPOTENCY_KEY="k" * 256), 400)


def test_the_idempotency_lookup_failing_is_503(client, token, monkeypatch):
    from logs import services

    post(client, LINE, token=token, HTTP_IDEMPOTENCY_KEY="k1")

    def broken(**kwargs):
        raise OperationalError(2006, "MySQL server has gone away")

    monkeypatch.setattr(services, "_replayed", broken)
    response = post(client, LINE, token=token, HTTP_IDEMPOTENCY_KEY="k1")
    assert_error(response, 503, "database_unavailable")
    assert SystemLog.objects.count() == 1


# --- fault detection hook -------------------------------------------------------------------


@pytest.fixture
def use_detection(monkeypatch):
    """Replace parts of the detection diagnosis registered with logs (logs/hooks.py), for one
    test; the registered one comes back after it."""
    from logs import hooks

    registered = hooks.line_detection()
    assert registered is not None, "diagnosis registers its detection in AppConfig.ready"

    def use(*, detect=None, record=None):
        replacement = hooks.LineDetection(
            detect=detect or registered.detect, record=record or registered.record
        )
        monkeypatch.setattr(hooks, "_detection", replacement)

    return use


def _occurrence(fault_type, row):
    return Occurrence(
        fault_type=fault_type,
        fingerprint=fingerprint_for(fault_type.code, row.host, row.message),
        host=row.host,
        title=row.message[:80],
        seen_at=row.log_time or row.received_at,
        sample=row.raw,
        message=row.message,
        component=row.component,
    )


@pytest.mark.parametrize("consecutive", [True, False], ids=["ids-consecutive", "ids-checked"])
def test_detected_rows_are_linked_by_their_own_ids(
    client, token, monkeypatch, use_detection, consecutive
):
    """The fault records point at exactly the rows detection named, whatever the batch shape,
    whether the database documents a statement's ids as consecutive or they must be checked."""
    from logs import services

    monkeypatch.setattr(services, "_statement_ids_are_consecutive", lambda: consecutive)

    fault_type = FaultType.objects.first()
    seen = []

    def detect(rows):
        seen.append([row.raw for row in rows])
        return [
            (i, _occurrence(fault_type, row)) for i, row in enumerate(rows) if "FAULT" in row.raw
        ]

    use_detection(detect=detect)
    lines = [f"2026-11-28 10:00:{i:02d},000 INFO a.B: line {i}" for i in range(40)]
    for i in (0, 7, 8, 23, 39):
        lines[i] = f"2026-11-28 10:00:{i:02d},000 ERROR a.B: FAULT {i}"
    lines.insert(24, "\tat a.B.c(B.java:1)")  # attached to the FAULT 23 row
    response = post(client, "\n".join(lines), token=token)
    assert response.status_code == 200 and response.json()["rows"] == 40

    stored = list(SystemLog.objects.order_by("id"))
    assert [row.raw for row in stored] == seen[0]  # id order is line order
    records = FaultRecord.objects.all()
    assert records.count() == 5
    for record in records:
        assert "FAULT" in record.first_log.raw
        assert record.first_log.message == record.message
    assert FaultRecord.objects.get(message="FAULT 23").first_log.trace == "\tat a.B.c(B.java:1)"


def test_a_single_detected_line_is_linked_too(client, token, use_detection):
    fault_type = FaultType.objects.first()
    use_detection(detect=lambda rows: [(0, _occurrence(fault_type, rows[0]))])
    post(client, "2026-11-28 10:00:00,000 ERROR a.B: lone", token=token)
    assert FaultRecord.objects.get().first_log == SystemLog.objects.get()


# --- time zone ------------------------------------------------------------------------------


def test_log_time_is_read_in_the_cluster_zone_and_stored_in_utc(client, token, settings):
    settings.CLUSTER_TIME_ZONE = "Asia/Shanghai"
    post(client, LINE, token=token)
    assert SystemLog.objects.get().log_time == datetime(2026, 11, 28, 2, 15, 32, 123000, tzinfo=UTC)


def test_a_revoked_token_is_refused(client):
    from faultportal.api.authentication import clear_token_cache
    from faultportal.services import api_token_revoke

    token, raw = api_token_create(name="old-agent", scopes="ingest")
    api_token_revoke(token=token)
    clear_token_cache()
    assert_error(post(client, LINE, token=raw), 401)


def test_ids_that_do_not_check_out_are_looked_up_by_content(db):
    """The fallback when a statement's ids were not consecutive (MySQL 8's interleaved
    auto-increment under load): each row is found among the request's rows, identical lines
    taking distinct ids in order."""
    from django.utils import timezone

    from logs import services
    from logs.parsing import preprocess_log

    now = timezone.now()
    texts = [
        "2026-11-28 10:00:00,000 ERROR a.B: same",
        "x",
        "2026-11-28 10:00:00,000 ERROR a.B: same",
    ]
    rows = [preprocess_log(t, host="dn01", logtype="hadoop", received_at=now) for t in texts]
    ids = services._insert_rows(rows, [0, 1, 2])
    lowest = min(ids.values())
    looked_up = services._ids_looked_up(rows, [0, 1, 2], lowest, taken=set())
    assert looked_up == ids
    assert len(set(ids.values())) == 3
    assert [SystemLog.objects.get(pk=ids[i]).raw for i in range(3)] == texts
