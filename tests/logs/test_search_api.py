"""GET /api/logs and GET /api/logs/{id}/context over HTTP (DRF's client): scope, filters, cursor
pages while lines arrive, live tail, context, and bad input answered 400 in the API's format."""

from datetime import timedelta

import pytest
from django.utils import timezone

from logs.models import SystemLog
from tests.logs.test_search import NOW, store_lines

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reader(token_client):
    return token_client("read")


def line(**fields) -> SystemLog:
    fields.setdefault("host", "dn01")
    fields.setdefault("level", "INFO")
    fields.setdefault("logtype", "hdfs")
    fields.setdefault("log_time", timezone.now())
    fields.setdefault("raw", fields.get("message", ""))
    return SystemLog.objects.create(received_at=timezone.now(), **fields)


def test_search_answers_lines_with_their_trace_newest_first(reader):
    ids = store_lines()
    answer = reader.get("/api/logs", {"q": "NoRouteTo*"})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert [row["id"] for row in body["lines"]] == [ids["trace"]]
    found = body["lines"][0]
    assert found["message"] == "Exception in createBlockOutputStream"
    assert found["trace"].startswith("java.net.NoRouteToHostException: No route to host\n\tat ")
    assert found["host"] == "dn05" and found["level"] == "ERROR" and found["logtype"] == "hdfs"
    assert body["next_cursor"] is None and body["partial"] is False

    body = reader.get("/api/logs", {"q": "50010", "host": "dn0*", "level": "ERROR"}).json()
    assert [row["id"] for row in body["lines"]] == [ids["ip_near"]]
    body = reader.get("/api/logs", {"q": "createBlockOutputStream", "since": "7d"}).json()
    assert [row["id"] for row in body["lines"]] == [ids["trace"], ids["old"]]  # newest first
    frm = (NOW - timedelta(days=4)).isoformat()
    to = (NOW - timedelta(days=2)).isoformat()
    body = reader.get("/api/logs", {"q": "createBlockOutputStream", "from": frm, "to": to}).json()
    assert [row["id"] for row in body["lines"]] == [ids["old"]]


def test_cursor_pages_stay_stable_while_lines_are_posted(reader, make_token, client):
    start = timezone.now() - timedelta(minutes=30)
    for k in range(25):
        line(message=f"Scheduling blk_{k}_1001 for deletion", log_time=start + timedelta(seconds=k))
    ingest = make_token("ingest")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"q": "Scheduling", "limit": 10, **({"cursor": cursor} if cursor else {})}
        body = reader.get("/api/logs", params).json()
        seen += [row["message"] for row in body["lines"]]
        pages += 1
        # Lines posted between pages, through the ingest API, newer than everything above.
        posted = client.post(
            f"/api/log/auto-upload?host=dn01&logtype=hdfs&token={ingest}",
            data=f"{timezone.now():%Y-%m-%d %H:%M:%S},000 INFO org.apache.hadoop.Test: "
            f"Scheduling blk_new{pages}_1 for deletion",
            content_type="text/plain",
        )
        assert posted.status_code == 200, posted.content
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [f"Scheduling blk_{k}_1001 for deletion" for k in reversed(range(25))]
    # A new search sees the posted lines first.
    body = reader.get("/api/logs", {"q": "Scheduling", "limit": 3}).json()
    assert [row["message"] for row in body["lines"]] == [
        f"Scheduling blk_new{k}_1 for deletion" for k in (3, 2, 1)
    ]


def test_live_tail_returns_only_new_matching_lines_oldest_first(reader):
    line(message="before the tail: NoRouteToHostException")
    first = reader.get("/api/logs", {"q": "NoRouteTo*", "host": "dn01", "tail_after": 0}).json()
    assert [row["message"] for row in first["lines"]] == ["before the tail: NoRouteToHostException"]
    mark = first["tail_after"]
    assert reader.get("/api/logs", {"q": "NoRouteTo*", "tail_after": mark}).json()["lines"] == []
    line(message="NoRouteToHostException one")
    line(message="unrelated")
    line(message="NoRouteToHostException elsewhere", host="dn02")
    line(message="NoRouteToHostException two")
    body = reader.get("/api/logs", {"q": "NoRouteTo*", "host": "dn01", "tail_after": mark}).json()
    assert [row["message"] for row in body["lines"]] == [
        "NoRouteToHostException one",
        "NoRouteToHostException two",
    ]
    again = reader.get(
        "/api/logs", {"q": "NoRouteTo*", "host": "dn01", "tail_after": body["tail_after"]}
    )
    assert again.json()["lines"] == []


def test_context_gives_the_neighbours_of_a_line(reader):
    start = timezone.now() - timedelta(minutes=10)
    rows = [
        line(
            host="dn03",
            source_file="/var/log/dn.log",
            message=f"line {k}",
            log_time=start + timedelta(seconds=k),
        )
        for k in range(10)
    ]
    line(host="dn03", source_file="/var/log/other.log", message="other stream", log_time=start)
    answer = reader.get(f"/api/logs/{rows[5].id}/context", {"before": 2, "after": 3})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["line"]["message"] == "line 5"
    assert [row["message"] for row in body["before"]] == ["line 3", "line 4"]
    assert [row["message"] for row in body["after"]] == ["line 6", "line 7", "line 8"]
    default = reader.get(f"/api/logs/{rows[5].id}/context").json()
    assert len(default["before"]) == 5 and len(default["after"]) == 4
    missing = reader.get("/api/logs/999999999/context")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "params, field",
    [
        ({"q": '"unclosed'}, "q"),
        ({"q": "-only"}, "q"),
        ({"q": "a*b"}, "q"),
        ({"q": "x" * 2000}, "q"),
        ({"q": "nul\x00"}, "q"),
        ({"level": "LOUD"}, "level"),
        ({"since": "yesterday"}, "since"),
        ({"since": "0m"}, "since"),
        ({"from": "not a time"}, "from"),
        ({"from": "2026-11-28T10:00:00Z", "to": "2026-11-28T09:00:00Z"}, "to"),
        ({"cursor": "garbage!"}, "cursor"),
        ({"cursor": "MjAyNi0xMS0yOFQxMDowMDowMCswMDowMHxhYmM"}, "cursor"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"tail_after": "-1"}, "tail_after"),
        ({"host": "h" * 600}, "host"),
    ],
)
def test_bad_queries_are_answered_400_in_json(reader, params, field):
    answer = reader.get("/api/logs", params)
    assert answer.status_code == 400, answer.content
    body = answer.json()
    assert body["status"] == 400 and body["code"] == "invalid"
    assert field in body["fields"], body


def test_context_limits_are_checked(reader):
    row = line(message="x")
    answer = reader.get(f"/api/logs/{row.id}/context", {"before": 501})
    assert answer.status_code == 400 and "before" in answer.json()["fields"]


def test_search_needs_the_read_scope(token_client, client):
    assert client.get("/api/logs").status_code == 401
    answer = token_client("ingest").get("/api/logs")
    assert answer.status_code == 403
    assert "read" in answer.json()["detail"]


def test_the_endpoints_are_in_the_openapi_schema(reader):
    schema = reader.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    search = schema["paths"]["/api/logs"]["get"]
    names = {parameter["name"] for parameter in search["parameters"]}
    assert {
        "q",
        "host",
        "level",
        "logtype",
        "source_file",
        "since",
        "from",
        "to",
        "cursor",
        "limit",
        "tail_after",
    } <= names
    assert "400" in search["responses"]
    assert "/api/logs/{id}/context" in schema["paths"]


def test_hostile_text_is_returned_as_data(reader):
    text = "<script>alert(1)</script> <img src=x onerror=alert(2)>"
    line(message=text)
    body = reader.get("/api/logs", {"q": "onerror=alert(2)"}).json()
    assert [row["message"] for row in body["lines"]] == [text]


def test_a_search_stopped_at_its_time_limit_is_a_503_that_says_what_to_do(
    reader, on_mariadb, monkeypatch
):
    from logs import selectors
    from tests.logs.test_search import filler

    line(message="NoRouteToHostException")
    filler(5000)
    monkeypatch.setattr(selectors, "SEARCH_STATEMENT_SECONDS", 0.000001)
    answer = reader.get("/api/logs", {"q": "NoRouteTo*"})
    assert answer.status_code == 503
    assert answer.json()["code"] == "search_timeout"
    assert "shorter range" in answer.json()["detail"]
