#!/usr/bin/env python
"""Prune benchmark: `manage.py prune` of millions of old system_logs rows under ingest load.

On a scratch MariaDB database it bulk-inserts --rows old lines (received 40 days ago, through
MariaDB's SEQUENCE engine: one INSERT … SELECT per chunk, minutes for 5 million rows) and a few
recent ones, starts the portal under gunicorn (gunicorn.conf.py), and drives it with the shared
load generator in event mode (1 line per POST, 16 senders, token in the query: what Flume's
HTTP sink sends). It measures back-to-back windows of --window seconds:

  before  ingest alone
  during  ingest while `manage.py prune --table system_logs` deletes the old rows
  after   ingest alone again (the purge thread may still be cleaning up)

and prints, per phase, the median lines/s and p99 of the windows, and the rows/s the prune
deleted (rows / its elapsed time), then checks that every old row is gone and every new one
kept. Run by hand:

    .venv/bin/python bench/prune_bench.py                      # 5,000,000 rows
    .venv/bin/python bench/prune_bench.py --rows 500000 --window 10

Needs what bench/ingest_bench.py needs (BENCH_MARIADB_URL, SHARED_BENCH, BENCH_PYTHON). The
machine's load average is printed with the figures: they mean little without it.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from common import REPO, shared_bench_dir
from ingest_bench import (
    INGEST_PATH,
    RESULTS,
    free_port,
    manage,
    mariadb,
    mariadb_url,
    median,
    sql,
    start_portal,
    stop,
)

CHUNK = 250_000

# Columns as logs/services.py writes them; a DataNode-like line of ~200 bytes of raw text.
INSERT_OLD = """
INSERT INTO system_logs (host, logtype, source_file, log_time, level, component, thread,
    message, trace, raw, is_continuation, truncated, decode_errors, received_at)
SELECT CONCAT('dn', LPAD(seq MOD 40, 2, '0'), '.example.com'), 'hadoop',
    '/var/log/hadoop/hdfs/hadoop-hdfs-datanode.log',
    @start + INTERVAL (seq DIV 20) SECOND,
    ELT(1 + seq MOD 10, 'INFO','INFO','INFO','INFO','INFO','INFO','INFO','WARN','ERROR','DEBUG'),
    'org.apache.hadoop.hdfs.server.datanode.DataNode', 'DataXceiver for client',
    CONCAT('Receiving BP-1-10.0.0.1-1 blk_', 1073741825 + seq, '_', seq MOD 9999,
           ' src: /10.0.0.', seq MOD 250, ':50010 dest: /10.0.0.', seq MOD 200, ':50010'),
    '',
    CONCAT('2026-10-20 10:15:32,123 INFO org.apache.hadoop.hdfs.server.datanode.DataNode: ',
           'Receiving BP-1-10.0.0.1-1 blk_', 1073741825 + seq, '_', seq MOD 9999,
           ' src: /10.0.0.', seq MOD 250, ':50010 dest: /10.0.0.', seq MOD 200, ':50010'),
    0, 0, 0, @start + INTERVAL (seq DIV 20) SECOND
FROM seq_{low}_to_{high}
"""


def load_old_rows(database: str, rows: int) -> float:
    started = time.monotonic()
    conn = mariadb(database)
    try:
        cursor = conn.cursor()
        # 40 days back and earlier: everything is past the 30-day default retention.
        cursor.execute("SET @start = UTC_TIMESTAMP() - INTERVAL 40 DAY - INTERVAL %s SECOND",
                       [rows // 20 + 1])  # fmt: skip
        for low in range(1, rows + 1, CHUNK):
            high = min(low + CHUNK - 1, rows)
            cursor.execute(INSERT_OLD.format(low=low, high=high))
            print(f"   {high:,} / {rows:,} old rows", flush=True)
    finally:
        conn.close()
    return time.monotonic() - started


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def window(python: str, shared: Path, url: str, token: str, seconds: float, out: Path) -> dict:
    command = [python, str(shared / "loadgen.py"), "--url", url, "--duration", str(seconds),
               "-c", "16", "--json-out", str(out), "--mode", "event",
               "--token", token, "--token-param", "token", "--no-token-header"]  # fmt: skip
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})  # fmt: skip
    result = json.loads(out.read_text())
    return {
        "lines_per_s": result["events_per_s"],
        "p50_ms": result["p50_ms"],
        "p99_ms": result["p99_ms"],
        "non_2xx": result["non_2xx"] or 0,
        "loadavg": loadavg(),
    }


def phase_line(name: str, windows: list[dict]) -> str:
    rate = median([w["lines_per_s"] for w in windows])
    p99 = median([w["p99_ms"] for w in windows])
    return (
        f"{name:6} {len(windows)} windows: median {rate:,.0f} lines/s, p99 median {p99:.1f} ms "
        f"(max {max(w['p99_ms'] for w in windows):.1f}), p50 median "
        f"{median([w['p50_ms'] for w in windows]):.1f} ms, non-2xx "
        f"{sum(w['non_2xx'] for w in windows)}; load {', '.join(w['loadavg'] for w in windows)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000, help="old rows to prune")
    parser.add_argument("--window", type=float, default=15.0, help="seconds per load window")
    parser.add_argument("--baseline", type=int, default=3, help="windows before and after")
    parser.add_argument("--batch-size", type=int, default=2000, help="prune --batch-size")
    parser.add_argument("--keep-db", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    shared = shared_bench_dir()
    python = os.environ.get("BENCH_PYTHON", str(REPO / "bench" / ".venv" / "bin" / "python"))
    if not Path(python).exists():
        sys.exit(f"{python} missing: python3 -m venv bench/.venv && "
                 f"bench/.venv/bin/pip install -r {shared}/requirements.txt")  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    database = f"fp_bench_prune_{uuid.uuid4().hex[:8]}"
    db_url = f"mysql://{urlsplit(mariadb_url()).netloc}/{database}"
    sql(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    portal = None
    try:
        print(f"== migrating {database}", flush=True)
        manage("migrate", "--no-input", "-v0", env={"DATABASE_URL": db_url})
        print(f"== inserting {args.rows:,} old rows", flush=True)
        seconds = load_old_rows(database, args.rows)
        print(f"   {args.rows / seconds:,.0f} rows/s inserted", flush=True)
        ((old_high,),) = sql("SELECT MAX(id) FROM system_logs", database)
        token = manage("create_api_token", f"bench-{stamp}", "--scopes", "ingest",
                       env={"DATABASE_URL": db_url}).strip().splitlines()[-1]  # fmt: skip
        port = free_port()
        gunicorn_args = argparse.Namespace(redis_url="", workers=None, threads=None)
        portal = start_portal(db_url, port, gunicorn_args, RESULTS / f"{stamp}_prune_portal.log")
        url = f"http://127.0.0.1:{port}{INGEST_PATH}?host=bench-dn01&logtype=hadoop"
        window(python, shared, url, token, 3, RESULTS / f"{stamp}_warm.json")
        print(f"== event mode, 16 senders, {args.window:g} s windows; mariadb "
              f"innodb_buffer_pool_size {sql('SELECT @@innodb_buffer_pool_size')[0][0]:,}",
              flush=True)  # fmt: skip

        def windows(name: str, count: int | None, until=None) -> list[dict]:
            found = []
            while (count is not None and len(found) < count) or (until and not until()):
                out = RESULTS / f"{stamp}_{name}_{len(found)}.json"
                found.append(window(python, shared, url, token, args.window, out))
                print(f"   {name} {found[-1]}", flush=True)
            return found

        before = windows("before", args.baseline)
        prune_out = {}

        def run_prune():
            started = time.monotonic()
            prune_out["stdout"] = manage("prune", "--table", "system_logs", "--batch-size",
                                         str(args.batch_size), "--no-progress",
                                         env={"DATABASE_URL": db_url})  # fmt: skip
            prune_out["seconds"] = time.monotonic() - started

        pruner = threading.Thread(target=run_prune)
        pruner.start()
        during = windows("during", None, until=lambda: not pruner.is_alive())
        pruner.join()
        after = windows("after", args.baseline)

        ((left_old,),) = sql(f"SELECT COUNT(*) FROM system_logs WHERE id <= {old_high}", database)
        ((new_rows,),) = sql(f"SELECT COUNT(*) FROM system_logs WHERE id > {old_high}", database)
        rate = args.rows / prune_out["seconds"]
        print("== results")
        print(phase_line("before", before))
        print(phase_line("during", during))
        print(phase_line("after", after))
        print(f"prune: {prune_out['stdout'].strip()}")
        print(
            f"prune: {args.rows:,} rows in {prune_out['seconds']:.1f} s = {rate:,.0f} rows/s "
            f"(batch {args.batch_size}); old rows left {left_old}, new rows kept {new_rows:,}"
        )
        document = {"rows": args.rows, "batch_size": args.batch_size, "window_s": args.window,
                    "before": before, "during": during, "after": after,
                    "prune_seconds": prune_out["seconds"], "rows_per_s": rate,
                    "old_rows_left": left_old, "new_rows_kept": new_rows}  # fmt: skip
        (RESULTS / f"{stamp}_prune_summary.json").write_text(json.dumps(document, indent=1))
        if left_old:
            sys.exit("old rows were left behind")
    finally:
        if portal is not None:
            stop(portal)
        if not args.keep_db:
            sql(f"DROP DATABASE IF EXISTS `{database}`")


if __name__ == "__main__":
    main()
