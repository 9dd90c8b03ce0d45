"""The Thrift intake as a process on MariaDB, as Flume meets it in production: the database cut
mid-stream (FAILED, then the resent batches stored once), and SIGTERM + restart while sinks
deliver (the batches in hand are finished; nothing lost)."""

import threading
import time
import uuid
from collections import Counter
from urllib.parse import urlsplit

import pytest

from flume.thrift_wire import Status
from tests.support import services
from tests.support.tcp_proxy import TcpProxy
from tests.support.thrift_sink import ThriftSink, event
from tests.support.thrift_source import ThriftSourceProcess

pytestmark = pytest.mark.mariadb

TS = "2026-11-28 10:15:32,123"


def create_token(database_url: str) -> str:
    out = services.run_manage(
        "create_api_token", f"thrift-{uuid.uuid4().hex[:8]}", "--scopes", "ingest",
        env={"DATABASE_URL": database_url},
    )  # fmt: skip
    return out.strip().splitlines()[-1]


def stored(database_url: str, host: str) -> list[str]:
    conn = services.mariadb_connect(database=urlsplit(database_url).path.lstrip("/"))
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT raw FROM system_logs WHERE host = %s ORDER BY id", (host,))
        return [raw for (raw,) in cursor.fetchall()]
    finally:
        conn.close()


def batches_for(token: str, host: str, path: str, count: int, size: int = 100):
    """`count` batches of `size` lines of one file, with TAILDIR's byteoffset header."""
    lines, batches, offset = [], [], 0
    for b in range(count):
        batch = []
        for i in range(size):
            text = f"{TS} INFO org.apache.hadoop.hdfs.StateChange: {path} batch {b} line {i}"
            batch.append(event(text, file=path, host=host, token=token, byteoffset=str(offset)))
            lines.append(text)
            offset += len(text) + 1
        batches.append(batch)
    return lines, batches


def wait_for(predicate, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def intake_behind_proxy(migrated_mariadb, tmp_path, workers=4, **env):
    """The intake as a process whose database path goes through a proxy the test controls."""
    parts = urlsplit(migrated_mariadb)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 3306)
    url = f"mysql://{parts.username or 'root'}@127.0.0.1:{proxy.port}{parts.path}"
    source = ThriftSourceProcess(
        {"DATABASE_URL": url, "REDIS_URL": "", "DB_CONN_MAX_AGE": "300", **env},
        log_path=tmp_path / "thrift.log",
        workers=workers,
    )
    try:
        source.start()
        yield source, proxy, create_token(migrated_mariadb)
    finally:
        source.kill()
        proxy.close()


@pytest.fixture
def live(migrated_mariadb, tmp_path):
    yield from intake_behind_proxy(migrated_mariadb, tmp_path)


class Sinks:
    """Several sinks, each delivering its own file's batches in order until OK, like Flume."""

    def __init__(self, port: int, token: str, host: str, files: int, batches: int):
        self.lines: list[str] = []
        self.sinks, self.threads = [], []
        self.delivered = Counter()
        self.lock = threading.Lock()
        for f in range(files):
            lines, batches_of_file = batches_for(token, host, f"/var/log/hadoop/f{f}.log", batches)
            self.lines += lines
            sink = ThriftSink("127.0.0.1", port, retry_sleep=0.2, request_timeout=20)
            self.sinks.append(sink)
            self.threads.append(threading.Thread(target=self._run, args=(sink, batches_of_file)))

    def _run(self, sink, batches):
        for batch in batches:
            sink.deliver(batch, give_up_after=120)
            with self.lock:
                self.delivered["batches"] += 1
            time.sleep(0.01)
        sink.close()

    def start(self):
        for thread in self.threads:
            thread.start()
        return self

    def join(self):
        for thread in self.threads:
            thread.join(180)
            assert not thread.is_alive()

    def attempts(self):
        return [status for sink in self.sinks for _, status in sink.attempts]


def test_a_database_cut_mid_stream_is_failed_then_the_resent_batches_are_stored_once(
    live, migrated_mariadb
):
    source, proxy, token = live
    host = f"cut-{uuid.uuid4().hex[:6]}"
    sinks = Sinks(source.port, token, host, files=4, batches=15).start()
    wait_for(lambda: sinks.delivered["batches"] >= 8, "the stream to flow")
    proxy.cut()
    wait_for(lambda: sinks.attempts().count(Status.FAILED) >= 8, "the sinks to meet the outage")
    time.sleep(0.5)
    proxy.restore()
    sinks.join()

    attempts = sinks.attempts()
    failed = [a for a in attempts if a != Status.OK]
    log = source.log_text()
    # The outage is answered FAILED. A sink's own 20 s timeout counts too when the server logged
    # that batch as slow (seen on this shared machine right after a restore): the sink resends
    # it as after a FAILED, and the resend is recognised below. Nothing else may happen.
    timeouts = [a for a in failed if a == "TimeoutError('timed out')"]
    assert failed.count(Status.FAILED) >= 8
    assert len(failed) == failed.count(Status.FAILED) + len(timeouts), Counter(map(str, failed))
    assert log.count(" took ") >= len(timeouts)
    rows = stored(migrated_mariadb, host)
    assert Counter(rows) == Counter(sinks.lines)  # every line once: nothing lost, no duplicate
    assert "not stored (FAILED, the sink resends it)" in log


def test_sigterm_finishes_the_batches_in_hand_and_a_restart_loses_nothing(live, migrated_mariadb):
    source, proxy, token = live
    host = f"term-{uuid.uuid4().hex[:6]}"
    sinks = Sinks(source.port, token, host, files=4, batches=20).start()
    for restart in range(2):
        wait_for(lambda r=restart: sinks.delivered["batches"] >= 10 + 25 * r, "batches")
        assert source.terminate() == 0
        time.sleep(1)  # the sinks meet a closed port meanwhile and retry
        source.start()
    sinks.join()
    rows = stored(migrated_mariadb, host)
    assert Counter(rows) == Counter(sinks.lines)
    log = source.log_text()
    assert log.count("stopping: finishing the batches in hand") == 2
    assert log.count("stopped") >= 2


@pytest.fixture
def silent_path(migrated_mariadb, tmp_path):
    # One worker: the call after the stall meets the connection the first call opened (a new
    # connection is bounded by its connect timeout anyway). A short database timeout keeps the
    # test quick; the default (10 s) is as far below the sink's 20 s request timeout.
    yield from intake_behind_proxy(
        migrated_mariadb, tmp_path, workers=1, FLUME_THRIFT_DB_TIMEOUT_SECONDS="3"
    )


def test_a_database_path_gone_silent_mid_stream_is_failed_not_waited_for_forever(
    silent_path, migrated_mariadb
):
    """No reset, no refusal: the database's answers stop arriving (a partition, a peer gone
    without a reset). The intake must answer FAILED while the sink still waits, not hold a worker
    (and the stream's lock, and its row locks) on an answer that may never come."""
    source, proxy, token = silent_path
    host = f"silent-{uuid.uuid4().hex[:6]}"
    lines, batches = batches_for(token, host, "/var/log/hadoop/silent.log", 3)
    sink = ThriftSink("127.0.0.1", source.port, retry_sleep=0.2, request_timeout=20)
    sink.deliver(batches[0], give_up_after=60)
    proxy.stall()
    try:
        status = sink.append_batch(batches[1])
    except TimeoutError:
        pytest.fail("the intake did not answer within the sink's 20 s request timeout")
    finally:
        proxy.restore()  # what was held is delivered now, as when a partition heals
    assert status == Status.FAILED
    sink.close()  # as the sink does after a FAILED; then it resends
    sink.deliver(batches[1], give_up_after=60)
    sink.deliver(batches[2], give_up_after=60)
    sink.close()
    assert Counter(stored(migrated_mariadb, host)) == Counter(lines)
    log = source.log_text()
    assert "not stored (FAILED, the sink resends it)" in log
    assert "Lost connection" in log  # the database timeout, not some other failure
