"""The end-to-end chain: a log file being written -> a Flume agent -> the live portal -> MariaDB.

A writer appends Hadoop log lines (fault signatures, a stack trace, identical repeats, UTF-8) to a
file; the Flume emulator (tests/support/flume_sink.py), configured from the agent file that
render_flume_config produced for this host, tails it and POSTs each line like Flume's HttpSink to
a gunicorn PortalServer on a migrated MariaDB database. In the middle the portal's path to MariaDB
is cut (TcpProxy): the portal answers 503, the sink keeps the line at the head of its channel and
retries, and once the database is back every line is stored exactly once.

The chain runs once per module; each test asserts one part of the result.
"""

import http.cookiejar
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.support import services
from tests.support.flume_sink import FlumeAgentEmulator
from tests.support.server import PortalServer
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.mariadb

HOST = f"chain-{uuid.uuid4().hex[:8]}"
BACKOFF_UNIT = 0.05  # the sink's 1-5 s backoff, scaled so the test runs in seconds


def log_line(offset_s: float, level: str, logger: str, message: str) -> str:
    stamp = datetime.now(UTC) - timedelta(minutes=5) + timedelta(seconds=offset_s)
    return f"{stamp:%Y-%m-%d %H:%M:%S},{stamp.microsecond // 1000:03d} {level} {logger}: {message}"


DN = "org.apache.hadoop.hdfs.server.datanode.DataNode"


def batch(start: int, count: int, *, faults: bool) -> list[str]:
    """`count` ordinary lines from second `start`, with fault signatures and a stack trace."""
    lines = [
        log_line(start + i, "INFO", DN, f"Receiving BP-1:blk_{start + i}_1001 src: /10.0.0.{i % 9}")
        for i in range(count)
    ]
    # Two identical lines in the same millisecond are two real events: both must be stored.
    repeat = log_line(start, "INFO", DN, "Slow BlockReceiver write packet to mirror took 312ms")
    lines += [repeat, repeat]
    lines.append(log_line(start, "INFO", DN, "Détails: réplique écrite ✓"))
    if faults:
        lines += [
            log_line(
                start + 1,
                "ERROR",
                DN,
                "DataNode failed: java.lang.OutOfMemoryError: Java heap space",
            ),  # fmt: skip
            "java.lang.OutOfMemoryError: Java heap space",
            "\tat java.util.Arrays.copyOf(Arrays.java:3332)",
            "\tat org.apache.hadoop.hdfs.server.datanode.BlockReceiver.receivePacket("
            "BlockReceiver.java:567)",
            "Caused by: java.io.IOException: Too many open files",
            "\t... 4 more",
            log_line(
                start + 2,
                "WARN",
                DN,
                "Failed to accept connection: java.io.IOException: Too many open files",
            ),  # fmt: skip
        ]
    return lines


@dataclass
class ChainResult:
    sent: list[str] = field(default_factory=list)
    outage_outcomes: list[str] = field(default_factory=list)
    stored: list[str] = field(default_factory=list)
    fault_codes: set[str] = field(default_factory=set)
    server: PortalServer | None = None
    read_token: str = ""
    operator: tuple[str, str] = ("", "")
    attempts: int = 0


def write_slowly(path, lines: list[str], *, blank_every: int = 10) -> None:
    with open(path, "ab") as handle:
        for number, line in enumerate(lines):
            handle.write(line.encode("utf-8") + b"\n")
            if number % blank_every == 0:
                handle.write(b"\n")  # blank lines are dropped by the agent's regex_filter
            handle.flush()
            time.sleep(0.005)


def proxied(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host_port = f"127.0.0.1:{port}"
    netloc = f"{netloc[0]}@{host_port}" if len(netloc) == 2 else host_port
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture(scope="module")
def chain(request, tmp_path_factory):
    from django.db import connection

    # Decided before the scratch database is made: the SQLite pass of CI does not run the chain.
    if connection.vendor != "mysql":
        pytest.skip("runs in the MariaDB pass of the suite (DATABASE_URL=mysql://…)")
    migrated_mariadb = request.getfixturevalue("migrated_mariadb")
    workdir = tmp_path_factory.mktemp("chain")
    target = urlsplit(migrated_mariadb)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 3306)
    result = ChainResult()
    server = PortalServer(
        {"DATABASE_URL": proxied(migrated_mariadb, proxy.port), "DEBUG": "false"},
        log_path=workdir / "gunicorn.log",
    )
    conf = workdir / "hadoop-log-agent.conf"
    # The agent file exactly as an administrator would make it, token created on the way.
    services.run_manage(
        "render_flume_config", "--host", HOST, "--portal-url", server.url, "--create-token",
        "--output", str(conf), env={"DATABASE_URL": migrated_mariadb},
    )  # fmt: skip
    result.read_token = (
        services.run_manage(
            "create_api_token",
            f"{HOST}-reader",
            "--scopes",
            "read",
            env={"DATABASE_URL": migrated_mariadb},
        )  # fmt: skip
        .strip()
        .splitlines()[-1]
    )
    login = services.run_manage(
        "ensure_admin", "--username", f"{HOST}-oncall", env={"DATABASE_URL": migrated_mariadb}
    )
    user, password = login.split("Admin login: ", 1)[1].splitlines()[0].split(" / ")
    result.operator = (user, password)
    log = workdir / "hadoop-hdfs-datanode-dn01.log"
    log.write_bytes(b"")
    agent = FlumeAgentEmulator.from_config(
        conf.read_text(encoding="iso-8859-1"),
        sink="hdfs_portal",
        path=log,
        backoff_unit=BACKOFF_UNIT,
    )
    server.start()
    try:
        agent.start()
        # 1. Normal delivery.
        first = batch(0, 60, faults=True)
        write_slowly(log, first)
        assert agent.wait_drained(120), "the first batch was not delivered"
        # 2. The database goes away while lines keep coming. Cut only when nothing is in flight,
        #    so a commit whose answer is lost cannot make a (legitimate) duplicate.
        proxy.cut()
        before = len(agent.sink.attempts)
        second = batch(100, 30, faults=True)
        write_slowly(log, second)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            outcomes = [a.outcome for a in agent.sink.attempts[before:]]
            if sum(1 for o in outcomes if not o.startswith("2")) >= 5:
                break
            time.sleep(0.05)
        result.outage_outcomes = [a.outcome for a in agent.sink.attempts[before:]]
        # 3. The database is back; more lines arrive meanwhile.
        proxy.restore()
        third = batch(200, 30, faults=False)
        writer = threading.Thread(target=write_slowly, args=(log, third))
        writer.start()
        writer.join()
        assert agent.wait_drained(180), "the backlog was not delivered after the outage"
        result.sent = first + second + third
        result.attempts = len(agent.sink.attempts)
        assert agent.sink.dropped == [], agent.sink.dropped[:3]
    finally:
        agent.stop()

    conn = services.mariadb_connect(migrated_mariadb)
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT raw FROM system_logs WHERE host = %s", [HOST])
        result.stored = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT ft.code FROM fault_records fr JOIN fault_types ft ON ft.id = fr.fault_type_id "
            "WHERE fr.host = %s",
            [HOST],
        )
        result.fault_codes = {row[0] for row in cursor.fetchall()}
    finally:
        conn.close()
    result.server = server
    try:
        yield result
    finally:
        server.stop()
        proxy.close()


def test_every_line_is_stored_exactly_once_through_a_database_outage(chain):
    assert len(chain.stored) == len(chain.sent)
    assert Counter(chain.stored) == Counter(chain.sent)
    # The outage really happened and the portal said so the way the sink needs: 503 with a body
    # (an empty body would be retried too, but the contract is a JSON error).
    failed = [o for o in chain.outage_outcomes if not o.startswith("2")]
    assert len(failed) >= 5
    assert set(failed) == {"503"}, Counter(failed)


def test_the_faults_in_the_lines_become_fault_records(chain):
    assert {"jvm_out_of_memory", "too_many_open_files"} <= chain.fault_codes


def _get(server: PortalServer, path: str, *, token: str = "", opener=None) -> tuple[int, str]:
    request = urllib.request.Request(server.url + path)
    if token:
        request.add_header("Authorization", f"Token {token}")
    opener = opener or urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _signed_in(server: PortalServer, user: str, password: str):
    """An opener holding an admin session, signed in through the login form like a person."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    _, form = _get(server, "/admin/login/", opener=opener)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    body = urllib.parse.urlencode(
        {"username": user, "password": password, "csrfmiddlewaretoken": csrf, "next": "/admin/"}
    ).encode()
    request = urllib.request.Request(server.url + "/admin/login/", data=body)
    request.add_header("Referer", server.url + "/admin/login/")
    with opener.open(request, timeout=10) as response:
        assert response.status == 200 and "/admin/login/" not in response.url
    return opener


def test_cluster_status_answers_after_the_outage(chain):
    status, body = _get(chain.server, "/api/cluster/status", token=chain.read_token)
    assert status == 200, body
    assert "cluster" in json.loads(body)


def test_the_dashboard_shows_the_hosts_faults_after_the_outage(chain):
    opener = _signed_in(chain.server, *chain.operator)
    status, page = _get(chain.server, "/dashboard/", opener=opener)
    assert status == 200
    status, page = _get(chain.server, f"/dashboard/hosts/{HOST}/", opener=opener)
    assert status == 200
    assert "OutOfMemoryError" in page or "out of memory" in page.lower()
    assert "Too many open files" in page or "File descriptors exhausted" in page
