"""A stand-in for a Flume agent (TAILDIR -> channel -> HttpSink) that tests can run in-process.

It behaves as Flume 1.8–1.11 does (HttpSink.java, SinkRunner.java, TaildirSource.java), with its
settings read from a parsed agent configuration by the same code check_flume_config uses:

- one POST per event; the body is the raw line bytes; headers are the JDK's plus Content-Type and
  Accept as configured, nothing custom; connect and read timeouts as configured;
- the answer: status >= 400 with an EMPTY body -> rollback + backoff whatever the overrides say (the
  real sink's NullPointerException path); otherwise rollback/backoff per status, exact code > class
  (`2XX`) > default; connection errors, timeouts and unreadable status lines -> rollback + backoff;
- rollback leaves the event at the head of the channel, so it is the next one sent;
- backoff sleeps min(consecutive backoffs x 1 s, 5 s), and an empty channel counts as a backoff
  (`backoff_unit` scales the second so tests run fast);
- like HttpURLConnection: keep-alive reuse, one silent re-send when the server closes the connection
  without answering, 301/302/303 followed as a GET without body, 307 re-POSTed;
- the source tails a file line by line without the line break (\\n or \\r\\n), holds back a partial
  last line until it is complete (or the file has been idle for idleTimeout), and applies the
  source's regex_filter interceptor (blank lines dropped).

Not emulated: the file channel's durability across a restart of this process (the channel is a
bounded in-memory queue; the portal side is what the tests exercise) and position files.
"""

from __future__ import annotations

import collections
import http.client
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from flume import properties
from flume.agent import agents_from_properties, split_list
from flume.httpsink import HttpSinkSettings

READY, BACKOFF = "READY", "BACKOFF"
MAX_BACKOFF_STEPS = 5  # SinkRunner: maxBackoffSleep 5000 ms / backoffSleepIncrement 1000 ms
JDK_MAX_REDIRECTS = 20
USER_AGENT = "Java/17.0.15"


class Channel:
    """A bounded FIFO with Flume's transaction semantics for one sink: peek, then commit or not."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._events: collections.deque[bytes] = collections.deque()
        self._cond = threading.Condition()

    def put(self, event: bytes, stop: threading.Event) -> bool:
        """Block while full (TAILDIR pauses on ChannelException); False if stopped meanwhile."""
        with self._cond:
            while len(self._events) >= self.capacity:
                if stop.is_set():
                    return False
                self._cond.wait(0.05)
            self._events.append(event)
            return True

    def head(self) -> bytes | None:
        with self._cond:
            return self._events[0] if self._events else None

    def commit_head(self) -> None:
        with self._cond:
            self._events.popleft()
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._events)


@dataclass
class Attempt:
    line: bytes
    outcome: str  # "200", "503", "empty-body 400", "ConnectionRefusedError", …
    committed: bool


class TailingSource(threading.Thread):
    """TAILDIR on one file: whole lines into the channel, a partial last line held back."""

    def __init__(
        self,
        path: Path,
        channel: Channel,
        *,
        exclude_regex: str | None = None,
        include_regex: str | None = None,
        idle_timeout: float = 120.0,
        poll: float = 0.01,
    ):
        super().__init__(daemon=True, name=f"tail {path.name}")
        self.path = Path(path)
        self.channel = channel
        self._exclude = re.compile(exclude_regex) if exclude_regex is not None else None
        self._include = re.compile(include_regex) if include_regex is not None else None
        self.idle_timeout = idle_timeout
        self.poll = poll
        self.offset = 0  # bytes consumed into the channel (complete lines)
        self.stop_event = threading.Event()
        self.filtered = 0

    def run(self) -> None:
        pending = b""
        last_growth = time.monotonic()
        while not self.stop_event.is_set():
            try:
                with open(self.path, "rb") as handle:
                    handle.seek(self.offset + len(pending))
                    data = handle.read()
            except FileNotFoundError:
                data = b""
            if data:
                last_growth = time.monotonic()
                pending += data
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if not self._deliver(line.removesuffix(b"\r"), len(line) + 1):
                        return
            elif pending and time.monotonic() - last_growth > self.idle_timeout:
                # closeTailFiles: an idle file is read to its end, partial last line included.
                if not self._deliver(pending.removesuffix(b"\r"), len(pending)):
                    return
                pending = b""
            else:
                self.stop_event.wait(self.poll)

    def _deliver(self, line: bytes, consumed: int) -> bool:
        text = line.decode("utf-8", "replace")  # the interceptor matches on new String(body)
        dropped = (self._exclude is not None and self._exclude.search(text)) or (
            self._include is not None and not self._include.search(text)
        )
        if dropped:
            self.filtered += 1
        elif not self.channel.put(line, self.stop_event):
            return False
        self.offset += consumed
        return True

    def stop(self) -> None:
        self.stop_event.set()


class _Connection(http.client.HTTPConnection):
    """HttpURLConnection's two timeouts: connect, then read (setReadTimeout)."""

    def __init__(self, host, port, *, connect_timeout: float, read_timeout: float):
        super().__init__(host, port, timeout=connect_timeout)
        self.read_timeout = read_timeout

    def connect(self):
        super().connect()
        self.sock.settimeout(self.read_timeout)


class HttpSinkEmulator(threading.Thread):
    """HttpSink driven by a SinkRunner: one event per POST, rollback/backoff per status."""

    def __init__(
        self,
        settings: HttpSinkSettings,
        channel: Channel,
        *,
        backoff_unit: float = 1.0,
        sleep=None,
    ):
        super().__init__(daemon=True, name="http sink")
        self.settings = settings
        self.channel = channel
        self.backoff_unit = backoff_unit
        self._sleep = sleep
        self.stop_event = threading.Event()
        self.attempts: list[Attempt] = []
        self.sleeps: list[float] = []
        self.delivered: list[bytes] = []  # committed after a 2xx
        self.dropped: list[tuple[bytes, int]] = []  # committed after another status
        self.busy = False  # an event is being sent right now
        self._conn: _Connection | None = None
        self._lock = threading.Lock()

    # -- SinkRunner.PollingRunner ------------------------------------------------------------------
    def run(self) -> None:
        consecutive = 0
        while not self.stop_event.is_set():
            if self.process() == BACKOFF:
                consecutive += 1
                self._backoff(min(consecutive, MAX_BACKOFF_STEPS) * self.backoff_unit)
            else:
                consecutive = 0
        self._close()

    def _backoff(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self._sleep is not None:
            self._sleep(seconds)
        else:
            self.stop_event.wait(seconds)

    def stop(self) -> None:
        self.stop_event.set()

    # -- HttpSink.process --------------------------------------------------------------------------
    def process(self) -> str:
        event = self.channel.head()
        if not event:  # empty channel, or an empty event: committed unsent, BACKOFF
            if event is not None:
                self.channel.commit_head()
            return BACKOFF
        self.busy = True
        try:
            try:
                status, body = self._post(event)
            except (OSError, http.client.HTTPException) as exc:
                self._close()
                return self._record(event, type(exc).__name__, commit=False, status=BACKOFF)
            if status < 100:
                return self._record(event, f"malformed {status}", commit=False, status=BACKOFF)
            if status >= 400 and not body:
                return self._record(event, f"empty-body {status}", commit=False, status=BACKOFF)
            decision = self.settings.decide(status)
            if not decision.rollback and 200 <= status < 300:
                self.delivered.append(event)
            elif not decision.rollback:
                self.dropped.append((event, status))
            return self._record(
                event,
                str(status),
                commit=not decision.rollback,
                status=BACKOFF if decision.backoff else READY,
            )
        finally:
            self.busy = False

    def _record(self, event: bytes, outcome: str, *, commit: bool, status: str) -> str:
        self.attempts.append(Attempt(event, outcome, commit))
        if commit:
            self.channel.commit_head()
        return status

    # -- HttpURLConnection -------------------------------------------------------------------------
    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _post(self, body: bytes) -> tuple[int, bytes]:
        url, method, payload = self.settings.endpoint, "POST", body
        for _ in range(JDK_MAX_REDIRECTS + 1):
            status, headers, answer = self._exchange(url, method, payload)
            location = headers.get("Location")
            if status in (301, 302, 303, 307) and location:
                target = urljoin(url, location)
                if urlsplit(target).scheme != urlsplit(url).scheme:
                    return status, answer  # the JDK does not follow across protocols
                if status != 307:
                    method, payload = "GET", None
                url = target
                continue
            return status, answer
        return status, answer

    def _exchange(self, url: str, method: str, payload: bytes | None):
        parts = urlsplit(url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        for retry in (False, True):
            if self._conn is None or (self._conn.host, self._conn.port) != (
                parts.hostname,
                parts.port or 80,
            ):
                self._close()
                self._conn = _Connection(
                    parts.hostname,
                    parts.port or 80,
                    connect_timeout=self.settings.connect_timeout_ms / 1000,
                    read_timeout=self.settings.request_timeout_ms / 1000,
                )
            conn = self._conn
            try:
                conn.putrequest(method, target, skip_accept_encoding=True)
                if payload is not None:
                    conn.putheader("Content-Type", self.settings.content_type)
                conn.putheader("Accept", self.settings.accept)
                conn.putheader("User-Agent", USER_AGENT)
                conn.putheader("Connection", "keep-alive")
                if payload is not None:
                    conn.putheader("Content-Length", str(len(payload)))
                conn.endheaders(payload)
                response = conn.getresponse()
                answer = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed the connection without an answer: the JDK re-sends once.
                self._close()
                if retry:
                    raise
                continue
            except (OSError, http.client.HTTPException):
                self._close()
                raise
            if response.will_close:
                self._close()
            return response.status, response.headers, answer
        raise AssertionError("unreachable")


@dataclass
class FlumeAgentEmulator:
    """TAILDIR on `path` -> the channel of `sink` -> that HTTP sink, configured from a file."""

    source: TailingSource
    sink: HttpSinkEmulator
    channel: Channel
    path: Path
    _started: bool = field(default=False, init=False)

    @classmethod
    def from_config(
        cls,
        text: str,
        *,
        sink: str,
        path: Path,
        source: str | None = None,
        agent: str | None = None,
        backoff_unit: float = 1.0,
        idle_timeout: float | None = None,
        sleep=None,
    ) -> FlumeAgentEmulator:
        loaded = agents_from_properties(properties.loads(text))
        conf = loaded.agents[agent] if agent else next(iter(loaded.agents.values()))
        sink_conf = conf.component("sinks", sink)
        channel_name = sink_conf.keys["channel"]
        channel_conf = conf.component("channels", channel_name)
        capacity = int(channel_conf.keys.get("capacity", "1000000"))
        feeding = [
            name
            for name in conf.listed("sources")
            if channel_name in split_list(conf.component("sources", name).keys.get("channels"))
        ]
        source_conf = conf.component("sources", source or feeding[0])
        exclude = include = None
        for name in split_list(source_conf.keys.get("interceptors")):
            sub = source_conf.sub(f"interceptors.{name}.")
            if sub.get("type", "").lower() == "regex_filter":
                regex = sub.get("regex", ".*")
                if sub.get("excludeEvents", "false").strip().lower() == "true":
                    exclude = regex
                else:
                    include = regex
        if idle_timeout is None:
            idle_timeout = int(source_conf.keys.get("idleTimeout", "120000")) / 1000
        channel = Channel(capacity)
        return cls(
            source=TailingSource(
                path,
                channel,
                exclude_regex=exclude,
                include_regex=include,
                idle_timeout=idle_timeout,
            ),
            sink=HttpSinkEmulator(
                HttpSinkSettings.from_keys(sink_conf.keys),
                channel,
                backoff_unit=backoff_unit,
                sleep=sleep,
            ),
            channel=channel,
            path=Path(path),
        )

    def start(self) -> FlumeAgentEmulator:
        self.source.start()
        self.sink.start()
        self._started = True
        return self

    def stop(self) -> None:
        self.source.stop()
        self.sink.stop()
        self.source.join(10)
        self.sink.join(30)

    def drained(self) -> bool:
        """Everything written so far (whole lines) has been read, sent and committed."""
        size = self.path.stat().st_size if self.path.exists() else 0
        return self.source.offset >= size and len(self.channel) == 0 and not self.sink.busy

    def wait_drained(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.drained():
                time.sleep(0.05)
                if self.drained():
                    return True
            time.sleep(0.05)
        return False

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def refuse_connections_port() -> int:
    """A loopback port nothing listens on (connection refused), for connection-error tests."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
