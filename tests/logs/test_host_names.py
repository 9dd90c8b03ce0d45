"""Host names at ingest: RFC 1123 names and IP addresses are stored; anything else is refused with
a reason (400 on the upload, one refused event in a JSON batch, a counted refusal on Thrift)."""

import json

import pytest

from flume.services import thrift_batch_ingest
from logs.hostnames import host_name_problem
from logs.models import SystemLog

pytestmark = pytest.mark.django_db

URL = "/api/log/auto-upload"
LINE = b"2026-11-28 10:15:32,123 INFO org.apache.X: hello"

GOOD = [
    "dn01",
    "DN01.hdp.Example.COM",
    "dn01.hdp.example.com.",  # the root's trailing dot
    "3com.example",  # RFC 1123 lets a label start with a digit
    "a-b--c.example",
    "x" * 63 + ".example",
    ".".join(["a" * 61] * 4),  # 247 characters
    "10.0.3.68",
    "::1",
    "2001:db8::7",
    "fe80::1%eth0",
    "::ffff:10.0.0.1",
]
BAD = [
    "../../admin/auth/user/add",
    "dn01/x",
    "<b>dn01</b>",
    "dn 01",
    "dn_01",
    "-dn01",
    "dn01-",
    "dn01..example",
    ".dn01",
    "x" * 64,
    ".".join(["a" * 63] * 4),  # 255 characters
    "999.1.1.1",
    "10.0.0.1%eth0",  # IPv4 has no zone
    "[::1]",
    "dn01:8020",
    "dn\u00e901",
    "dn01\r\nX: 1",
]


@pytest.mark.parametrize("host", GOOD)
def test_names_and_addresses_are_host_names(host):
    assert host_name_problem(host) is None


@pytest.mark.parametrize("host", BAD)
def test_other_text_is_not_a_host_name_and_says_why(host):
    problem = host_name_problem(host)
    assert problem and ("host" in problem)


def _post(client, body, query, content_type="text/plain"):
    return client.post(f"{URL}?{query}", body, content_type=content_type)


@pytest.mark.parametrize("host", ["dn01.hdp.example.com", "10.0.3.68", "2001:db8::7"])
def test_a_valid_host_is_stored(token_client, host):
    client = token_client("ingest")
    response = _post(client, LINE, f"host={host}")
    assert response.status_code == 200, response.content
    assert SystemLog.objects.get().host == host


def test_a_path_as_host_is_400_with_a_reason_and_nothing_is_stored(token_client):
    client = token_client("ingest")
    response = _post(client, LINE, "host=..%2F..%2Fadmin%2Fauth%2Fuser%2Fadd")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_host"
    assert "../../admin/auth/user/add" in body["detail"] and "RFC 1123" in body["detail"]
    assert not SystemLog.objects.exists()


def test_an_unresolved_variable_still_falls_back_to_the_peer_address(token_client):
    # Not a host name either, but a config mistake the portal names (docs/ingestion.md).
    response = _post(token_client("ingest"), LINE, "host=${env:FLUME_HOST}")
    assert response.status_code == 200
    assert SystemLog.objects.get().host == "127.0.0.1"


def test_a_bad_event_host_refuses_that_event_only(token_client):
    batch = [
        {"headers": {"host": "dn01"}, "body": "first"},
        {"headers": {"host": "../../admin"}, "body": "bad host"},
        {"headers": {"host": "dn_02"}, "body": "underscore"},
        {"headers": {"host": "2001:db8::9"}, "body": "v6"},
    ]
    response = _post(
        token_client("ingest"), json.dumps(batch), "host=dn09", content_type="application/json"
    )
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["accepted"] == 2 and answer["refused_events"] == 2
    assert [r["event"] for r in answer["refused"]] == [1, 2]
    assert "'../../admin' is not a host name" in answer["refused"][0]["reason"]
    stored = dict(SystemLog.objects.values_list("raw", "host"))
    assert stored == {"first": "dn01", "v6": "2001:db8::9"}


def test_a_batch_of_only_bad_hosts_is_400(token_client):
    batch = [{"headers": {"host": "a/b"}, "body": "x"}, {"headers": {"host": "<i>"}, "body": "y"}]
    response = _post(
        token_client("ingest"), json.dumps(batch), "host=dn09", content_type="application/json"
    )
    assert response.status_code == 400
    assert "is not a host name" in response.json()["detail"]
    assert not SystemLog.objects.exists()


def test_the_thrift_intake_refuses_bad_host_events_and_stores_the_rest(make_token):
    token = make_token("ingest")
    events = [
        ({"token": token, "host": "dn01", "file": "/var/log/a.log"}, b"good"),
        ({"token": token, "host": "../../admin", "file": "/var/log/a.log"}, b"path"),
        ({"token": token, "host": b"dn 03", "file": "/var/log/a.log"}, b"space"),
    ]
    outcome = thrift_batch_ingest(events=events, peer="10.0.0.5")
    assert outcome.ok and outcome.lines_stored == 1
    assert outcome.refused == {"invalid_host": 2}
    assert any("is not a host name" in warning for warning in outcome.warnings)
    assert list(SystemLog.objects.values_list("raw", "host")) == [("good", "dn01")]
