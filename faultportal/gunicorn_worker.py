"""gunicorn's gthread worker with a deadline on reading each request (headers and body).

gthread gives a connection a thread from the first byte of a request until its answer is sent,
and reads the headers and the body in that thread with no time limit: a client that sends its
headers and then nothing (or one byte a second) holds a thread as long as it likes, and
threads × workers such clients stop the portal (issue 17). gunicorn itself only bounds the wait
for a connection's *first* byte (5 s, then the connection waits in the poller without a thread).

This worker bounds the rest: from the moment a thread starts reading a request, its headers and
body must have arrived within GUNICORN_READ_TIMEOUT seconds (gunicorn.conf.py), or the read
fails: gunicorn answers a request whose headers did not arrive with an error and closes the
connection; a body that did not arrive is answered 408 by the ingest endpoint
(logs/api/parsers.py). Writing the answer is not bounded here (the kernel's send buffer takes
a small JSON answer at once).

What it cannot do (docs/deployment.md, "Slow clients"): a client that keeps reconnecting still
holds one thread per connection while it reads; threads × workers of them at once still starve
the portal, for as long as they keep at it. Only a front that buffers whole requests before it
passes them on (nginx, deploy/nginx/) makes slow clients cost no thread at all.
"""

import errno
import os
import time

from gunicorn.workers import gthread


class _DeadlineSocket:
    """A client socket whose recv() fails once the current request's read deadline has passed."""

    __slots__ = ("_sock", "deadline")

    def __init__(self, sock):
        self._sock = sock
        self.deadline: float | None = None

    def __getattr__(self, name):
        return getattr(self._sock, name)

    def recv(self, size, *flags):
        if self.deadline is None:
            return self._sock.recv(size, *flags)
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(errno.ETIMEDOUT, "request not received within the read timeout")
        prior = self._sock.gettimeout()  # None (blocking), or a drain's own bound
        self._sock.settimeout(remaining if prior is None else min(prior, remaining))
        try:
            return self._sock.recv(size, *flags)
        finally:
            self._sock.settimeout(prior)


def read_timeout() -> float:
    """GUNICORN_READ_TIMEOUT: seconds for a request's headers and body to arrive (default 10)."""
    return float(os.environ.get("GUNICORN_READ_TIMEOUT", "") or 10)


class _DeadlineConn(gthread.TConn):
    read_timeout = 10.0

    def init(self):
        # Called by the worker thread before it reads each request on this connection (the
        # first, and each kept-alive one): the deadline runs from here.
        self.sock.deadline = time.monotonic() + self.read_timeout
        super().init()


class ReadDeadlineThreadWorker(gthread.ThreadWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _DeadlineConn.read_timeout = read_timeout()

    def accept(self, listener):
        """gthread's accept, with the socket wrapped and the deadline-aware connection."""
        if self.cfg.is_ssl:  # gunicorn's own TLS wraps a real socket: no deadline there
            return super().accept(listener)
        try:
            client_sock, client_addr = listener.accept()
            self.nr_conns += 1
            client_sock.setblocking(True)
            conn = _DeadlineConn(
                self.cfg, _DeadlineSocket(client_sock), client_addr, listener.getsockname()
            )
            self.enqueue_req(conn)
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
