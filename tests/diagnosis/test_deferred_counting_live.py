"""Issue 17 item 8 under a real gunicorn (gunicorn.conf.py, 2 worker processes) on MariaDB: a
fault storm's occurrences are counted by each worker's flusher, exactly, within the flush
interval; opening and regression happen in the request, once; a worker killed with SIGKILL
loses at most the occurrences of its last flush interval (docs/ingestion.md, "Counting a fault
storm")."""

import os
import signal
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support import services
from tests.support.server import PortalServer

pytestmark = pytest.mark.mariadb

CHILD = "org.apache.hadoop.mapred.YarnChild"


def storm_line(at: datetime, path: str) -> str:
    stamp = at.strftime("%Y-%m-%d %H:%M:%S,") + f"{at.microsecond // 1000:03d}"
    return (
        f"{stamp} WARN [main] {CHILD}: Exception running child : "
        "org.apache.hadoop.ipc.RemoteException(java.io.IOException): File "
        f"{path} could only be replicated to 0 nodes instead of minReplication (=1).  "
        "There are 3 datanode(s) running and 3 node(s) are excluded in this operation."
    )


def query(database_url: str, sql: str, params=()) -> list[tuple]:
    conn = services.mariadb_connect(database=urlsplit(database_url).path.lstrip("/"))
    try:
        cursor = conn.cursor()
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    finally:
        conn.close()


@pytest.fixture
def storm_db(migrated_mariadb):
    """The session's migrated database, with no record of the storm's cluster-wide fault."""
    conn = services.mariadb_connect(database=urlsplit(migrated_mariadb).path.lstrip("/"))
    try:
        cursor = conn.cursor()
        cursor.execute(
            "SELECT r.id FROM fault_records r JOIN fault_types t ON t.id = r.fault_type_id "
            "WHERE t.code = 'hdfs_write_no_datanodes'"
        )
        ids = [row[0] for row in cursor.fetchall()]
        if ids:
            marks = ", ".join(["%s"] * len(ids))
            cursor.execute("SET FOREIGN_KEY_CHECKS = 0")  # the record and its incident
            cursor.execute(f"DELETE FROM fault_events WHERE fault_id IN ({marks})", ids)
            cursor.execute(f"DELETE FROM incidents WHERE cause_fault_id IN ({marks})", ids)
            cursor.execute(f"DELETE FROM fault_records WHERE id IN ({marks})", ids)
            cursor.execute("SET FOREIGN_KEY_CHECKS = 1")
        conn.commit()
    finally:
        conn.close()
    return migrated_mariadb


def the_record(database_url: str) -> dict | None:
    rows = query(
        database_url,
        "SELECT r.id, r.status, r.occurrences, r.last_seen, r.latest_sample, r.latest_log_id, "
        "r.is_regression FROM fault_records r JOIN fault_types t ON t.id = r.fault_type_id "
        "WHERE t.code = 'hdfs_write_no_datanodes'",
    )
    if not rows:
        return None
    keys = ("id", "status", "occurrences", "last_seen", "latest_sample", "latest_log_id",
            "is_regression")  # fmt: skip
    return dict(zip(keys, rows[0], strict=True))


def regressions(database_url: str, fault_id: int) -> int:
    ((count,),) = query(
        database_url,
        "SELECT COUNT(*) FROM fault_events WHERE fault_id = %s AND action = 'regressed'",
        (fault_id,),
    )
    return count


def resolve(database_url: str, fault_id: int) -> None:
    query(
        database_url,
        "UPDATE fault_records SET status = 'resolved', resolved_at = UTC_TIMESTAMP(6), "
        "resolved_by = 'test' WHERE id = %s",
        (fault_id,),
    )


def wait_for(predicate, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.1)


class Senders:
    def __init__(self, server: PortalServer, token: str):
        self.url = f"{server.url}/api/log/auto-upload?token={token}&logtype=hadoop"
        self.failures: list = []

    def post(self, line: str, host: str = "client01.example.com") -> None:
        request = urllib.request.Request(
            f"{self.url}&host={host}", data=line.encode(), headers={"Content-Type": "text/plain"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                if response.status != 200:
                    self.failures.append(response.status)
        except Exception as exc:  # every failed request must show in the assertion
            self.failures.append(repr(exc))

    def storm(self, lines: list[str], senders: int = 8) -> None:
        """Post every line, one per request, from `senders` threads at once."""

        def send(part: list[str], number: int) -> None:
            for line in part:
                self.post(line, host=f"client{number:02d}.example.com")

        threads = [
            threading.Thread(target=send, args=(lines[n::senders], n)) for n in range(senders)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def portal(database_url: str, tmp_path: Path, flush_seconds: float) -> PortalServer:
    return PortalServer(
        {"DATABASE_URL": database_url, "FAULT_COUNT_FLUSH_SECONDS": str(flush_seconds)},
        workers=2,
        threads=4,
        log_path=tmp_path / "gunicorn.log",
        config_file=True,  # its post_worker_init starts each worker's flusher
    )


def token_for(database_url: str) -> str:
    out = services.run_manage(
        "create_api_token", f"storm-{uuid.uuid4().hex[:8]}", "--scopes", "ingest",
        env={"DATABASE_URL": database_url},
    )  # fmt: skip
    return out.strip().splitlines()[-1]


def workers_of(server: PortalServer) -> list[int]:
    master = server.process.pid
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def test_storm_counts_are_exact_after_the_flush_and_opening_and_regression_are_immediate(
    storm_db, tmp_path
):
    token = token_for(storm_db)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    with portal(storm_db, tmp_path, flush_seconds=1) as server:
        senders = Senders(server, token)
        assert len(workers_of(server)) == 2
        senders.post(storm_line(start, "/user/etl/first"))
        record = the_record(storm_db)  # opened by its request, not by a flush
        assert record is not None and (record["status"], record["occurrences"]) == ("open", 1)

        lines = [storm_line(start + timedelta(seconds=n), f"/user/etl/p{n}") for n in range(1, 241)]
        lines.reverse()  # the latest line is sent first: last_seen must not follow arrival
        senders.storm(lines)
        assert senders.failures == []
        wait_for(
            lambda: the_record(storm_db)["occurrences"] == 241,
            "both workers' flushers to write 240 counts",
            timeout=10,
        )
        record = the_record(storm_db)
        latest = storm_line(start + timedelta(seconds=240), "/user/etl/p240")
        assert record["last_seen"].replace(tzinfo=UTC) == start + timedelta(seconds=240)
        assert record["latest_sample"] == latest
        ((latest_id,),) = query(storm_db, "SELECT id FROM system_logs WHERE raw = %s", (latest,))
        assert record["latest_log_id"] == latest_id

        # Resolved, then seen again: every one of 16 concurrent requests logged after the
        # resolution could regress it; exactly one does, in its request.
        resolve(storm_db, record["id"])
        after = datetime.now(UTC) + timedelta(seconds=5)
        again = [storm_line(after + timedelta(seconds=n), f"/user/etl/r{n}") for n in range(16)]
        senders.storm(again, senders=16)
        assert senders.failures == []
        record = the_record(storm_db)
        assert (record["status"], record["is_regression"]) == ("open", 1)
        assert regressions(storm_db, record["id"]) == 1
        wait_for(lambda: the_record(storm_db)["occurrences"] == 241 + 16, "the flush", timeout=10)
    assert regressions(storm_db, record["id"]) == 1


def test_a_killed_worker_loses_at_most_its_last_flush_interval(storm_db, tmp_path):
    interval = 2.0
    tag = uuid.uuid4().hex[:8]
    token = token_for(storm_db)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    with portal(storm_db, tmp_path, flush_seconds=interval) as server:
        senders = Senders(server, token)
        senders.post(storm_line(start, f"/{tag}/first"))
        old = [storm_line(start + timedelta(seconds=n), f"/{tag}/a{n}") for n in range(1, 61)]
        senders.storm(old)
        time.sleep(2 * interval + 1)  # older than the window now
        later = start + timedelta(minutes=5)
        recent = [storm_line(later + timedelta(seconds=n), f"/{tag}/b{n}") for n in range(60)]
        senders.storm(recent)
        assert senders.failures == []
        killed = workers_of(server)
        for pid in killed:
            os.kill(pid, signal.SIGKILL)  # no worker_exit, no last flush

        stored = query(
            storm_db, "SELECT COUNT(*) FROM system_logs WHERE raw LIKE %s", (f"%/{tag}/%",)
        )[0][0]
        assert stored == 121  # every line was stored and answered 200
        counted = the_record(storm_db)["occurrences"]
        assert 61 <= counted <= 121  # only the last interval's counts may be missing
        print(f"after SIGKILL: {counted} of 121 occurrences counted")

        # gunicorn replaces the workers; their flushers count what comes next
        wait_for(lambda: len(set(workers_of(server)) - set(killed)) == 2, "new workers", timeout=30)
        wait_for(lambda: _answers(server), "the new workers to answer", timeout=30)
        more = [storm_line(start + timedelta(minutes=9, seconds=n), f"/c{n}") for n in range(20)]
        senders.storm(more, senders=4)
        assert senders.failures == []
        wait_for(
            lambda: the_record(storm_db)["occurrences"] == counted + 20,
            "the new workers' flush",
            timeout=10,
        )


def _answers(server: PortalServer) -> bool:
    try:
        with urllib.request.urlopen(server.url + "/api/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def test_the_thrift_intake_defers_counts_too_and_writes_them_on_sigterm(storm_db, tmp_path):
    """flume_thrift_source starts the flusher in its process: batches from several sinks count
    into the open fault within the interval, and SIGTERM writes what is pending."""
    from flume.thrift_wire import Status
    from tests.support.thrift_sink import ThriftSink, event
    from tests.support.thrift_source import ThriftSourceProcess

    tag = uuid.uuid4().hex[:8]
    token = token_for(storm_db)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    intake = ThriftSourceProcess(
        {"DATABASE_URL": storm_db, "FAULT_COUNT_FLUSH_SECONDS": "60"},  # no tick in the test
        log_path=tmp_path / "thrift.log",
    ).start()
    try:
        path = f"/var/log/hadoop-yarn/{tag}.log"

        def batch(first: int, size: int = 50) -> list:
            return [
                event(storm_line(start + timedelta(seconds=first + n), f"/{tag}/t{first + n}"),
                      file=path, host="nm01.example.com", token=token)
                for n in range(size)
            ]  # fmt: skip

        sink = ThriftSink("127.0.0.1", intake.port)
        try:
            assert sink.append_batch(batch(0, size=1)) == Status.OK
            record = the_record(storm_db)  # opened by the call that brought it
            assert record is not None and (record["status"], record["occurrences"]) == ("open", 1)
            for first in (1, 51, 101):
                assert sink.append_batch(batch(first)) == Status.OK
        finally:
            sink.close()
        assert the_record(storm_db)["occurrences"] == 1  # kept by the intake's process
        assert intake.terminate() == 0
    finally:
        intake.kill()
    record = the_record(storm_db)
    assert record["occurrences"] == 151
    assert record["last_seen"].replace(tzinfo=UTC) == start + timedelta(seconds=150)
