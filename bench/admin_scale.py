"""Admin pages at production scale: seed MySQL/MariaDB fast, then time every list page.

A benchmark tool, not an operations command:

    DATABASE_URL=mysql://root@127.0.0.1:3306/fp_bench \\
        .venv/bin/python bench/admin_scale.py --rows 5000000 --faults 10000

It empties and refills the portal's tables, so it refuses any database whose name does not
contain "bench". Seeding is skipped when the database already holds the requested volume
(--reseed forces it).

Seeding. system_logs is filled by the server itself: INSERT … SELECT over a table of sequence
numbers, each row's host, level, log type, component and message derived from its number by
multiplicative hashing (deterministic, so two runs seed the same data). Rows go in id order with
log_time rising with the id, as ingestion writes them, so every index grows at its end. Nothing
crosses the client connection per row, which beats both executemany (≈39k rows/s here) and LOAD
DATA LOCAL INFILE from a generated file (≈70k rows/s): see the figures the command prints. The
smaller tables (fault records and their events, exec logs, cluster status, tokens) go in with
bulk_create. Then ANALYZE TABLE, so the optimizer plans with real statistics.

Measuring. Each page is requested through Django's test client in this process with a logged-in
superuser: the time is server time (URL routing, middleware, view, queries, template), without
network or WSGI server. One warm-up request, then --runs timed ones; the table gives the median
and the maximum, the number of queries and the median time spent in SQL.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode

TARGET_MS = 500
SEQ_TABLE = "bench_seq"
SEQ_ROWS = 1_000_000  # sequence numbers per INSERT … SELECT (also the chunk size)
HOSTS = 53  # nn01, nn02, rm01 and dn01…dn50
RARE_HOST = "edge01"  # one line in 100,000: a host with few lines among millions
SPAN = timedelta(days=7)  # log_time covers the last week, ending now

COMPONENTS = [
    "org.apache.hadoop.hdfs.server.datanode.DataNode",
    "org.apache.hadoop.hdfs.server.datanode.DataXceiver",
    "org.apache.hadoop.hdfs.server.namenode.FSNamesystem",
    "org.apache.hadoop.hdfs.StateChange",
    "org.apache.hadoop.ipc.Server",
    "org.apache.hadoop.yarn.server.nodemanager.containermanager.monitor.ContainersMonitorImpl",
    "org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.CapacityScheduler",
    "org.apache.hadoop.mapred.MapTask",
    "org.apache.hadoop.util.JvmPauseMonitor",
    "org.apache.hadoop.hdfs.server.blockmanagement.BlockManager",
]
# Message templates; {i} is replaced by SQL deriving numbers from the row number.
MESSAGES = [
    "Receiving BP-1{i}-10.0.0.1-1700000000000:blk_{i}_{g} src: /10.0.1.{o}:50010 dest: "
    "/10.0.1.{p}:50010",
    "PacketResponder: BP-1{i}:blk_{i}_{g}, type=LAST_IN_PIPELINE terminating",
    "BLOCK* allocate blk_{i}_{g}, replicas=10.0.1.{o}:50010, 10.0.1.{p}:50010 for "
    "/user/etl/part-{g}",
    "Detected pause in JVM or host machine (eg GC): pause of approximately {g}ms",
    "Container [pid={g},containerID=container_1700000000000_{o}_01_{i}] is running beyond "
    "physical memory limits. Current usage: 2.1 GB of 2 GB physical memory used",
    "IPC Server handler {o} on 8020, call Call#{i} Retry#0 org.apache.hadoop.hdfs.protocol."
    "ClientProtocol.addBlock from 10.0.1.{p}:4{g}",
    "Slow BlockReceiver write packet to mirror took {g}ms (threshold=300ms)",
    "DataXceiver error processing WRITE_BLOCK operation src: /10.0.1.{o}:4{g} dst: "
    "/10.0.1.{p}:50010",
    "Exception in createBlockOutputStream blk_{i}_{g} java.io.IOException: Bad connect ack "
    "with firstBadLink as 10.0.1.{o}:50010",
    "Task attempt_1700000000000_{o}_m_{i}_0 is done. And is in the process of committing",
    "Scheduling the block blk_{i}_{g} for deletion on 10.0.1.{o}:50010",
    "Number of transactions: {g} Total time for transactions(ms): {o} Number of syncs: {p}",
]
TRACE = (
    "java.io.IOException: Connection reset by peer\n"
    "\tat sun.nio.ch.FileDispatcherImpl.read0(Native Method)\n"
    "\tat org.apache.hadoop.net.SocketInputStream$Reader.performIO(SocketInputStream.java:57)\n"
    "\tat org.apache.hadoop.hdfs.server.datanode.DataXceiver.run(DataXceiver.java:310)"
)


def sql_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def _message_sql() -> str:
    """ELT(k, …) over the templates, with numbers derived from the row number `i`."""
    parts = []
    for template in MESSAGES:
        pieces = []
        rest = template
        while "{" in rest:
            head, _, tail = rest.partition("{")
            name, _, rest = tail.partition("}")
            if head:
                pieces.append(sql_string(head))
            pieces.append(
                {"i": "i", "g": "(1001 + i MOD 977)", "o": "(i MOD 251)", "p": "(i MOD 239)"}[name]
            )
        if rest:
            pieces.append(sql_string(rest))
        parts.append(f"CONCAT({', '.join(pieces)})")
    return f"ELT(1 + (i * 7) MOD {len(MESSAGES)}, {', '.join(parts)})"


def _system_logs_insert_sql(*, first: int, count: int, total: int, start: datetime) -> str:
    """Rows first … first+count-1 of `total`, log_time from `start` across SPAN."""
    span_us = int(SPAN.total_seconds() * 1_000_000)
    components = ", ".join(sql_string(c) for c in COMPONENTS)
    start_sql = sql_string(start.strftime("%Y-%m-%d %H:%M:%S"))
    # hl: level, hh: host, ht: log type; independent hashes so they do not correlate.
    return f"""
INSERT INTO system_logs (id, host, logtype, source_file, log_time, level, component, thread,
    message, trace, raw, is_continuation, truncated, decode_errors, received_at)
SELECT i + 1, host, logtype, CONCAT('/var/log/hadoop/', logtype, '-', host, '.log'), t, level,
    component, CONCAT('IPC Server handler ', i MOD 64, ' on 8020'), message,
    IF(level IN ('ERROR', 'FATAL'), {sql_string(TRACE)}, ''),
    CONCAT(COALESCE(DATE_FORMAT(t, '%Y-%m-%d %H:%i:%s,000 '), ''), level, ' ', component, ': ',
           message),
    t IS NULL, 0, 0, COALESCE(t, {start_sql}) + INTERVAL 1 SECOND
FROM (
  SELECT i, host, logtype, level, message,
    ELT(1 + (i * 31) MOD {len(COMPONENTS)}, {components}) AS component,
    IF(level = 'UNKNOWN', NULL,
       {start_sql} + INTERVAL (i * {span_us} DIV {total}) MICROSECOND) AS t
  FROM (
    SELECT i,
      CASE WHEN i MOD 100000 = 7 THEN '{RARE_HOST}'
           WHEN hh = 0 THEN 'nn01' WHEN hh = 1 THEN 'nn02' WHEN hh = 2 THEN 'rm01'
           ELSE CONCAT('dn', LPAD(hh - 2, 2, '0')) END AS host,
      CASE WHEN ht < 40 THEN 'hadoop' WHEN ht < 70 THEN 'hdfs' WHEN ht < 95 THEN 'yarn'
           ELSE 'mapreduce' END AS logtype,
      CASE WHEN hl < 1 THEN 'FATAL' WHEN hl < 151 THEN 'ERROR' WHEN hl < 751 THEN 'WARN'
           WHEN hl < 1451 THEN 'DEBUG' WHEN hl < 1481 THEN 'UNKNOWN' ELSE 'INFO' END AS level,
      {_message_sql()} AS message
    FROM (
      SELECT i, (i * 40503) MOD {HOSTS} AS hh, (i * 2654435761) MOD 10000 AS hl,
             (i * 97) MOD 100 AS ht
      FROM (SELECT {first} + n AS i FROM {SEQ_TABLE} WHERE n < {count}) numbers
    ) hashed
  ) picked
) shaped
ORDER BY i
"""


@dataclass
class Timed:
    label: str
    seconds: float
    rows: int

    def __str__(self) -> str:
        rate = self.rows / self.seconds if self.seconds else float("inf")
        return f"{self.label}: {self.rows:,} rows in {self.seconds:.1f} s ({rate:,.0f} rows/s)"


def _execute(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def ensure_sequence_table() -> None:
    """bench_seq(n) holding 0 … SEQ_ROWS-1: the source rows INSERT … SELECT derives from."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {SEQ_TABLE} (n INT PRIMARY KEY)")
        cursor.execute(f"SELECT COUNT(*) FROM {SEQ_TABLE}")
        if cursor.fetchone()[0] == SEQ_ROWS:
            return
        cursor.execute(f"TRUNCATE TABLE {SEQ_TABLE}")
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_digits (d INT PRIMARY KEY)")
        cursor.execute("TRUNCATE TABLE bench_digits")
        cursor.execute("INSERT INTO bench_digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)")
        digits = [f"bench_digits d{k}" for k in range(6)]
        number = " + ".join(f"d{k}.d * {10**k}" for k in range(6))
        cursor.execute(
            f"INSERT INTO {SEQ_TABLE} (n) SELECT {number} FROM {' CROSS JOIN '.join(digits)}"
        )
        cursor.execute("DROP TABLE bench_digits")


def seed_system_logs(*, rows: int, progress) -> Timed:
    started = time.perf_counter()
    ensure_sequence_table()
    start = (timezone.now() - SPAN).astimezone(UTC).replace(tzinfo=None)
    first = 0
    while first < rows:
        count = min(SEQ_ROWS, rows - first)
        # One transaction per chunk keeps the undo log bounded.
        _execute(_system_logs_insert_sql(first=first, count=count, total=rows, start=start))
        first += count
        elapsed = time.perf_counter() - started
        progress(f"  system_logs: {first:,}/{rows:,} ({first / elapsed:,.0f} rows/s)")
    return Timed("system_logs (INSERT … SELECT)", time.perf_counter() - started, rows)


def seed_faults(*, faults: int, log_rows: int) -> Timed:
    from diagnosis.models import FaultEvent, FaultRecord, FaultType

    started = time.perf_counter()
    types = list(FaultType.objects.order_by("id"))
    now = timezone.now()
    statuses = ["resolved"] * 80 + ["ignored"] * 12 + ["open"] * 5 + ["acknowledged"] * 3
    records = []
    for k in range(faults):
        fault_type = types[k % len(types)]
        host = f"dn{1 + (k * 7) % 50:02d}"
        last_seen = now - timedelta(minutes=(k * 37) % int(SPAN.total_seconds() // 60))
        status = statuses[(k * 13) % len(statuses)]
        records.append(
            FaultRecord(
                fault_type=fault_type,
                fingerprint=hashlib.sha256(f"bench-{k}".encode()).hexdigest(),
                host=host,
                component=COMPONENTS[k % len(COMPONENTS)],
                title=f"{fault_type.name} on {host}",
                message=f"{fault_type.name}: sample message #{k}",
                severity=fault_type.default_severity,
                status=status,
                first_seen=last_seen - timedelta(hours=k % 48),
                last_seen=last_seen,
                occurrences=1 + (k * 17) % 500,
                first_sample=f"2026-11-28 10:15:32,123 ERROR {fault_type.code} first #{k}",
                latest_sample=f"2026-11-28 10:15:32,123 ERROR {fault_type.code} latest #{k}",
                first_log_id=1 + (k * 499) % max(log_rows, 1),
                latest_log_id=1 + (k * 997) % max(log_rows, 1),
                acknowledged_at=last_seen if status == "acknowledged" else None,
                acknowledged_by="alice" if status == "acknowledged" else "",
                resolved_at=last_seen if status == "resolved" else None,
                resolved_by="system" if status == "resolved" else "",
                resolution="quiet" if status == "resolved" else "",
            )
        )
    FaultRecord.objects.bulk_create(records, batch_size=1000)
    ids = list(FaultRecord.objects.order_by("id").values_list("id", "status"))
    events = [FaultEvent(fault_id=pk, action="opened", actor="system") for pk, _ in ids]
    events += [
        FaultEvent(fault_id=pk, action="resolved", actor="system")
        for pk, status in ids
        if status == "resolved"
    ]
    FaultEvent.objects.bulk_create(events, batch_size=2000)
    return Timed("fault_records + fault_events", time.perf_counter() - started, faults)


def seed_exec_logs(*, runs: int, fault_ids: list[int]) -> Timed:
    from runs.models import ExecLog

    started = time.perf_counter()
    now = timezone.now()
    scripts = ["check_datanode_disks.sh", "restart_nodemanager.sh", "hdfs_balancer.sh", "fsck.sh"]
    statuses = ["succeeded"] * 85 + ["failed"] * 10 + ["timed_out"] * 3 + ["running"] * 2
    batch = []
    for k in range(runs):
        begun = now - timedelta(minutes=(k * 11) % int(SPAN.total_seconds() // 60))
        status = statuses[(k * 7) % len(statuses)]
        batch.append(
            ExecLog(
                script=scripts[k % len(scripts)],
                args=["--host", f"dn{1 + k % 50:02d}"],
                host=f"dn{1 + k % 50:02d}",
                trigger="fault" if k % 5 == 0 else "cron",
                status=status,
                exit_code=None if status == "running" else (0 if status == "succeeded" else 1),
                started_at=begun,
                finished_at=None if status == "running" else begun + timedelta(seconds=42),
                duration_seconds=None if status == "running" else 42.0,
                stdout_tail="ok\n" * 20,
                fault_id=fault_ids[k % len(fault_ids)] if fault_ids and k % 5 == 0 else None,
            )
        )
    ExecLog.objects.bulk_create(batch, batch_size=2000)
    return Timed("exec_logs", time.perf_counter() - started, runs)


def seed_cluster_status(*, snapshots: int) -> Timed:
    from cluster.models import ClusterStatus

    started = time.perf_counter()
    now = timezone.now()
    rows = 0
    batch = []
    for k in range(snapshots):
        at = now - timedelta(minutes=5 * k)
        collection = f"bench{k:08d}"
        common = {"collection_id": collection, "collected_at": at, "source": "collector"}
        batch.append(
            ClusterStatus(
                **common,
                scope="cluster",
                role="cluster",
                state="ok",
                capacity_total_bytes=500 * 2**40,
                capacity_used_bytes=310 * 2**40,
                capacity_used_pct=62.0,
                live_datanodes=50,
                dead_datanodes=0,
                stale_datanodes=0,
                missing_blocks=0,
                under_replicated_blocks=k % 40,
                safe_mode=False,
                active_namenode="nn01",
            )
        )
        for node in range(1, 51):
            batch.append(
                ClusterStatus(
                    **common,
                    scope="node",
                    role="datanode",
                    host=f"dn{node:02d}",
                    state="live",
                    capacity_total_bytes=10 * 2**40,
                    capacity_used_bytes=6 * 2**40,
                    last_contact_seconds=1,
                )
            )
        if len(batch) >= 5000:
            ClusterStatus.objects.bulk_create(batch)
            rows += len(batch)
            batch = []
    ClusterStatus.objects.bulk_create(batch)
    rows += len(batch)
    return Timed("cluster_status", time.perf_counter() - started, rows)


def seed_tokens(*, count: int, creator) -> Timed:
    from faultportal.services import api_token_create

    started = time.perf_counter()
    for k in range(count):
        api_token_create(name=f"bench-flume-dn{k:02d}", scopes="ingest", created_by=creator)
    return Timed("api_tokens", time.perf_counter() - started, count)


def analyze_tables() -> None:
    _execute("ANALYZE TABLE system_logs, fault_records, fault_events, exec_logs, cluster_status")


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class PageResult:
    label: str
    url: str
    status: int
    queries: int
    median_ms: float
    max_ms: float
    sql_ms: float
    note: str = ""


def admin_pages(*, log_rows: int) -> list[tuple[str, str]]:
    """(label, url) of every page measured; the system-log variants are the paths operators use."""
    from diagnosis.models import FaultRecord
    from faultportal.admin_pagination import EstimatedCountPaginator
    from logs.admin.links import system_logs_admin_url
    from logs.admin.system_log import SystemLogAdmin
    from logs.models import SystemLog

    logs = reverse("admin:logs_systemlog_changelist")
    middle = timezone.now() - SPAN / 2
    some_line = SystemLog.objects.order_by().values_list("pk", flat=True).last()
    some_fault = FaultRecord.objects.order_by().values_list("pk", flat=True).last()
    # The deepest page the list offers: its OFFSET is the most a page can cost.
    per_page = SystemLogAdmin.list_per_page
    last_page = max(1, min(EstimatedCountPaginator.count_limit, log_rows) // per_page)
    pages = [
        ("system logs", logs),
        ("system logs: level=ERROR", f"{logs}?level__exact=ERROR"),
        ("system logs: level=FATAL (rare)", f"{logs}?level__exact=FATAL"),
        ("system logs: host=dn07", f"{logs}?host=dn07"),
        (f"system logs: host={RARE_HOST} (rare)", f"{logs}?host={RARE_HOST}"),
        (
            "system logs: host + 1 h range (fault link)",
            system_logs_admin_url(
                host="dn07",
                start=middle - timedelta(minutes=30),
                end=middle + timedelta(minutes=30),
            ),
        ),
        ("system logs: last hour", f"{logs}?since=1h"),
        ("system logs: host + level=ERROR", f"{logs}?host=dn07&level__exact=ERROR"),
        ("system logs: log type=mapreduce", f"{logs}?logtype=mapreduce"),
        ("system logs: search host", f"{logs}?{urlencode({'q': 'dn07'})}"),
        ("system logs: search id", f"{logs}?q={some_line or 1}"),
        (f"system logs: page {last_page} (deepest)", f"{logs}?p={last_page}"),
        ("system log line (detail)", reverse("admin:logs_systemlog_change", args=[some_line or 1])),
        ("fault records", reverse("admin:diagnosis_faultrecord_changelist")),
        (
            "fault records: open",
            reverse("admin:diagnosis_faultrecord_changelist") + "?status__exact=open",
        ),
        ("fault record (detail)", reverse("admin:diagnosis_faultrecord_change", args=[some_fault])),
        ("exec logs", reverse("admin:runs_execlog_changelist")),
        ("cluster status", reverse("admin:cluster_clusterstatus_changelist")),
        (
            "cluster status: DataNode rows",
            reverse("admin:cluster_clusterstatus_changelist") + "?role__exact=datanode",
        ),
        (
            "cluster status: search host",
            reverse("admin:cluster_clusterstatus_changelist") + "?q=dn07",
        ),
        ("fault events", reverse("admin:diagnosis_faultevent_changelist")),
        ("diagnoses", reverse("admin:diagnosis_diagnosis_changelist")),
        ("script health", reverse("admin:runs_execlog_scripts")),
        ("fault types", reverse("admin:diagnosis_faulttype_changelist")),
        ("API tokens", reverse("admin:faultportal_apitoken_changelist")),
    ]
    return pages


def dashboard_url() -> str | None:
    for name in ("dashboard", "cluster:dashboard"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def dashboard_pages() -> list[tuple[str, str, object]]:
    """(label, url, before) of the dashboard pages; `before` runs ahead of each timed request.

    The dashboard is measured twice: as operators mostly see it (the completed hours of the
    log-volume chart cached, only the current hour counted), and with that cache emptied before
    every request (all 24 hours counted: the worst render, once per cache period).
    """
    from diagnosis.models import FaultRecord
    from logs.volume import log_volume_forget

    url = dashboard_url()
    if url is None:
        return []
    pages = [
        ("dashboard", url, None),
        ("dashboard (log-volume cache empty)", url, log_volume_forget),
    ]
    pages.append(("host page: dn07", reverse("dashboard-host", args=["dn07"]), None))
    pages.append(
        (f"host page: {RARE_HOST} (rare)", reverse("dashboard-host", args=[RARE_HOST]), None)
    )
    some_fault = FaultRecord.objects.order_by().values_list("pk", flat=True).last()
    if some_fault is not None:
        pages.append(("fault page", reverse("dashboard-fault", args=[some_fault]), None))
    return pages


def measure(client: Client, label: str, url: str, *, runs: int, before=None) -> PageResult:
    client.get(url)  # warm-up: caches, first-use imports, buffer pool
    timings, sql_times, statuses, queries = [], [], set(), 0
    for _ in range(runs):
        if before is not None:
            before()
        with CaptureQueriesContext(connection) as ctx:
            began = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - began) * 1000)
        statuses.add(response.status_code)
        queries = len(ctx.captured_queries)
        sql_times.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
    status = max(statuses)
    return PageResult(
        label=label,
        url=url,
        status=status,
        queries=queries,
        median_ms=statistics.median(timings),
        max_ms=max(timings),
        sql_ms=statistics.median(sql_times),
        note="" if status == 200 else f"HTTP {sorted(statuses)}",
    )


def format_table(results: list[PageResult]) -> str:
    width = max(len(r.label) for r in results)
    lines = [
        f"{'page'.ljust(width)}  {'median ms':>9}  {'max ms':>7}  {'sql ms':>7}  {'queries':>7}",
        "-" * (width + 42),
    ]
    for r in results:
        flag = "" if r.max_ms < TARGET_MS else f"  over {TARGET_MS} ms"
        lines.append(
            f"{r.label.ljust(width)}  {r.median_ms:9.1f}  {r.max_ms:7.1f}  {r.sql_ms:7.1f}  "
            f"{r.queries:7d}{flag}{('  ' + r.note) if r.note else ''}"
        )
    return "\n".join(lines)


# --- The run: checks, seeding, measuring ---------------------------------------------------------

SEEDED_TABLES = [
    "system_logs",
    "fault_events",
    "diagnoses",
    "exec_logs",
    "fault_records",
    "cluster_status",
    "ingest_requests",
    "api_tokens",
]


class NotABenchDatabase(Exception):
    """The database is not MySQL/MariaDB, or its name does not say it is for benchmarks."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark tool: seed a *bench* MySQL/MariaDB database, time every admin page."
    )
    parser.add_argument("--rows", type=int, default=5_000_000, help="system_logs rows")
    parser.add_argument("--faults", type=int, default=10_000, help="fault_records rows")
    parser.add_argument("--exec-runs", type=int, default=20_000, help="exec_logs rows")
    parser.add_argument(
        "--snapshots",
        type=int,
        default=2016,
        help="cluster snapshots, 51 rows each (default: a week at one per 5 minutes)",
    )
    parser.add_argument("--runs", type=int, default=5, help="timed requests per page")
    parser.add_argument("--reseed", action="store_true", help="empty and seed again")
    parser.add_argument("--seed-only", action="store_true")
    parser.add_argument("--measure-only", action="store_true")
    return parser.parse_args(argv)


def bench_run(options: argparse.Namespace, write=print) -> None:
    from django.core.management import call_command

    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "mysql":
        raise NotABenchDatabase("Run it on MySQL/MariaDB: set DATABASE_URL=mysql://…/fp_bench.")
    if "bench" not in name:
        raise NotABenchDatabase(
            f"Database {name!r} does not look like a benchmark database (its name must "
            "contain 'bench'): this benchmark empties the portal's tables."
        )
    call_command("migrate", verbosity=0, interactive=False)
    admin_user = _bench_admin()
    _describe_server(name, write)
    if not options.measure_only:
        _seed(options, admin_user, write)
    if not options.seed_only:
        _measure(options, admin_user, write)


def _bench_admin():
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    return user


def _describe_server(name: str, write) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT VERSION(), @@innodb_buffer_pool_size")
        version, pool = cursor.fetchone()
    write(
        f"database {name} on {version}; innodb_buffer_pool_size {int(pool) // 2**20} MiB; "
        f"{platform.node()} ({platform.machine()})"
    )


def _seeded_volume() -> tuple[int, int]:
    with connection.cursor() as cursor:
        # Exact counts, once, at seeding time only (the pages never count like this).
        cursor.execute("SELECT COUNT(*) FROM system_logs")
        rows = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM fault_records")
        faults = cursor.fetchone()[0]
    return rows, faults


def _seed(options: argparse.Namespace, admin_user, write) -> None:
    from diagnosis.models import FaultRecord

    rows, faults = options.rows, options.faults
    if not options.reseed and _seeded_volume() == (rows, faults):
        write(f"already seeded: {rows:,} lines, {faults:,} faults")
        return
    write(f"seeding {rows:,} system_logs rows and {faults:,} fault records …")
    with connection.cursor() as cursor:
        cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
        for table in SEEDED_TABLES:
            cursor.execute(f"TRUNCATE TABLE {table}")
        cursor.execute("SET FOREIGN_KEY_CHECKS = 1")
    timings = [seed_system_logs(rows=rows, progress=write)]
    timings.append(seed_faults(faults=faults, log_rows=rows))
    fault_ids = list(FaultRecord.objects.values_list("pk", flat=True)[:1000])
    timings.append(seed_exec_logs(runs=options.exec_runs, fault_ids=fault_ids))
    timings.append(seed_cluster_status(snapshots=options.snapshots))
    timings.append(seed_tokens(count=20, creator=admin_user))
    analyze_tables()
    for timed in timings:
        write(f"  {timed}")


def _measure(options: argparse.Namespace, admin_user, write) -> None:
    client = Client()
    client.force_login(admin_user)
    rows, faults = _seeded_volume()
    pages = [(label, url, None) for label, url in admin_pages(log_rows=rows)]
    pages += dashboard_pages()
    write(
        f"\nserver time per page, {options.runs} runs after a warm-up "
        f"({rows:,} system_logs rows, {faults:,} fault records; target < {TARGET_MS} ms):\n"
    )
    results = [
        measure(client, label, url, runs=options.runs, before=before)
        for label, url, before in pages
    ]
    write(format_table(results))
    if not dashboard_url():
        write("\ndashboard: not measured (no URL named 'dashboard' yet)")


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    try:
        bench_run(options)
    except NotABenchDatabase as exc:
        print(f"admin_scale: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "faultportal.settings")
    import django

    django.setup()
    sys.exit(main())
