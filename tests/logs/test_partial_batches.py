"""A JSON batch with some invalid events stores the valid ones and says which were refused."""

import json

import pytest

from logs.models import SystemLog

pytestmark = pytest.mark.django_db

URL = "/api/log/auto-upload"
TS = "2026-11-28 10:15:32,123"


def events(bad_at: dict[int, dict], count: int = 20) -> bytes:
    batch = [
        {"headers": {"host": "dn01"}, "body": f"{TS} INFO org.apache.X: line {n}"}
        for n in range(count)
    ]
    for index, event in bad_at.items():
        batch[index] = event
    return json.dumps(batch).encode()


def post(client, body: bytes, **headers):
    return client.post(f"{URL}?host=dn09", body, content_type="application/json", **headers)


def test_nineteen_good_events_are_stored_and_the_numeric_body_is_refused(token_client):
    client = token_client("ingest")
    response = post(client, events({7: {"headers": {"host": "dn01"}, "body": 42}}))
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["accepted"] == 19 and answer["rows"] == 19
    assert answer["refused_events"] == 1
    assert answer["refused"] == [
        {"event": 7, "reason": "Event 7: 'body' must be a string (the log line)."}
    ]
    stored = set(SystemLog.objects.filter(host="dn01").values_list("message", flat=True))
    assert len(stored) == 19 and "line 7" not in stored and "line 8" in stored


def test_every_kind_of_bad_event_is_named_with_its_reason(token_client):
    client = token_client("ingest")
    bad = {
        0: "not an object",
        3: {"headers": ["host", "dn01"], "body": "x"},
        5: {"headers": {"host": {"nested": 1}}, "body": "x"},
    }
    answer = post(client, events(bad, count=6)).json()
    assert [r["event"] for r in answer["refused"]] == [0, 3, 5]
    assert "not an object" in answer["refused"][0]["reason"]
    assert "'headers' must be an object" in answer["refused"][1]["reason"]
    assert "header 'host' must be a string" in answer["refused"][2]["reason"]
    assert answer["accepted"] == 3


def test_a_retry_with_the_same_key_stores_nothing_and_answers_the_same(token_client):
    client = token_client("ingest")
    body = events({2: {"body": None, "headers": "x"}})
    first = post(client, body, HTTP_IDEMPOTENCY_KEY="batch-1").json()
    again = post(client, body, HTTP_IDEMPOTENCY_KEY="batch-1").json()
    assert again["replayed"] is True
    assert again["refused"] == first["refused"] and again["accepted"] == first["accepted"] == 19
    assert SystemLog.objects.filter(host="dn01").count() == 19


def test_a_batch_with_no_usable_event_is_a_400_that_says_why(token_client):
    client = token_client("ingest")
    response = post(client, json.dumps([{"body": 1}, 7, {"body": ["x"]}]).encode())
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "parse_error"
    assert "3 refused" in body["detail"] and "Event 0: 'body' must be a string" in body["detail"]
    assert not SystemLog.objects.exists()


def test_a_body_that_is_not_an_event_array_is_still_a_400(token_client):
    client = token_client("ingest")
    assert post(client, b'{"body": "x"}').status_code == 400
    assert post(client, b"[{").status_code == 400
