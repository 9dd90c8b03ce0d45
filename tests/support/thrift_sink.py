"""A stand-in for Flume's ThriftSink + ThriftRpcClient, for tests and the benchmark.

As Flume 1.11's sink behaves (docs/flume-facts.md, "The Thrift sink"): `appendBatch` of up to
`batch_size` events with their headers, over a framed transport in the compact protocol (or
binary), one call outstanding per sink, sequence ids 1, 2, 3 … per connection, the reply's
sequence id checked; any status but OK, a timeout or a dropped connection: close the
connection, sleep (5 s in Flume; `retry_sleep` here), reconnect and resend the whole batch.
"""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass, field

from flume.thrift_wire import (
    COMPACT,
    FRAME_HEADER,
    Status,
    ThriftFlumeEvent,
    decode_reply,
    encode_call,
)


class SinkError(Exception):
    pass


def event(body: bytes | str, **headers: str) -> ThriftFlumeEvent:
    if isinstance(body, str):
        body = body.encode()
    return ThriftFlumeEvent(headers=dict(headers), body=body)


def _read_exact(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise SinkError("Socket is closed by peer")  # what libthrift reports
        data += chunk
    return bytes(data)


@dataclass
class ThriftSink:
    host: str
    port: int
    protocol: str = COMPACT
    request_timeout: float = 20.0
    retry_sleep: float = 5.0
    tls: ssl.SSLContext | None = None
    sock: socket.socket | None = None
    seqid: int = 0
    attempts: list = field(default_factory=list)  # (seqid, status or error) per call

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=self.request_timeout)
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        self.sock = sock
        self.seqid = 0

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    def call(self, method: str, events, *, raw: bytes | None = None) -> int:
        """One call and its answer; raises SinkError (or OSError) as libthrift would."""
        if self.sock is None:
            self.connect()
        self.seqid += 1
        frame = raw if raw is not None else encode_call(method, events, self.seqid, self.protocol)
        self.sock.sendall(frame)
        (length,) = FRAME_HEADER.unpack(_read_exact(self.sock, 4))
        seqid, status = decode_reply(_read_exact(self.sock, length))
        if seqid != self.seqid:
            raise SinkError(f"{method} failed: out of sequence response ({seqid} != {self.seqid})")
        if status is None:
            raise SinkError(f"{method} answered with an exception")
        return status

    def append_batch(self, events) -> int:
        return self.call("appendBatch", events)

    def deliver(self, events, *, give_up_after: float = 120.0) -> int:
        """Send until OK, as the sink does; returns the number of attempts."""
        deadline = time.monotonic() + give_up_after
        attempts = 0
        while True:
            attempts += 1
            try:
                status = self.append_batch(events)
                self.attempts.append((self.seqid, status))
                if status == Status.OK:
                    return attempts
            except (OSError, SinkError) as exc:
                self.attempts.append((self.seqid, repr(exc)))
            self.close()  # the sink drops the connection after any failure
            if time.monotonic() > deadline:
                raise SinkError(f"not delivered after {attempts} attempts: {self.attempts[-3:]}")
            time.sleep(self.retry_sleep)
