"""The ingest endpoint under a live gunicorn on MariaDB, as Flume meets it in production:
a database outage in the middle of a stream, concurrent retries of one Idempotency-Key, and
concurrent one-line senders whose rows are committed together."""

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from tests.support import services
from tests.support.server import PortalServer
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.mariadb

TS = "2026-11-28 10:15:32,123"


def post(url: str, body: bytes, headers: dict | None = None, timeout: float = 10):
    """(status, headers, body) of one POST; errors are answers too."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "text/plain", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_for(predicate, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def create_token(database_url: str) -> str:
    name = f"live-{uuid.uuid4().hex[:8]}"
    out = services.run_manage(
        "create_api_token", name, "--scopes", "ingest", env={"DATABASE_URL": database_url}
    )
    return out.strip().splitlines()[-1]


def stored(database_url: str, host: str) -> list[tuple[str, int]]:
    name = urlsplit(database_url).path.lstrip("/")
    conn = services.mariadb_connect(database=name)
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT raw, id FROM system_logs WHERE host = %s ORDER BY id", (host,))
        return list(cursor.fetchall())
    finally:
        conn.close()


@pytest.fixture(scope="module")
def live(migrated_mariadb, tmp_path_factory):
    """gunicorn whose only path to MariaDB goes through a proxy the test can cut."""
    parts = urlsplit(migrated_mariadb)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 3306)
    database_url = f"mysql://{parts.username or 'root'}@127.0.0.1:{proxy.port}{parts.path}"
    log = tmp_path_factory.mktemp("live") / "gunicorn.log"
    server = PortalServer(
        {"DATABASE_URL": database_url, "REDIS_URL": "", "RETRY_AFTER_SECONDS": "1"},
        workers=2,
        threads=4,
        log_path=log,
    )
    server.start()
    try:
        yield server, proxy, create_token(migrated_mariadb)
    finally:
        server.stop()
        proxy.close()


def test_a_database_outage_mid_stream_loses_nothing(live, migrated_mariadb):
    server, proxy, token = live
    host = f"outage-{uuid.uuid4().hex[:6]}"
    url = f"{server.url}/api/log/auto-upload?host={host}&token={token}"
    lines = [f"{TS} INFO org.apache.hadoop.hdfs.StateChange: line {i:04d}" for i in range(1200)]
    failures, first_after_restore, delivered = [], [], []
    restored = threading.Event()
    lock = threading.Lock()

    def flume_sink(my_lines):
        """Like Flume's HTTP sink: one line per request, resent until a 2xx."""
        for line in my_lines:
            while True:
                status, headers, body = post(url, line.encode())
                with lock:
                    if restored.is_set() and len(first_after_restore) < 4:
                        first_after_restore.append(status)
                    if 200 <= status < 300:
                        delivered.append(line)
                        break
                    failures.append((status, headers, body))
                time.sleep(0.05)

    senders = [threading.Thread(target=flume_sink, args=(lines[i::4],)) for i in range(4)]
    for sender in senders:
        sender.start()
    wait_for(lambda: len(delivered) >= 100, "the stream to flow")
    proxy.cut()
    wait_for(lambda: len(failures) >= 8, "the senders to meet the outage")
    time.sleep(0.5)
    proxy.restore()
    restored.set()
    for sender in senders:
        sender.join(120)
        assert not sender.is_alive()

    assert failures, "the outage was not observed"
    for status, headers, body in failures:
        assert status == 503, (status, body)
        answer = json.loads(body)
        assert answer["code"] == "database_unavailable" and answer["detail"]
        assert int(headers["Retry-After"]) >= 1
    # the broken persistent connections recover on their next request
    assert first_after_restore and all(status == 200 for status in first_after_restore)
    rows = [raw for raw, _ in stored(migrated_mariadb, host)]
    assert set(rows) == set(lines)  # nothing lost
    # a resend duplicates a line only when its commit's answer was lost in the cut
    assert len(rows) - len(lines) <= len(failures)


def test_concurrent_retries_of_one_idempotency_key_store_it_once(live, migrated_mariadb):
    server, _, token = live
    host = f"idem-{uuid.uuid4().hex[:6]}"
    url = f"{server.url}/api/log/auto-upload?host={host}&token={token}"
    body = "\n".join(f"{TS} WARN a.B: batch line {i}" for i in range(50)).encode()
    headers = {"Idempotency-Key": f"batch-{uuid.uuid4()}"}
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: post(url, body, headers), range(8)))
    assert [status for status, _, _ in answers] == [200] * 8
    payloads = [json.loads(answer) for _, _, answer in answers]
    assert {p["accepted"] for p in payloads} == {50}
    assert sum(1 for p in payloads if not p.get("replayed")) == 1
    assert len(stored(migrated_mariadb, host)) == 50


def test_concurrent_one_line_senders_each_get_their_row_once(live, migrated_mariadb):
    server, _, token = live
    host = f"group-{uuid.uuid4().hex[:6]}"
    url = f"{server.url}/api/log/auto-upload?host={host}&token={token}"
    senders = {
        n: [f"{TS} INFO a.B: sender {n:02d} line {i:02d}" for i in range(40)] for n in range(16)
    }

    def send_all(n):
        return [post(url, line.encode())[0] for line in senders[n]]

    with ThreadPoolExecutor(16) as pool:
        statuses = [status for result in pool.map(send_all, senders) for status in result]
    assert statuses == [200] * 640
    rows = stored(migrated_mariadb, host)
    assert sorted(raw for raw, _ in rows) == sorted(
        line for lines in senders.values() for line in lines
    )
    # a sender sends its next line only after the 2xx, which comes after the commit: its lines
    # were committed in the order it sent them
    for n, lines in senders.items():
        assert [raw for raw, _ in rows if f"sender {n:02d} " in raw] == lines
