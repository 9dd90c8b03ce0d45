#!/usr/bin/env python
"""Thrift intake vs the HTTP intake, same database, same run: what each of Flume's sinks gets.

Starts the portal under gunicorn (gunicorn.conf.py) and `manage.py flume_thrift_source` on one
scratch MariaDB database, then drives each with bench/flume_loadgen.py, which sends as Flume's
sinks do (one call outstanding per sink):

  http    16 sinks, one line per POST (Flume's HttpSink)
  thrift  16 sinks, appendBatch of 100 events with headers (Flume's ThriftSink)

For each it prints lines/s in all and per sink, call latency p50/p99, and checks that the lines
stored equal the lines accepted; then the per-sink ratio thrift/http (the issue's target: >= 20).
Run by hand:

    .venv/bin/python bench/thrift_bench.py                 # 20 s per case
    .venv/bin/python bench/thrift_bench.py --duration 30 --rounds 2

Needs MariaDB (BENCH_MARIADB_URL, default mysql://root@127.0.0.1:3306/). The scratch database is
dropped at the end. Results go to bench/results/ (git-ignored).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from common import REPO
from ingest_bench import free_port, manage, mariadb_url, portal_counts, sql, stop, wait_http

RESULTS = REPO / "bench" / "results"


def start_portal(db_url: str, port: int, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": db_url, "BIND": f"127.0.0.1:{port}", "REDIS_URL": ""}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "faultportal.wsgi", "-c", "gunicorn.conf.py"],
        cwd=REPO, env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    wait_http(f"http://127.0.0.1:{port}/api/health")
    return process


def start_intake(
    db_url: str, workers: int, processes: int, log_path: Path
) -> tuple[subprocess.Popen, int]:
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": ""}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "flume_thrift_source", "--bind", "127.0.0.1", "--port",
         "0", "--workers", str(workers), "--processes", str(processes)],
        cwd=REPO, env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(rb"listening on .*:(\d+) ", log_path.read_bytes())
        if found:
            return process, int(found.group(1))
        if process.poll() is not None:
            sys.exit(f"the intake exited; see {log_path}")
        time.sleep(0.1)
    sys.exit("the intake did not start")


def run_case(mode: str, target: list[str], args, database: str, stamp: str, token: str) -> dict:
    before = portal_counts(database)
    out = RESULTS / f"{stamp}_flume_{mode}.json"
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "flume_loadgen.py"), "--mode", mode, *target,
         "--token", token, "--sinks", str(args.sinks), "--batch", str(args.batch),
         "--duration", str(args.duration), "--json-out", str(out)],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1)
    after = portal_counts(database)
    result = json.loads(out.read_text())
    result["stored_lines"] = after[1] - before[1]
    result["match"] = result["stored_lines"] == result["accepted_lines"]
    return result


def report(result: dict) -> str:
    return (
        f"{result['mode']:6} {result['sinks']} sinks x {result['batch']:>3} lines/call: "
        f"{result['lines_per_s']:>9,.0f} lines/s ({result['lines_per_s_per_sink']:>7,.0f} per "
        f"sink)  p50 {result['p50_ms']:>7.1f} ms  p99 {result['p99_ms']:>7.1f} ms  failed calls "
        f"{result['failed_calls']}  stored {result['stored_lines']:,}/"
        f"{result['accepted_lines']:,} {'MATCH' if result['match'] else 'MISMATCH'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per case")
    parser.add_argument("--rounds", type=int, default=1, help="http/thrift pairs, alternating")
    parser.add_argument("--sinks", type=int, default=16)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--intake-workers", type=int, default=8, help="threads per process")
    parser.add_argument("--intake-processes", type=int, default=1)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    database = f"fp_bench_thrift_{uuid.uuid4().hex[:8]}"
    db_url = f"mysql://{urlsplit(mariadb_url()).netloc}/{database}"
    sql(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    processes = []
    try:
        print(f"== migrating {database}", flush=True)
        manage("migrate", "--no-input", "-v0", env={"DATABASE_URL": db_url})
        out = manage(
            "create_api_token", "bench", "--scopes", "ingest", env={"DATABASE_URL": db_url}
        )
        token = out.strip().splitlines()[-1]
        port = free_port()
        processes.append(start_portal(db_url, port, RESULTS / f"{stamp}_portal.log"))
        intake, intake_port = start_intake(
            db_url, args.intake_workers, args.intake_processes, RESULTS / f"{stamp}_intake.log"
        )
        processes.append(intake)
        load = os.getloadavg()
        print(
            f"== {os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
            f"(shared machine); gunicorn.conf.py defaults; intake {args.intake_processes} "
            f"process(es) x {args.intake_workers} workers; "
            f"{args.duration:.0f} s per case",
            flush=True,
        )
        results = []
        targets = {
            "http": ["--url", f"http://127.0.0.1:{port}"],
            "thrift": ["--port", str(intake_port)],
        }
        for _ in range(args.rounds):
            for mode in ("http", "thrift"):
                result = run_case(mode, targets[mode], args, database, stamp, token)
                results.append(result)
                print(report(result), flush=True)
        http_rates = sorted(r["lines_per_s_per_sink"] for r in results if r["mode"] == "http")
        thrift_rates = sorted(r["lines_per_s_per_sink"] for r in results if r["mode"] == "thrift")
        ratio = thrift_rates[len(thrift_rates) // 2] / max(http_rates[len(http_rates) // 2], 0.1)
        print(f"== per-sink rate, thrift / http: {ratio:.1f}x (target >= 20x)")
        summary = {"results": results, "ratio_per_sink": round(ratio, 1), "loadavg": load}
        (RESULTS / f"{stamp}_thrift_bench.json").write_text(json.dumps(summary, indent=2))
        if not all(r["match"] for r in results):
            sys.exit("stored != accepted")
    finally:
        for process in processes:
            stop(process)
        if not args.keep_db:
            sql(f"DROP DATABASE IF EXISTS `{database}`")


if __name__ == "__main__":
    main()
