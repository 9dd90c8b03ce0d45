"""The Thrift intake as Flume's ThriftSink meets it: frames exactly as ThriftRpcClient writes them
(compact + framed, and binary), rows with host, logtype and source file, a bad-token event, a
resent batch, stack traces of two files whose events interleave, and the server's limits."""

import socket
import ssl
import subprocess
import time

import pytest
from django.db import close_old_connections

from flume.services import thrift_batch_ingest
from flume.thrift_server import Limits, ThriftSourceServer
from flume.thrift_wire import BINARY, COMPACT, Status, encode_call
from logs.models import IngestRequest, SystemLog
from tests.flume import thrift_bytes
from tests.support.thrift_sink import SinkError, ThriftSink, event

TS = "2026-11-28 10:15:{:02d},{:03d}"
NN_LOG = "/var/log/hadoop/hdfs/hadoop-hdfs-namenode-nn01.log"
DN_LOG = "/var/log/hadoop/hdfs/hadoop-hdfs-datanode-nn01.log"


def line(i: int, text: str = "line") -> str:
    stamp = TS.format(i // 1000 % 60, i % 1000)
    return f"{stamp} INFO org.apache.hadoop.hdfs.StateChange: {text} {i:04d}"


def store(events, peer):
    return thrift_batch_ingest(events=events, peer=peer)


@pytest.fixture
def server(transactional_db):
    made = []

    def start(**kwargs):
        limits = kwargs.pop("limits", None) or Limits(frame_timeout=3.0)
        kwargs.setdefault("workers", 4)
        srv = ThriftSourceServer(
            store, port=0, limits=limits, after_call=close_old_connections, **kwargs
        )
        srv.start()
        made.append(srv)
        return srv

    yield start
    for srv in made:
        assert srv.stop(timeout=20)


@pytest.fixture
def token(make_token):
    return make_token("ingest")


def sink_for(srv, protocol=COMPACT, **kwargs) -> ThriftSink:
    return ThriftSink("127.0.0.1", srv.port, protocol=protocol, retry_sleep=0.05, **kwargs)


def rows(**filters):
    return list(
        SystemLog.objects.filter(**filters)
        .order_by("id")
        .values_list("host", "logtype", "source_file", "raw")
    )


def raw_call(port: int, frame: bytes, read: int = 4096, timeout: float = 10) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(frame)
        data = b""
        while True:
            try:
                chunk = sock.recv(read)
            except ConnectionResetError:  # closed with our bytes unread
                return data
            if not chunk:
                return data
            data += chunk
            if len(data) >= 4 and len(data) >= 4 + int.from_bytes(data[:4], "big"):
                return data


# -- the wire, byte for byte ------------------------------------------------------------------
def test_the_load_generator_writes_exactly_what_thriftrpcclient_writes():
    events = [({b"file": NN_LOG.encode()}, b"a line"), ({}, b""), ({b"host": b"10.0.0.7"}, b"x")]
    thrift_events = [
        event(body, **{k.decode(): v.decode() for k, v in headers.items()})
        for headers, body in events
    ]
    for seqid in (1, 2, 300):
        assert encode_call("appendBatch", thrift_events, seqid, COMPACT) == (
            thrift_bytes.compact_call(b"appendBatch", events, seqid)
        )
        assert encode_call("appendBatch", thrift_events, seqid, BINARY) == (
            thrift_bytes.binary_call(b"appendBatch", events, seqid)
        )
    big = [({b"file": b"/f"}, b"%d" % i) for i in range(100)]
    big_events = [event(b, file="/f") for _, b in big]
    assert encode_call("appendBatch", big_events, 7, COMPACT) == (
        thrift_bytes.compact_call(b"appendBatch", big, 7)
    )


@pytest.mark.parametrize(
    ("call", "reply"),
    [
        (thrift_bytes.compact_call, thrift_bytes.compact_reply),
        (thrift_bytes.binary_call, thrift_bytes.binary_reply),
    ],
    ids=["compact", "binary"],
)
def test_a_hand_built_frame_is_stored_and_answered_ok_with_its_sequence_id(
    server, token, call, reply
):
    srv = server()
    host = f"hand-{call.__name__[:6]}"
    events = [
        (
            {b"file": NN_LOG.encode(), b"host": host.encode(), b"token": token.encode()},
            line(i).encode(),
        )
        for i in range(3)
    ]
    answer = raw_call(srv.port, call(b"appendBatch", events, 41))
    assert answer == reply(b"appendBatch", 41, Status.OK)
    assert [r[3] for r in rows(host=host)] == [line(i) for i in range(3)]
    single = [
        ({b"file": NN_LOG.encode(), b"host": host.encode(), b"token": token.encode()}, b"one")
    ]
    assert raw_call(srv.port, call(b"append", single, 5)) == reply(b"append", 5, Status.OK)
    assert rows(host=host)[-1][3] == "one"


@pytest.mark.parametrize("protocol", [COMPACT, BINARY])
def test_a_batch_of_100_with_headers_is_stored_with_host_logtype_and_file(server, token, protocol):
    srv = server()
    sink = sink_for(srv, protocol)
    host = f"dn-{protocol}"
    batch = [
        event(line(i), file=NN_LOG, host=host, token=token, logtype="hdfs") for i in range(100)
    ]
    assert sink.append_batch(batch) == Status.OK
    # the next call on the same connection counts on (sequence id 2)
    assert sink.append_batch(batch[:2]) == Status.OK and sink.seqid == 2
    stored = rows(host=host)
    assert len(stored) == 102
    assert {(h, lt, f) for h, lt, f, _ in stored} == {(host, "hdfs", NN_LOG)}
    assert [r[3] for r in stored[:100]] == [line(i) for i in range(100)]
    assert srv.stats.snapshot()["lines_stored"] == 102


def test_bodies_arrive_byte_exact_and_hostile_text_is_stored_as_text(server, token):
    srv = server()
    host = "dn-bytes"
    bodies = [
        "Ünïcode – ✓ 日本".encode(),
        b"<script>alert(1)</script>",
        b"bad \xff\xfe bytes",
        b"",
        b"x" * 70_000,
    ]
    batch = [event(body, file=NN_LOG, host=host, token=token) for body in bodies]
    assert sink_for(srv).append_batch(batch) == Status.OK
    stored = SystemLog.objects.filter(host=host).order_by("id")
    raws = [row.raw for row in stored]
    assert raws[:2] == ["Ünïcode – ✓ 日本", "<script>alert(1)</script>"]
    assert raws[2] == "bad \ufffd\ufffd bytes" and stored[2].decode_errors == 2
    assert stored[3].truncated and len(raws[3].encode()) <= 64 * 1024
    assert len(raws) == 4  # the empty line (a 0-byte event) is a blank, counted, not a row
    assert srv.stats.snapshot()["blank_events"] == 1


def test_no_host_header_means_the_peer_address_and_the_default_logtype(server, token):
    srv = server()
    assert sink_for(srv).append_batch([event("no headers", token=token)]) == Status.OK
    assert rows(raw="no headers") == [("127.0.0.1", "hadoop", "", "no headers")]


# -- tokens -------------------------------------------------------------------------------------
def test_a_batch_with_one_bad_token_event_stores_the_rest_and_counts_it(server, token, make_token):
    srv = server()
    host = "dn-badtoken"
    read_only = make_token("read")
    batch = [event(line(i), file=NN_LOG, host=host, token=token) for i in range(100)]
    batch[10] = event("wrong token", file=NN_LOG, host=host, token="not-a-token")
    batch[20] = event("no token", file=NN_LOG, host=host)
    batch[30] = event("read scope", file=NN_LOG, host=host, token=read_only)
    assert sink_for(srv).append_batch(batch) == Status.OK  # the sink would resend forever
    stored = [r[3] for r in rows(host=host)]
    assert len(stored) == 97
    assert "wrong token" not in stored and "no token" not in stored and "read scope" not in stored
    assert srv.stats.snapshot()["refused"] == {
        "invalid_token": 1,
        "missing_token": 1,
        "no_ingest_scope": 1,
    }


def test_a_batch_without_any_valid_token_is_failed_and_kept_by_the_agent(server):
    srv = server()
    host = "dn-notoken"
    batch = [event(line(i), file=NN_LOG, host=host, token="revoked") for i in range(5)]
    assert sink_for(srv).append_batch(batch) == Status.FAILED
    assert rows(host=host) == []
    assert srv.stats.snapshot()["refused"] == {"invalid_token": 5}


# -- resends ------------------------------------------------------------------------------------
def offsets(lines: list[str], token: str, host: str, path: str = NN_LOG, start: int = 0):
    out, offset = [], start
    for text in lines:
        out.append(event(text, file=path, host=host, token=token, byteoffset=str(offset)))
        offset += len(text.encode()) + 1
    return out


def test_a_resent_batch_is_stored_once(server, token):
    srv = server()
    host = "dn-resend"
    lines = [line(i) for i in range(100)]
    batch = offsets(lines, token, host)
    sink = sink_for(srv)
    assert sink.append_batch(batch) == Status.OK
    # the OK was lost (later than the sink's request timeout): the sink resends it
    sink.close()
    assert sink.append_batch(batch) == Status.OK
    assert [r[3] for r in rows(host=host)] == lines
    snapshot = srv.stats.snapshot()
    assert snapshot["duplicate_events"] == 100 and snapshot["batches_resent"] == 1


def test_a_resend_that_grew_stores_only_its_new_events(server, token):
    """The sink takes the rolled-back events first, then whatever arrived meanwhile."""
    srv = server()
    host = "dn-grown"
    lines = [line(i) for i in range(5)]
    batch = offsets(lines, token, host)
    sink = sink_for(srv)
    assert sink.append_batch(batch[:2]) == Status.OK
    assert sink.append_batch(batch) == Status.OK
    assert [r[3] for r in rows(host=host)] == lines
    assert srv.stats.snapshot()["duplicate_events"] == 2


def test_identical_lines_at_other_offsets_are_new_lines(server, token):
    srv = server()
    host = "dn-same"
    same = [line(7, "the same text")] * 3
    sink = sink_for(srv)
    assert sink.append_batch(offsets(same[:1], token, host)) == Status.OK
    assert sink.append_batch(offsets(same[1:], token, host, start=42)) == Status.OK
    # without byteoffset headers nothing can tell a resend from a repeated line: stored again
    assert sink.append_batch([event(same[0], file=NN_LOG, host=host, token=token)]) == Status.OK
    assert SystemLog.objects.filter(host=host).count() == 4
    assert (
        not IngestRequest.objects.filter(idempotency_key__startswith="flume-thrift:")
        .filter(accepted=0)
        .exists()
    )


# -- stack traces per file ------------------------------------------------------------------------
TRACE = [
    "2026-11-28 10:15:32,123 ERROR org.apache.hadoop.hdfs.server.datanode.DataNode: {who} failed",
    "java.io.IOException: {who} broke",
    "\tat org.apache.hadoop.hdfs.server.datanode.DataXceiver.run(DataXceiver.java:{n})",
    "\tat java.lang.Thread.run(Thread.java:750)",
]


def test_stack_traces_are_joined_per_file_when_two_files_interleave(server, token):
    srv = server()
    host = "nn01-traces"
    a = [text.format(who="namenode", n=1) for text in TRACE]
    b = [text.format(who="datanode", n=2) for text in TRACE]
    interleaved = []
    for line_a, line_b in zip(a, b, strict=True):  # the sink mixes the files' events
        interleaved.append(event(line_a, file=NN_LOG, host=host, token=token))
        interleaved.append(event(line_b, file=DN_LOG, host=host, token=token))
    assert sink_for(srv).append_batch(interleaved) == Status.OK
    stored = {
        row.source_file: row for row in SystemLog.objects.filter(host=host, is_continuation=False)
    }
    assert set(stored) == {NN_LOG, DN_LOG}
    assert stored[NN_LOG].raw == "\n".join(a)
    assert stored[DN_LOG].raw == "\n".join(b)
    assert SystemLog.objects.filter(host=host).count() == 2


# -- the server ---------------------------------------------------------------------------------
def test_an_idle_connection_is_kept_open(server, token):
    srv = server(limits=Limits(frame_timeout=0.5))
    sink = sink_for(srv)
    assert sink.append_batch([event("before", token=token)]) == Status.OK
    time.sleep(1.5)  # longer than a frame may take: idle is not slow
    assert sink.append_batch([event("after", token=token)]) == Status.OK
    assert sink.seqid == 2


def test_a_slow_or_half_open_client_does_not_hold_the_server(server, token):
    srv = server(limits=Limits(frame_timeout=1.0), workers=1)
    stalled = socket.create_connection(("127.0.0.1", srv.port))
    stalled.sendall(b"\x00\x00\x01\x00\x82")  # a frame header, then nothing more
    try:
        started = time.monotonic()
        assert sink_for(srv).append_batch([event("meanwhile", token=token)]) == Status.OK
        assert time.monotonic() - started < 10
        stalled.settimeout(5)
        assert stalled.recv(10) == b""  # closed after the frame timeout
    finally:
        stalled.close()
    assert srv.stats.snapshot()["frames_timed_out"] == 1


def test_limits_on_frames_batches_and_connections(server, token):
    srv = server(limits=Limits(max_frame_bytes=2048, max_batch_events=10, max_connections=3))
    big = encode_call("appendBatch", [event("x" * 4000, token=token)], 1)
    assert raw_call(srv.port, big) == b""  # closed, nothing answered
    many = [event(f"e{i}", token=token) for i in range(11)]
    assert sink_for(srv).append_batch(many) == Status.FAILED
    assert SystemLog.objects.count() == 0
    held = [sink_for(srv) for _ in range(3)]
    for sink in held:
        sink.connect()
        assert sink.append_batch([event("held", token=token)]) == Status.OK
    extra = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    assert extra.recv(10) == b""  # refused by closing
    extra.close()
    snapshot = srv.stats.snapshot()
    assert snapshot["frames_too_large"] == 1 and snapshot["batches_too_large"] == 1
    assert snapshot["connections_refused"] == 1
    for sink in held:
        sink.close()


def test_garbage_and_unknown_methods(server, token):
    srv = server()
    assert raw_call(srv.port, b"\x00\x00\x00\x05hello") == b""
    unknown = bytearray(thrift_bytes.compact_call(b"append", [({}, b"x")], 1))
    unknown[4 + 4 : 4 + 4 + 6] = b"remove"  # same length, a method the IDL does not have
    answer = raw_call(srv.port, bytes(unknown))
    assert answer[4:6] == b"\x82\x61"  # an EXCEPTION message (type 3), not a hang
    assert srv.stats.snapshot()["frames_malformed"] == 1


def test_tls_as_the_sinks_ssl_option_uses(server, token, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    srv = server(tls=context)
    client = ssl.create_default_context(cafile=str(cert))
    sink = sink_for(srv, tls=client)
    assert sink.append_batch([event("over tls", token=token, host="dn-tls")]) == Status.OK
    assert sink.append_batch([event("again", token=token, host="dn-tls")]) == Status.OK
    assert [r[3] for r in rows(host="dn-tls")] == ["over tls", "again"]
    # a plain-text sink against the TLS port delivers nothing (and is not answered OK)
    with pytest.raises((OSError, SinkError)):
        sink_for(srv).append_batch([event("plain", token=token)])
