"""Real receivers on loopback for notification tests: an SMTP server (aiosmtpd) and an HTTP
server standing in for a webhook and for Alertmanager's /api/v2/alerts."""

import email
import email.policy
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.server import free_port


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    at: float = field(default_factory=time.monotonic)

    @property
    def json(self):
        return json.loads(self.body)


class HttpReceiver:
    """Records every POST. `statuses` answers the first requests with those codes (then 200);
    `on_request(received)` runs before the answer (e.g. to kill the sender)."""

    def __init__(self):
        self.requests: list[Received] = []
        self.statuses: list[int] = []
        self.on_request = None
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                received = Received(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                with receiver._lock:
                    receiver.requests.append(received)
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                hook = receiver.on_request
                if hook is not None:
                    hook(received)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b"{}" if status < 300 else b'{"error": "try later"}')
                except OSError:
                    pass  # the sender is gone (killed): what it sent is still received

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.url = f"127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def posts(self, path_prefix: str = "") -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(path_prefix)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class SmtpReceiver:
    """An SMTP server on loopback (aiosmtpd); `messages` holds the parsed e-mails."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list[email.message.EmailMessage] = []
        receiver = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's)
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                receiver.messages.append(message)
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def mailto(self, to: str = "oncall@example.com") -> str:
        """An apprise URL sending plain SMTP (no TLS, no login) to this server."""
        return f"mailto://127.0.0.1:{self.port}?from=portal@example.com&to={to}&mode=insecure"

    def close(self):
        self.controller.stop()


def html_part(message) -> str:
    part = message.get_body(preferencelist=("html",))
    return part.get_content() if part is not None else ""


def wait_for(predicate, what: str, timeout: float = 30.0, every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(every)
