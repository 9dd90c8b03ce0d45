"""deploy/nginx/ in Debian's nginx in front of a real gunicorn, and bare gunicorn's own limits.

Behind nginx, slow clients (headers then no body, a body one byte a second) cost gunicorn no
thread: ingest goes on being answered within Flume's 5 s request timeout. The sender's address
and scheme come from nginx's X-Forwarded-For / X-Forwarded-Proto, believed from the proxy only.
Bare gunicorn (gunicorn.conf.py's worker) cuts a request whose headers or body do not arrive
within GUNICORN_READ_TIMEOUT.
"""

import http.client
import json
import re
import socket
import ssl
import time
import urllib.request

import pytest
from django.conf import settings

from tests.logs.test_upload_live import create_token, post, stored
from tests.support.nginx import PROXY, NginxFront
from tests.support.server import PortalServer, free_port
from tests.support.slow_clients import SlowClients, request_head

pytestmark = pytest.mark.mariadb

WORKER = None  # gunicorn.conf.py's own worker class (faultportal/gunicorn_worker.py)
FLUME_REQUEST_TIMEOUT = 5.0  # Flume's HTTP sink gives up on a request after this long
READ_TIMEOUT = 2
OTHER_LOOPBACK = "127.0.0.2"  # a sender that is not the proxy (Linux routes all of 127/8 here)
LINE = b"2026-11-28 10:15:32,123 INFO org.apache.hadoop.X: through the front"


def request(base: str, method: str, path: str, body=None, headers=None, *, source=None, timeout=10):
    """(status, headers, body) over http.client, from `source` (an address of this host)."""
    parts = urllib.request.urlparse(base)
    kwargs = {"timeout": timeout, "source_address": (source, 0) if source else None}
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(
            parts.hostname, parts.port, context=ssl._create_unverified_context(), **kwargs
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, **kwargs)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def portal(migrated_mariadb, tmp_path_factory):
    """gunicorn as gunicorn.conf.py runs it, with few threads (4) so a few slow clients matter."""
    server = PortalServer(
        {
            "DATABASE_URL": migrated_mariadb,
            "REDIS_URL": "",
            "GUNICORN_READ_TIMEOUT": str(READ_TIMEOUT),
        },
        workers=1,
        threads=4,
        config_file=True,
        worker_class=WORKER,
        log_path=tmp_path_factory.mktemp("front-gunicorn") / "gunicorn.log",
    )
    with server:
        yield server, create_token(migrated_mariadb)


@pytest.fixture(scope="module")
def front(portal, tmp_path_factory):
    server, _ = portal
    with NginxFront(tmp_path_factory.mktemp("nginx"), server.port) as nginx:
        yield nginx


def test_ingest_through_nginx_stores_the_senders_address_not_a_forged_one(
    portal, front, migrated_mariadb
):
    _, token = portal
    path = f"/api/log/auto-upload?token={token}"
    status, _, body = request(front.url, "POST", path, LINE, source=OTHER_LOOPBACK)
    assert status == 200, body
    # A sender that names another address: nginx overwrites the header with the real one.
    forged = {"X-Forwarded-For": "10.9.9.9", "Content-Type": "text/plain"}
    status, _, _ = request(front.url, "POST", path, b"forged", forged, source=OTHER_LOOPBACK)
    assert status == 200
    assert [raw for raw, _ in stored(migrated_mariadb, OTHER_LOOPBACK)] == [LINE.decode(), "forged"]
    assert stored(migrated_mariadb, "10.9.9.9") == []


def test_gunicorn_ignores_forwarded_headers_from_a_sender_that_is_not_the_proxy(
    portal, migrated_mariadb
):
    server, token = portal
    headers = {"X-Forwarded-For": "10.8.8.8", "Content-Type": "text/plain"}
    path = f"/api/log/auto-upload?token={token}"
    status, _, _ = request(server.url, "POST", path, b"direct", headers, source=OTHER_LOOPBACK)
    assert status == 200
    assert "direct" in [raw for raw, _ in stored(migrated_mariadb, OTHER_LOOPBACK)]
    assert stored(migrated_mariadb, "10.8.8.8") == []


@pytest.mark.parametrize("mode", ["no-body", "drip-body"])
def test_slow_clients_behind_nginx_do_not_hold_gunicorns_threads(portal, front, mode):
    _, token = portal
    path = f"/api/log/auto-upload?host=slow-{mode}&token={token}"
    # 16 slow connections against 4 gunicorn threads: bare, they would hold every thread.
    with SlowClients(("127.0.0.1", front.port), path, 16, mode) as attackers:
        for n in range(10):
            status, _, body = post(
                f"{front.url}/api/log/auto-upload?host=dn-front&token={token}",
                b"line %d" % n,
                timeout=FLUME_REQUEST_TIMEOUT,
            )
            assert status == 200, body
        assert attackers.open == 16  # still connected (to nginx), still sending nothing


def test_bare_gunicorn_cuts_slow_clients_at_its_read_timeout_and_they_come_back(portal):
    """The limit of bare gunicorn, as docs/deployment.md states it: threads × workers slow
    connections hold every thread, each for at most GUNICORN_READ_TIMEOUT, then it is cut."""
    server, token = portal
    path = f"/api/log/auto-upload?host=slow-bare&token={token}"
    with SlowClients(("127.0.0.1", server.port), path, 4, "no-body") as attackers:
        time.sleep(READ_TIMEOUT + 1.5)
        assert attackers.connections > 4  # cut by the read deadline, and back again


def test_bare_gunicorn_answers_408_to_a_body_that_does_not_arrive(portal):
    server, token = portal
    with socket.create_connection(("127.0.0.1", server.port), timeout=READ_TIMEOUT + 8) as sock:
        sock.sendall(request_head(f"/api/log/auto-upload?host=dn-408&token={token}", 100))
        started = time.monotonic()
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        took = time.monotonic() - started
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b'"code":"request_timeout"' in body  # (chunked)
    assert took >= READ_TIMEOUT - 0.5  # cut by the deadline, not sooner


def test_bare_gunicorn_closes_a_connection_whose_headers_do_not_arrive(portal):
    server, _ = portal
    with socket.create_connection(("127.0.0.1", server.port), timeout=READ_TIMEOUT + 8) as sock:
        sock.sendall(b"POST /api/log/auto-upload HTTP/1.1\r\nHost: x\r\n")  # and no more
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer == b"" or not answer.startswith(b"HTTP/1.1 2")


def test_an_over_limit_body_through_nginx_is_a_json_413_the_sender_reads(portal, front):
    _, token = portal
    url = f"{front.url}/api/log/auto-upload?host=dn-big&token={token}"
    # urllib writes the whole body before it reads the answer, as Flume's sink does.
    status, _, body = post(url, b"x" * (settings.INGEST_MAX_BODY_BYTES + 1), timeout=30)
    assert status == 413
    assert json.loads(body)["code"] == "payload_too_large"
    assert post(url, b"a line that fits")[0] == 200


def test_nginx_limit_is_the_portals_limit():
    limit = re.search(r"^client_max_body_size (\d+)m;", PROXY.read_text(), re.M)
    assert limit and int(limit.group(1)) * 1024 * 1024 == settings.INGEST_MAX_BODY_BYTES


def test_nginx_answers_a_json_503_with_retry_after_while_gunicorn_is_down(tmp_path):
    with NginxFront(tmp_path, free_port()) as nginx:
        status, headers, body = post(f"{nginx.url}/api/log/auto-upload?host=dn01", b"x")
    assert status == 503
    assert json.loads(body)["code"] == "portal_unavailable"
    assert int(headers["Retry-After"]) >= 1


def test_https_behind_nginx_trusts_the_proxys_scheme_only(migrated_mariadb, tmp_path):
    server = PortalServer(
        {
            "DATABASE_URL": migrated_mariadb,
            "REDIS_URL": "",
            "HTTPS": "1",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
        },
        workers=1,
        threads=2,
        config_file=True,
        worker_class=WORKER,
        log_path=tmp_path / "gunicorn.log",
        health_headers={"X-Forwarded-Proto": "https"},
    )
    with server, NginxFront(tmp_path, server.port, tls=True) as nginx:
        assert nginx.test_config().returncode == 0
        status, headers, _ = request(nginx.url, "GET", "/admin/login/")
        assert status == 200  # https at the front: no redirect
        assert "Strict-Transport-Security" in headers
        # Straight to gunicorn, claiming https, from an address that is not the proxy: ignored.
        status, headers, _ = request(
            server.url,
            "GET",
            "/admin/login/",
            headers={"X-Forwarded-Proto": "https"},
            source=OTHER_LOOPBACK,
        )
        assert status == 301 and headers["Location"].startswith("https://")
