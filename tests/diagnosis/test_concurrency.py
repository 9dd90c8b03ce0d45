"""Must show 3: parallel ingestion of the same fault from several OS processes, each with its
own Django and MariaDB connection, makes one open record with the exact total count; and
batches sharing several faults in different orders do not deadlock."""

import multiprocessing
import uuid

import pytest

from tests.diagnosis.concurrency_worker import record_in_parallel
from tests.support import services

pytestmark = pytest.mark.mariadb

PROCESSES = 4


def run_workers(database_url, hosts, *, batches, lines_per_batch):
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no shared connection
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(
            target=record_in_parallel,
            args=(database_url, hosts, batches, lines_per_batch, seed, barrier, results),
        )
        for seed in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    errors = [detail for status, detail in outcomes if status != "ok"]
    assert not errors, errors[0]
    return sum(count for _, count in outcomes)


def records_for(database_url, hosts):
    conn = services.mariadb_connect(database_url)
    try:
        cursor = conn.cursor()
        cursor.execute(
            "SELECT host, status, occurrences FROM fault_records WHERE host IN ("
            + ", ".join(["%s"] * len(hosts))
            + ") ORDER BY host",
            list(hosts),
        )
        return cursor.fetchall()
    finally:
        conn.close()


def test_the_same_fingerprint_from_several_processes_makes_one_record_with_the_exact_count(
    migrated_mariadb,
):
    host = f"conc-{uuid.uuid4().hex[:8]}.example.com"
    total = run_workers(migrated_mariadb, [host], batches=50, lines_per_batch=5)
    assert total == PROCESSES * 50 * 5
    assert records_for(migrated_mariadb, [host]) == ((host, "open", total),)


def test_several_fingerprints_in_different_orders_do_not_deadlock(migrated_mariadb):
    tag = uuid.uuid4().hex[:8]
    hosts = [f"conc-{tag}-{n}.example.com" for n in range(6)]
    total = run_workers(migrated_mariadb, hosts, batches=30, lines_per_batch=2)
    per_host = total // len(hosts)
    assert records_for(migrated_mariadb, hosts) == tuple(
        (host, "open", per_host) for host in sorted(hosts)
    )


def test_flume_senders_posting_one_fault_line_each_to_gunicorn_make_one_exact_record(
    migrated_mariadb, tmp_path
):
    """The production shape: two gunicorn workers with threads, many agents each sending one
    line per request, the same fault on one host."""
    import threading
    import urllib.request

    from tests.support.server import PortalServer

    host = f"flume-{uuid.uuid4().hex[:8]}.example.com"
    token = services.run_manage(
        "create_api_token", host, env={"DATABASE_URL": migrated_mariadb}
    ).splitlines()[-1]
    senders, per_sender = 8, 25
    failures = []

    def send(sender: int) -> None:
        for n in range(per_sender):
            line = (
                f"2026-11-28 10:{sender:02d}:{n:02d},000 ERROR "
                "org.apache.hadoop.hdfs.server.datanode.DataNode: "
                f"{host}:9866:DataXceiverServer: Exiting due to: "
                "java.net.SocketException: Too many open files"
            )
            request = urllib.request.Request(
                f"{server.url}/api/log/auto-upload?host={host}&token={token}",
                data=line.encode(),
                headers={"Content-Type": "text/plain"},
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    if response.status != 200:
                        failures.append(response.status)
            except Exception as exc:  # every failed request must show in the assertion
                failures.append(repr(exc))

    with PortalServer(
        {"DATABASE_URL": migrated_mariadb}, workers=2, threads=4, log_path=tmp_path / "g.log"
    ) as server:
        threads = [threading.Thread(target=send, args=(i,)) for i in range(senders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    assert records_for(migrated_mariadb, [host]) == ((host, "open", senders * per_sender),)
