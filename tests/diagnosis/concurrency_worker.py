"""A child process for the concurrency test: its own Django, its own connection to MariaDB.

Kept free of Django imports at module level: a spawned child imports this module before it
has chosen its database.
"""

import os
import random
import traceback


def record_in_parallel(database_url, hosts, batches, lines_per_batch, seed, barrier, results):
    """Ingest `batches` requests of `lines_per_batch` fd-exhaustion lines per host, hosts in
    this process's own random order, and report ("ok", n) or ("error", traceback)."""
    try:
        os.environ["DATABASE_URL"] = database_url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "faultportal.settings")
        import django

        django.setup()
        from datetime import UTC, datetime, timedelta

        from django.db import connection

        from tests.diagnosis.ingest import ingest
        from tests.diagnosis.loglines import log4j

        connection.ensure_connection()
        rng = random.Random(seed)
        start = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
        barrier.wait(timeout=60)  # everyone connected: now collide
        recorded = 0
        for batch in range(batches):
            order = list(hosts)
            rng.shuffle(order)
            lines = []
            for host in order:
                stamp = (start + timedelta(seconds=batch)).strftime("%Y-%m-%d %H:%M:%S,000")
                lines += [
                    log4j(
                        f"{stamp} ERROR org.apache.hadoop.hdfs.server.datanode.DataNode: "
                        f"{host}:9866:DataXceiverServer: Exiting due to: ",
                        host=host,
                        trace="java.net.SocketException: Too many open files",
                    )
                    for _ in range(lines_per_batch)
                ]
            ingest(lines)
            recorded += len(lines)
        results.put(("ok", recorded))
    except BaseException:  # report everything: the parent asserts on it
        results.put(("error", traceback.format_exc()))
