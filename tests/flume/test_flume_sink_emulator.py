"""The HttpSink emulator behaves as Flume's HttpSink does, against a scripted local HTTP server.

The chain test trusts this emulator to stand for a real agent, so each of Flume's behaviours the
portal's contract depends on is pinned down here.
"""

import dataclasses
import http.server
import threading
import time
from pathlib import Path

import pytest

from flume.render import SHIPPED_CONFIG, render_agent_config
from tests.support.flume_sink import FlumeAgentEmulator, refuse_connections_port

UNIT = 0.01  # one "second" of SinkRunner backoff
JSON_ERROR = b'{"status": 422, "code": "invalid", "detail": "bad line"}'


@dataclasses.dataclass
class Seen:
    method: str
    path: str
    headers: dict
    body: bytes


class ScriptedServer:
    """A loopback HTTP/1.1 server; `respond(n, seen)` -> (status, body[, delay]) or "close"."""

    def __init__(self, respond, port: int = 0):
        self.requests: list[Seen] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_one(self):
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(self.command, self.path, dict(self.headers), self.rfile.read(length))
                server.requests.append(seen)
                answer = respond(len(server.requests) - 1, seen)
                if answer == "close":
                    self.close_connection = True
                    return
                status, body, *rest = answer
                if rest:
                    time.sleep(rest[0])
                self.send_response(status)
                if status in (301, 302, 303, 307):
                    self.send_header("Location", "/api/log/auto-upload/")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET = handle_one

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def bodies(self) -> list[bytes]:
        return [r.body for r in self.requests]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def always(status, body=b'{"accepted": 1}'):
    return lambda n, seen: (status, body)


def agent_for(url: str, path: Path, *, config: str | None = None, **kwargs) -> FlumeAgentEmulator:
    text = render_agent_config(
        config or SHIPPED_CONFIG.read_text(), host="dn01", portal_url=url, token="tok"
    )
    return FlumeAgentEmulator.from_config(
        text, sink="hdfs_portal", path=path, backoff_unit=UNIT, **kwargs
    )


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "hadoop-hdfs-datanode-dn01.log"
    path.write_bytes(b"")
    return path


def append(path: Path, data: bytes):
    with open(path, "ab") as handle:
        handle.write(data)


def test_one_post_per_line_with_the_raw_bytes_and_only_the_jdks_headers(log):
    server = ScriptedServer(always(200))
    try:
        with agent_for(server.url, log) as agent:
            append(log, b"first line\nsecond\r\n\n   \ncaf\xc3\xa9 \xe2\x9c\x93\nhalf a li")
            assert wait_for(lambda: len(server.requests) == 3)
            time.sleep(0.2)
            assert len(server.requests) == 3  # the partial line waits for its newline
            append(log, b"ne\n")
            assert agent.wait_drained(20)
        assert server.bodies() == [b"first line", b"second", "café ✓".encode(), b"half a line"]
        first = server.requests[0]
        assert first.method == "POST"
        assert first.path == "/api/log/auto-upload?host=dn01&logtype=hdfs&token=tok"
        assert set(first.headers) == {
            "Host", "Content-Type", "Accept", "User-Agent", "Connection", "Content-Length",
        }  # fmt: skip
        assert first.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert first.headers["Accept"] == "application/json"
        assert agent.sink.delivered == server.bodies()
        assert agent.source.filtered == 2  # the blank and the whitespace-only line
    finally:
        server.close()


def test_a_4xx_with_a_body_drops_the_line_and_the_next_goes_on(log):
    server = ScriptedServer(
        lambda n, seen: (422, JSON_ERROR) if seen.body == b"bad" else (200, b"{}")
    )
    try:
        with agent_for(server.url, log) as agent:
            append(log, b"ok 1\nbad\nok 2\n")
            assert agent.wait_drained(20)
        assert server.bodies() == [b"ok 1", b"bad", b"ok 2"]
        assert agent.sink.dropped == [(b"bad", 422)]
    finally:
        server.close()


@pytest.mark.parametrize("status", [400, 404, 500])
def test_an_error_with_an_empty_body_is_retried_whatever_the_overrides(log, status):
    server = ScriptedServer(lambda n, seen: (status, b"") if n < 3 else (200, b"{}"))
    try:
        with agent_for(server.url, log) as agent:
            append(log, b"line A\nline B\n")
            assert agent.wait_drained(20)
        # 400 would be dropped with a body; without one it is rolled back, at the head.
        assert server.bodies() == [b"line A"] * 4 + [b"line B"]
        assert [a.outcome for a in agent.sink.attempts[:3]] == [f"empty-body {status}"] * 3
        assert agent.sink.delivered == [b"line A", b"line B"]
    finally:
        server.close()


def test_503_is_retried_with_growing_backoff_until_the_portal_answers_200(log):
    server = ScriptedServer(lambda n, seen: (503, b'{"status": 503}') if n < 7 else (200, b"{}"))
    try:
        agent = agent_for(server.url, log)
        append(log, b"during the outage\n")
        agent.source.start()
        assert wait_for(lambda: len(agent.channel) == 1)
        agent.sink.start()
        assert agent.wait_drained(20)
        agent.stop()
        assert server.bodies() == [b"during the outage"] * 8
        assert agent.sink.sleeps[:7] == [1 * UNIT, 2 * UNIT, 3 * UNIT, 4 * UNIT, 5 * UNIT,
                                         5 * UNIT, 5 * UNIT]  # fmt: skip
        # After the 200 the sink is READY; the next (empty-channel) backoff starts from 1 again.
        assert agent.sink.sleeps[7] == 1 * UNIT
        assert agent.sink.delivered == [b"during the outage"]
    finally:
        server.close()


def test_429_is_retried_because_the_exact_code_beats_the_4XX_class(log):
    server = ScriptedServer(lambda n, seen: (429, b'{"status": 429}') if n < 2 else (200, b"{}"))
    try:
        with agent_for(server.url, log) as agent:
            append(log, b"rate limited\n")
            assert agent.wait_drained(20)
        assert server.bodies() == [b"rate limited"] * 3
        assert agent.sink.dropped == []
    finally:
        server.close()


def test_connection_refused_is_retried_until_the_portal_listens(log):
    port = refuse_connections_port()
    agent = agent_for(f"http://127.0.0.1:{port}", log).start()
    server = None
    try:
        append(log, b"while the portal is down\n")
        assert wait_for(lambda: len(agent.sink.attempts) >= 3)
        assert {a.outcome for a in agent.sink.attempts} == {"ConnectionRefusedError"}
        server = ScriptedServer(always(200), port=port)
        assert agent.wait_drained(20)
        assert server.bodies() == [b"while the portal is down"]
    finally:
        agent.stop()
        if server:
            server.close()


def test_a_read_timeout_resends_the_line_so_the_server_sees_it_twice(log):
    server = ScriptedServer(lambda n, seen: (200, b"{}", 1.0) if n == 0 else (200, b"{}"))
    try:
        agent = agent_for(server.url, log)
        agent.sink.settings = dataclasses.replace(agent.sink.settings, request_timeout_ms=200)
        with agent:
            append(log, b"slow commit\n")
            assert agent.wait_drained(20)
        assert agent.sink.attempts[0].outcome == "TimeoutError"
        assert server.bodies() == [b"slow commit", b"slow commit"]  # at-least-once: a duplicate
        assert agent.sink.delivered == [b"slow commit"]
    finally:
        server.close()


def test_without_the_2XX_overrides_a_delivered_line_is_sent_forever(log):
    bare = "\n".join(
        line
        for line in SHIPPED_CONFIG.read_text().splitlines()
        if not line.startswith("a1.sinks.hdfs_portal.")
        or line.split("=")[0].strip().rsplit(".", 1)[1] in ("type", "channel", "endpoint")
    )
    server = ScriptedServer(always(200))
    try:
        with agent_for(server.url, log, config=bare) as agent:
            append(log, b"line 1\nline 2\n")
            assert wait_for(lambda: len(server.requests) >= 5)
        assert set(server.bodies()) == {b"line 1"}  # line 2 is never reached
        assert agent.sink.delivered == []
    finally:
        server.close()


def test_a_connection_closed_without_an_answer_is_resent_once_by_the_jdk(log):
    server = ScriptedServer(lambda n, seen: "close" if n == 0 else (200, b"{}"))
    try:
        with agent_for(server.url, log) as agent:
            append(log, b"resent by the JDK\n")
            assert agent.wait_drained(20)
        assert server.bodies() == [b"resent by the JDK"] * 2
        assert [a.outcome for a in agent.sink.attempts] == ["200"]  # one sink call
    finally:
        server.close()


def test_a_redirect_turns_the_post_into_a_bodiless_get_and_405_keeps_the_line(log):
    def respond(n, seen):
        if seen.method == "POST":
            return 301, b""
        return 405, b'{"status": 405, "detail": "Method \\"GET\\" not allowed."}'

    server = ScriptedServer(respond)
    try:
        with agent_for(server.url, log) as agent:
            append(log, b"redirected\n")
            assert wait_for(lambda: len(agent.sink.attempts) >= 3)
        get = server.requests[1]
        assert (get.method, get.path, get.body) == ("GET", "/api/log/auto-upload/", b"")
        assert {a.outcome for a in agent.sink.attempts} == {"405"}
        assert agent.sink.dropped == [] and len(agent.channel) == 1  # retried, not lost
    finally:
        server.close()


def test_an_idle_files_partial_last_line_is_sent_after_idle_timeout(log):
    server = ScriptedServer(always(200))
    try:
        with agent_for(server.url, log, idle_timeout=0.3) as agent:
            append(log, b"complete\nno newline yet")
            assert wait_for(lambda: len(server.requests) == 2)
            assert agent.wait_drained(20)
        assert server.bodies() == [b"complete", b"no newline yet"]
    finally:
        server.close()
