"""Pages answer a 503 page (no traceback, a retry hint) while the database is down, login too."""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from urllib.parse import urlsplit

import pytest

from tests.support.server import PortalServer
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.mariadb


JAR = http.cookiejar.CookieJar()
OPENER = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(JAR))


def get(url: str, data: bytes | None = None, session: str = ""):
    request = urllib.request.Request(url, data=data)
    if session:  # a signed-in browser: its session is read from the database
        request.add_header("Cookie", f"sessionid={session}")
    try:
        with OPENER.open(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_pages_answer_503_with_a_retry_hint_while_the_database_is_down(migrated_mariadb, tmp_path):
    parts = urlsplit(migrated_mariadb)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 3306)
    url = f"mysql://{parts.username or 'root'}@127.0.0.1:{proxy.port}{parts.path}"
    server = PortalServer(
        {"DATABASE_URL": url, "REDIS_URL": "", "RETRY_AFTER_SECONDS": "7"},
        workers=1,
        threads=2,
        log_path=tmp_path / "gunicorn.log",
    )
    try:
        with server:
            status, _, login = get(server.url + "/admin/login/")
            assert status == 200
            csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login)[1]
            form = urllib.parse.urlencode(
                {"csrfmiddlewaretoken": csrf, "username": "admin", "password": "x", "next": "/"}
            ).encode()
            proxy.cut()
            session = "a" * 32
            requests = [
                ("/admin/login/", form, ""),  # signing in reads the users table
                ("/dashboard/", None, session),
                ("/admin/diagnosis/faultrecord/", None, session),
            ]
            for path, data, cookie in requests:
                status, headers, page = get(server.url + path, data, cookie)
                assert status == 503, (path, status, page[:300])
                assert headers["Content-Type"].startswith("text/html")
                assert headers["Retry-After"] == "7"
                assert "cannot reach its database" in page and "Try again" in page
                assert "Traceback" not in page and "OperationalError" not in page
            status, headers, body = get(server.url + "/api/faults/")
            assert status in (401, 503)  # no token: refused before any query, or the 503
            proxy.restore()
            assert get(server.url + "/admin/login/")[0] == 200
    finally:
        proxy.close()
