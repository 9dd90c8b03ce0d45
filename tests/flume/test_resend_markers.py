"""The resend check without a lookup: each committed batch's marker (its first event) makes a
resend clash on insert; other batches are stored without reading ingest_requests first. Keys a
version without markers committed are still matched while the resend window lasts."""

import pytest

import flume.services as services
from flume.services import FIRST_EVENT_PREFIX, KEY_PREFIX, thrift_batch_ingest
from logs.models import IngestRequest, SystemLog

NN_LOG = "/var/log/hadoop/hdfs/hadoop-hdfs-namenode-nn01.log"


def batch(token: str, host: str, first: int, count: int):
    events, offset = [], 0
    for i in range(count):
        body = f"2026-11-28 10:15:32,{i % 1000:03d} INFO o.a.h.StateChange: line {i}".encode()
        if i >= first:
            headers = {"token": token, "host": host, "file": NN_LOG, "byteoffset": str(offset)}
            events.append((headers, body))
        offset += len(body) + 1
    return events


@pytest.fixture
def token(make_token):
    return make_token("ingest")


@pytest.fixture(autouse=True)
def fresh_lookup_state():
    services._lookup_all_until.clear()
    yield
    services._lookup_all_until.clear()


def test_a_batch_leaves_its_key_and_one_marker_and_a_resend_is_stored_once(db, token):
    first = thrift_batch_ingest(events=batch(token, "dn-m1", 0, 50), peer="10.0.0.1")
    assert (first.lines_stored, first.duplicates) == (50, 0)
    keys = set(IngestRequest.objects.values_list("idempotency_key", flat=True))
    assert sum(k.startswith(KEY_PREFIX) for k in keys) == 1
    assert sum(k.startswith(FIRST_EVENT_PREFIX) for k in keys) == 1
    # the OK was lost; the sink resends the batch grown by events that arrived meanwhile
    again = thrift_batch_ingest(events=batch(token, "dn-m1", 0, 80), peer="10.0.0.1")
    assert (again.lines_stored, again.duplicates) == (30, 50)
    assert SystemLog.objects.filter(host="dn-m1").count() == 80
    assert IngestRequest.objects.filter(idempotency_key__startswith=FIRST_EVENT_PREFIX).count() == 1


def test_a_key_committed_without_a_marker_is_still_matched(db, token):
    # As a version before markers left it: the key alone.
    thrift_batch_ingest(events=batch(token, "dn-m2", 0, 40), peer="10.0.0.1")
    IngestRequest.objects.filter(idempotency_key__startswith=FIRST_EVENT_PREFIX).delete()
    services._lookup_all_until.clear()  # a process started after the upgrade
    again = thrift_batch_ingest(events=batch(token, "dn-m2", 0, 60), peer="10.0.0.1")
    assert (again.lines_stored, again.duplicates) == (20, 40)
    assert SystemLog.objects.filter(host="dn-m2").count() == 60


def test_refusals_are_counted_once_when_a_marker_clash_sends_the_batch_to_the_lookup(db, token):
    events = batch(token, "dn-m3", 0, 10)
    thrift_batch_ingest(events=events, peer="10.0.0.1")
    bad_host = [({**events[0][0], "host": "bad host!"}, events[0][1])]
    resent = events + [({**h, "byteoffset": str(9000 + i)}, b) for i, (h, b) in enumerate(bad_host)]
    again = thrift_batch_ingest(events=resent, peer="10.0.0.1")
    assert again.duplicates == 10
    assert dict(again.refused) == {"invalid_host": 1}
