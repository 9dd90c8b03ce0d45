"""Slow HTTP clients: connections that send a request's headers and then no body, or its body
one byte a second, and reconnect whenever the server closes them (an attacker keeps at it).

Used by tests/deploy/test_nginx_front.py and bench/slow_clients.py.
"""

import socket
import threading
import time

MODES = ("no-body", "drip-body")


def request_head(path: str, body_length: int, host: str = "127.0.0.1") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {body_length}\r\n\r\n"
    ).encode()


class SlowClients:
    """`count` connections to (host, port), each in its own thread, until stop()."""

    def __init__(self, address: tuple[str, int], path: str, count: int, mode: str = "no-body"):
        assert mode in MODES, mode
        self.address = address
        self.path = path
        self.count = count
        self.mode = mode
        self.stopped = threading.Event()
        self.connections = 0  # opened so far (reconnects included)
        self.open = 0  # open right now
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(count)]

    def _one_connection(self) -> None:
        with socket.create_connection(self.address, timeout=5) as sock:
            with self._lock:
                self.connections += 1
                self.open += 1
            try:
                sock.sendall(request_head(self.path, 1_000_000))
                while not self.stopped.is_set():
                    if self.mode == "drip-body":
                        sock.sendall(b"x")
                    # A closed connection (the server's timeout) reads as b"" or an error.
                    sock.settimeout(1.0)
                    try:
                        if sock.recv(4096) == b"":
                            return
                    except TimeoutError:
                        continue
                    return  # an answer (408 …): the server let go; reconnect
            finally:
                with self._lock:
                    self.open -= 1

    def _run(self) -> None:
        while not self.stopped.is_set():
            try:
                self._one_connection()
            except OSError:
                time.sleep(0.05)

    def start(self, settle: float = 1.0) -> "SlowClients":
        for thread in self._threads:
            thread.start()
        deadline = time.monotonic() + 10
        while self.open < self.count and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(settle)  # the server has taken them in
        return self

    def stop(self) -> None:
        self.stopped.set()
        for thread in self._threads:
            thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
