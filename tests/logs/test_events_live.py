"""Events across requests under a live gunicorn on MariaDB: the portal restarts between two lines
of a stack trace, and the trace still joins its header (docs/events.md, "Answers, restarts,
resends"). The stream's open event is in the database, not in a worker."""

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from tests.logs.test_events import cluster_id_trace
from tests.logs.test_upload_live import create_token, post
from tests.support import services
from tests.support.server import PortalServer

pytestmark = pytest.mark.mariadb


def rows_of(database_url: str, host: str) -> list[tuple]:
    conn = services.mariadb_connect(database=urlsplit(database_url).path.lstrip("/"))
    try:
        cursor = conn.cursor()
        cursor.execute(
            "SELECT id, event_head, event_seq, log_time, level, component, raw FROM system_logs "
            "WHERE host = %s ORDER BY id",
            (host,),
        )
        return list(cursor.fetchall())
    finally:
        conn.close()


def test_a_restart_between_two_lines_of_a_trace_loses_and_misattaches_nothing(
    migrated_mariadb, tmp_path
):
    token = create_token(migrated_mariadb)
    host = f"restart-{uuid.uuid4().hex[:6]}.example.com"
    at = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    lines = cluster_id_trace(at)
    env = {"DATABASE_URL": migrated_mariadb, "REDIS_URL": ""}

    def send(server, some):
        for line in some:
            url = f"{server.url}/api/log/auto-upload?host={host}&logtype=hdfs&token={token}"
            status, _, body = post(url, line.encode())
            assert status == 200, body

    with PortalServer(env, workers=2, threads=2, log_path=tmp_path / "first.log") as first:
        send(first, lines[:3])
    # Another process, other workers: nothing of the first is left but the database.
    with PortalServer(env, workers=2, threads=2, log_path=tmp_path / "second.log") as second:
        send(second, lines[3:])

    rows = rows_of(migrated_mariadb, host)
    assert [row[6] for row in rows] == lines  # nothing lost, in order
    head = rows[0]
    assert head[1] is None
    assert [row[1] for row in rows[1:]] == [head[0]] * (len(lines) - 1)
    assert [row[2] for row in rows] == list(range(len(lines)))
    assert {(row[3], row[4], row[5]) for row in rows} == {
        (at.replace(tzinfo=None), "ERROR", "org.apache.hadoop.hdfs.server.datanode.DataNode")
    }
