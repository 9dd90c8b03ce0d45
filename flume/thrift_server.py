"""A Thrift server for Flume's ThriftSink: framed calls, bounded resources, graceful stop.

One thread waits on the listening socket and on every idle connection at once; when a
connection has a call to read it goes to one of a fixed pool of worker threads, which reads the
whole frame (within `frame_timeout` of its first byte), stores the batch, answers, and hands the
connection back. So an idle connection costs no thread and is kept open as long as the sink
keeps it (a server that closes idle connections costs the sink a failed send and a 5 s sleep
after every quiet spell: docs/flume-facts.md, "The Thrift sink"); a slow or half-open client
holds a worker for at most `frame_timeout` per frame, and TCP keepalive finds dead idle peers.

Limits: frames above `max_frame_bytes` and more than `max_connections` open connections are
refused by closing the connection (the sink retries in 5 s; nothing is lost); a batch of more
than `max_batch_events` events is answered FAILED without storing anything. Both are agent
settings to fix, counted and logged.

stop() (SIGTERM): no new connections or calls; calls already being read or stored are finished
and answered; idle connections are closed; then the workers end.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import selectors
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import DatabaseError, connections

from flume.thrift_wire import FRAME_HEADER, MalformedMessage, Status, decode_call

logger = logging.getLogger("flume.thrift")
SLOW_BATCH_SECONDS = 5.0


@dataclass
class Limits:
    max_connections: int = 256
    max_frame_bytes: int = 32 * 1024 * 1024
    max_batch_events: int = 10_000
    frame_timeout: float = 15.0


@dataclass
class Stats:
    """What the server did since it started; logged every minute while it changes, and at stop."""

    counts: Counter = field(default_factory=Counter)
    refused: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, **counts: int) -> None:
        with self.lock:
            self.counts.update({k: v for k, v in counts.items() if v})

    def add_refused(self, refused: Counter) -> None:
        if refused:
            with self.lock:
                self.refused.update(refused)

    def snapshot(self) -> dict:
        with self.lock:
            counts = dict(sorted(self.counts.items()))
            return {**counts, "refused": dict(sorted(self.refused.items()))}


class _Connection:
    __slots__ = ("sock", "peer", "handshaken", "calls")

    def __init__(self, sock: socket.socket, peer: str, handshaken: bool):
        self.sock = sock
        self.peer = peer
        self.handshaken = handshaken
        self.calls = 0


class _Closed(Exception):
    """The connection ended or must be closed (EOF, timeout, a frame the server refuses)."""


def _keepalive(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for name, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 6)):
        if hasattr(socket, name):
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Handler:
    """The IDL's two methods over `store(events, peer) -> outcome`; see flume/services.py."""

    def __init__(self, store: Callable, stats: Stats, limits: Limits):
        self.store = store
        self.stats = stats
        self.limits = limits
        self.peer = ""

    def append(self, event) -> int:
        return self.appendBatch([event])

    def appendBatch(self, events) -> int:  # noqa: N802 (the IDL's name)
        events = events or []
        if len(events) > self.limits.max_batch_events:
            self.stats.add(batches_failed=1, batches_too_large=1)
            logger.error(
                "%s sent %d events in one batch, above FLUME_THRIFT_MAX_BATCH_EVENTS=%d: "
                "answered FAILED; lower the sink's batch-size",
                self.peer,
                len(events),
                self.limits.max_batch_events,
            )
            return Status.FAILED
        pairs = [(event.headers or {}, event.body or b"") for event in events]
        started = time.monotonic()
        try:
            outcome = self.store(pairs, self.peer)
        except Exception as exc:  # noqa: BLE001 - a database outage or anything else: retry
            outage = isinstance(exc, DatabaseError)
            self.stats.add(batches_failed=1, **{"db_errors" if outage else "errors": 1})
            (logger.warning if outage else logger.exception)(
                "batch of %d events from %s not stored (FAILED, the sink resends it): %s",
                len(events),
                self.peer,
                exc,
            )
            return Status.FAILED
        finally:
            took = time.monotonic() - started
            if took > SLOW_BATCH_SECONDS:  # the sink resends what it waited 20 s for
                self.stats.add(slow_batches=1)
                logger.warning(
                    "batch of %d events from %s took %.1f s", len(events), self.peer, took
                )
        self.stats.add_refused(outcome.refused)
        for warning in outcome.warnings:
            logger.warning("%s: %s", self.peer, warning)
        if not outcome.ok:
            self.stats.add(batches_failed=1, batches_without_token=1)
            logger.warning(
                "batch of %d events from %s: no event has a valid token with the ingest scope "
                "(%s); answered FAILED so the agent keeps its lines until the token is fixed",
                len(events),
                self.peer,
                dict(outcome.refused),
            )
            return Status.FAILED
        self.stats.add(
            batches_ok=1,
            events=len(events),
            lines_stored=outcome.lines_stored,
            duplicate_events=outcome.duplicates,
            blank_events=outcome.blank,
            batches_resent=1 if outcome.duplicates else 0,
        )
        if outcome.refused:
            logger.warning(
                "batch from %s: stored the rest, refused %s", self.peer, dict(outcome.refused)
            )
        return Status.OK


def listen(bind: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((bind, port))
    listener.listen(128)
    return listener


class ThriftSourceServer:
    def __init__(
        self,
        store: Callable,
        *,
        bind: str = "127.0.0.1",
        port: int = 4353,
        workers: int = 8,
        limits: Limits | None = None,
        tls: ssl.SSLContext | None = None,
        after_call: Callable[[], None] | None = None,
        listener: socket.socket | None = None,
    ):
        self.store = store
        self.bind = bind
        self.port = port
        self.workers = workers
        self.limits = limits or Limits()
        self.tls = tls
        self.after_call = after_call
        self.stats = Stats()
        self._listener = listener  # a listening socket shared with other processes, if given
        self._selector = selectors.DefaultSelector()
        self._work: queue.Queue = queue.Queue()
        self._returned: queue.Queue = queue.Queue()
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopping = threading.Event()
        self._open = 0
        self._open_lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> int:
        listener = self._listener or listen(self.bind, self.port)
        listener.setblocking(False)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._selector.register(listener, selectors.EVENT_READ, "listen")
        self._wake_r.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._threads = [threading.Thread(target=self._loop, name="thrift-accept", daemon=True)]
        self._threads += [
            threading.Thread(target=self._worker, name=f"thrift-worker-{i}", daemon=True)
            for i in range(self.workers)
        ]
        for thread in self._threads:
            thread.start()
        return self.port

    def stop(self, timeout: float = 30.0) -> bool:
        """Finish the calls in hand, close everything; True if every worker ended in time."""
        self._stopping.set()
        self._wake()
        deadline = time.monotonic() + timeout
        self._threads[0].join(max(0.0, deadline - time.monotonic()))
        for _ in self._threads[1:]:
            self._work.put(None)
        ended = True
        for thread in self._threads[1:]:
            thread.join(max(0.0, deadline - time.monotonic()))
            ended = ended and not thread.is_alive()
        while True:  # connections handed back after the loop ended
            try:
                self._close(self._returned.get_nowait())
            except queue.Empty:
                break
        return ended

    def log_stats(self) -> None:
        logger.info("thrift intake stats %s", json.dumps(self.stats.snapshot()))

    # -- the selector loop ---------------------------------------------------------------------
    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def _loop(self) -> None:
        while not self._stopping.is_set():
            for key, _ in self._selector.select(timeout=1.0):
                if key.data == "listen":
                    self._accept()
                elif key.data == "wake":
                    with contextlib.suppress(OSError):
                        self._wake_r.recv(4096)
                else:
                    self._selector.unregister(key.fileobj)
                    self._work.put(key.data)
            self._take_back()
        # Stopping: no new connections; idle ones hold no batch and are closed.
        self._selector.unregister(self._listener)
        self._listener.close()
        for key in list(self._selector.get_map().values()):
            if isinstance(key.data, _Connection):
                self._selector.unregister(key.fileobj)
                self._close(key.data)

    def _take_back(self) -> None:
        while True:
            try:
                conn = self._returned.get_nowait()
            except queue.Empty:
                return
            if self._stopping.is_set():
                self._close(conn)
            else:
                self._selector.register(conn.sock, selectors.EVENT_READ, conn)

    def _accept(self) -> None:
        while True:
            try:
                sock, address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                logger.warning("accept failed: %s", exc)
                return
            peer = address[0]
            with self._open_lock:
                full = self._open >= self.limits.max_connections
                if not full:
                    self._open += 1
            if full:
                self.stats.add(connections_refused=1)
                logger.warning(
                    "connection from %s refused: FLUME_THRIFT_MAX_CONNECTIONS=%d are open",
                    peer,
                    self.limits.max_connections,
                )
                sock.close()
                continue
            self.stats.add(connections=1)
            sock.setblocking(True)
            _keepalive(sock)
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
                # The handshake is read by a worker, within the frame timeout.
                self._work.put(_Connection(sock, peer, handshaken=False))
            else:
                self._selector.register(sock, selectors.EVENT_READ, _Connection(sock, peer, True))

    # -- workers -------------------------------------------------------------------------------
    def _worker(self) -> None:
        handler = Handler(self.store, self.stats, self.limits)
        try:
            self._work_loop(handler)
        finally:
            connections.close_all()  # this thread's database connections

    def _work_loop(self, handler: Handler) -> None:
        while True:
            conn = self._work.get()
            if conn is None:
                return
            try:
                if not conn.handshaken:
                    conn.sock.settimeout(self.limits.frame_timeout)
                    conn.sock.do_handshake()
                    conn.handshaken = True
                else:
                    self._serve_one(handler, conn)
            except _Closed:
                self._close(conn)
                continue
            except (OSError, ssl.SSLError) as exc:
                logger.info("connection from %s closed: %s", conn.peer, exc)
                self._close(conn)
                continue
            pending = isinstance(conn.sock, ssl.SSLSocket) and conn.sock.pending()
            if pending and not self._stopping.is_set():
                self._work.put(conn)  # TLS already holds the next call's bytes
            else:
                self._returned.put(conn)
                self._wake()

    def _read(self, conn: _Connection, size: int, deadline: float, first: bool = False) -> bytes:
        data = bytearray()
        while len(data) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stats.add(frames_timed_out=1)
                logger.warning(
                    "%s: frame not complete within %.0f s: closed",
                    conn.peer,
                    self.limits.frame_timeout,
                )
                raise _Closed
            conn.sock.settimeout(remaining)
            try:
                chunk = conn.sock.recv(min(size - len(data), 1 << 20))
            except TimeoutError:
                continue
            if not chunk:
                if not (first and not data):
                    self.stats.add(frames_cut=1)
                raise _Closed  # the peer closed (between calls: the normal end)
            data += chunk
        return bytes(data)

    def _serve_one(self, handler: Handler, conn: _Connection) -> None:
        deadline = time.monotonic() + self.limits.frame_timeout
        (length,) = FRAME_HEADER.unpack(self._read(conn, 4, deadline, first=True))
        if length <= 0 or length > self.limits.max_frame_bytes:
            self.stats.add(frames_too_large=1)
            logger.error(
                "%s: frame of %d bytes refused (FLUME_THRIFT_MAX_FRAME_BYTES=%d): closed; "
                "lower the sink's batch-size",
                conn.peer,
                length,
                self.limits.max_frame_bytes,
            )
            raise _Closed
        payload = self._read(conn, length, deadline)
        handler.peer = conn.peer
        try:
            call = decode_call(handler, payload)
        except MalformedMessage as exc:
            self.stats.add(frames_malformed=1)
            logger.warning("%s: %s: closed", conn.peer, exc)
            raise _Closed from None
        if call.unknown_method:
            self.stats.add(unknown_methods=1)
            reply = call.reply()
        else:
            try:
                reply = call.reply(call.invoke())
            finally:
                if self.after_call is not None:
                    self.after_call()
        conn.calls += 1
        conn.sock.settimeout(self.limits.frame_timeout)
        conn.sock.sendall(reply)

    def _close(self, conn: _Connection) -> None:
        with contextlib.suppress(OSError):
            conn.sock.close()
        with self._open_lock:
            self._open -= 1
