#!/usr/bin/env python
"""Fault storm benchmark: event-mode ingest of INFO lines vs lines that all show one fault.

One run, one portal (gunicorn.conf.py on a scratch MariaDB database, started and driven with
bench/ingest_bench.py's machinery), two loads, alternating for --rounds rounds:

  normal  16 one-line senders (Flume's HttpSink: one line per POST, token in the query) of
          INFO lines, which no fault type matches
  storm   the same senders, every line the NameNode's refusal to place a block as a client's
          log shows it (docs/hadoop-messages.md, "A fault storm"): one cluster-wide fault,
          `hdfs_write_no_datanodes`, that every request counts into

For each it prints accepted lines/s and request latency p50/p99, and the storm/normal ratios
(issue 17: a storm may cost at most 20 % of throughput and p99). After each storm it waits for
the occurrence counts to be flushed (FAULT_COUNT_FLUSH_SECONDS, docs/ingestion.md) and checks
that the fault's occurrences equal the storm lines stored. Run by hand:

    .venv/bin/python bench/fault_storm.py                     # 10 s per load, 2 rounds
    .venv/bin/python bench/fault_storm.py --duration 20 --rounds 3 --workers 2

Needs MariaDB (BENCH_MARIADB_URL, default mysql://root@127.0.0.1:3306/). The scratch database
is dropped at the end; results go to bench/results/ (git-ignored).
"""

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime
from urllib.parse import urlsplit

from common import REPO
from ingest_bench import (
    RESULTS,
    cpu_seconds,
    manage,
    mariadb_url,
    mariadbd_pids,
    median,
    process_tree,
    sql,
    start_portal,
    stop,
)
from ingest_bench import free_port as _free_port

LOADGEN = REPO / "bench" / "flume_loadgen.py"
NORMAL_TEXT = "{ts} INFO org.apache.hadoop.hdfs.StateChange: run {run} sink {sink} line {number}"
# What a client's log shows when the NameNode cannot place a block: a MapReduce task's YarnChild
# logs "Exception running child : " and the NameNode's IOException as the RemoteException the
# client got, its first line a complete WARN line (docs/hadoop-messages.md, "A fault storm").
STORM_TEXT = (
    "{ts} WARN [main] org.apache.hadoop.mapred.YarnChild: Exception running child : "
    "org.apache.hadoop.ipc.RemoteException(java.io.IOException): File "
    "/user/etl/run-{run}/part-{sink}-{number}._COPYING_ could only be replicated to 0 nodes "
    "instead of minReplication (=1).  There are 3 datanode(s) running and 3 node(s) are "
    "excluded in this operation."
)
STORM_FAULT = "hdfs_write_no_datanodes"


def storm_fault(database: str) -> tuple[int, str | None]:
    rows = sql(
        "SELECT r.occurrences, r.last_seen FROM fault_records r JOIN fault_types t "
        f"ON t.id = r.fault_type_id WHERE t.code = '{STORM_FAULT}'",
        database,
    )
    if not rows:
        return 0, None
    return int(rows[0][0]), str(rows[0][1])


def storm_lines(database: str) -> int:
    ((count,),) = sql(
        "SELECT COUNT(*) FROM system_logs WHERE raw LIKE '%%could only be replicated to 0 nodes%%'",
        database,
    )
    return int(count)


def run_load(kind: str, *, url: str, token: str, args, pid: int, stamp: str, number: int):
    out = RESULTS / f"{stamp}_storm_{kind}_{number}.json"
    server_cpu0, db_cpu0 = cpu_seconds(process_tree(pid)), cpu_seconds(mariadbd_pids())
    command = [
        sys.executable, str(LOADGEN), "--mode", "http", "--url", url, "--token", token,
        "--sinks", str(args.senders), "--duration", str(args.duration),
        "--processes", str(args.loadgen_processes),
        "--text", STORM_TEXT if kind == "storm" else NORMAL_TEXT, "--json-out", str(out),
    ]  # fmt: skip
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=REPO)
    result = json.loads(out.read_text())
    result["kind"] = kind
    result["server_cpu_s"] = round(cpu_seconds(process_tree(pid)) - server_cpu0, 1)
    result["mariadbd_cpu_s"] = round(cpu_seconds(mariadbd_pids()) - db_cpu0, 1)
    return result


def report_line(result: dict) -> str:
    line = (
        f"{result['kind']:6} {result['lines_per_s']:>8,.0f} lines/s  "
        f"p50 {result['p50_ms']:>7.1f} ms  p99 {result['p99_ms']:>7.1f} ms  "
        f"failed calls {result['failed_calls']}  "
        f"cpu: server {result['server_cpu_s']} s, mariadbd {result['mariadbd_cpu_s']} s"
    )
    if "fault_occurrences" in result:
        line += (
            f"  fault occurrences {result['fault_occurrences']:,} / storm lines stored "
            f"{result['storm_lines_stored']:,} {'MATCH' if result['counts_match'] else 'MISMATCH'}"
        )
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per load")
    parser.add_argument("--rounds", type=int, default=2, help="normal/storm pairs, alternating")
    parser.add_argument("--senders", type=int, default=16, help="concurrent one-line senders")
    parser.add_argument("--loadgen-processes", type=int, default=4)
    parser.add_argument("--workers", type=int, help="gunicorn workers (WEB_CONCURRENCY)")
    parser.add_argument("--threads", type=int, help="gunicorn threads (GUNICORN_THREADS)")
    parser.add_argument(
        "--flush-wait",
        type=float,
        default=5.0,
        help="longest wait for the storm's counts to be flushed before comparing, s",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", ""),
        help="REDIS_URL for the portal (rate-limit counter); default none",
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    database = f"fp_bench_storm_{uuid.uuid4().hex[:8]}"
    url = f"mysql://{urlsplit(mariadb_url()).netloc}/{database}"
    process = None
    try:
        sql(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        print(f"== migrating {database}", flush=True)
        manage("migrate", "--no-input", "-v0", env={"DATABASE_URL": url})
        token_out = manage(
            "create_api_token", f"bench-{database}", "--scopes", "ingest",
            env={"DATABASE_URL": url},
        )  # fmt: skip
        token = token_out.strip().splitlines()[-1]
        port = _free_port()
        process = start_portal(url, port, args, RESULTS / f"{stamp}_storm_portal.log")
        base = f"http://127.0.0.1:{port}"
        workers = args.workers or os.environ.get("WEB_CONCURRENCY") or "gunicorn.conf.py default"
        threads = args.threads or os.environ.get("GUNICORN_THREADS") or "default"
        print(
            f"== portal: gunicorn workers={workers} threads={threads}, "
            f"redis={args.redis_url or 'none'}; {args.duration:g} s per load, "
            f"{args.senders} senders, {args.rounds} round(s)",
            flush=True,
        )
        for kind in ("normal", "storm"):  # warm-up: imports, connections, the fault opened
            warm = [sys.executable, str(LOADGEN), "--mode", "http", "--url", base,
                    "--token", token, "--sinks", "4", "--duration", "2", "--processes", "1",
                    "--text", STORM_TEXT if kind == "storm" else NORMAL_TEXT]  # fmt: skip
            subprocess.run(warm, check=True, stdout=subprocess.DEVNULL, cwd=REPO)
        results = []
        for number in range(args.rounds):
            for kind in ("normal", "storm"):
                result = run_load(
                    kind, url=base, token=token, args=args, pid=process.pid, stamp=stamp,
                    number=number,
                )  # fmt: skip
                if kind == "storm":
                    stored = storm_lines(database)
                    deadline = time.monotonic() + args.flush_wait
                    occurrences, last_seen = storm_fault(database)
                    while occurrences != stored and time.monotonic() < deadline:
                        time.sleep(0.25)
                        occurrences, last_seen = storm_fault(database)
                    result.update(
                        fault_occurrences=occurrences,
                        storm_lines_stored=stored,
                        counts_match=occurrences == stored,
                        fault_last_seen=last_seen,
                    )
                results.append(result)
                print(report_line(result), flush=True)
        normal = [r for r in results if r["kind"] == "normal"]
        storm = [r for r in results if r["kind"] == "storm"]
        pairs = list(zip(normal, storm, strict=True))
        throughput = [s["lines_per_s"] / max(n["lines_per_s"], 1) for n, s in pairs]
        p99 = [s["p99_ms"] / max(n["p99_ms"], 0.001) for n, s in pairs]
        summary = {
            "normal_lines_per_s": median([r["lines_per_s"] for r in normal]),
            "storm_lines_per_s": median([r["lines_per_s"] for r in storm]),
            "normal_p50_ms": median([r["p50_ms"] for r in normal]),
            "storm_p50_ms": median([r["p50_ms"] for r in storm]),
            "normal_p99_ms": median([r["p99_ms"] for r in normal]),
            "storm_p99_ms": median([r["p99_ms"] for r in storm]),
            "throughput_ratio_per_round": [round(r, 3) for r in throughput],
            "p99_ratio_per_round": [round(r, 3) for r in p99],
            "throughput_ratio_median": round(median(throughput), 3),
            "p99_ratio_median": round(median(p99), 3),
            "counts_match": all(r["counts_match"] for r in storm),
        }
        print(
            f"normal {summary['normal_lines_per_s']:,.0f} lines/s "
            f"(p50 {summary['normal_p50_ms']} ms, p99 {summary['normal_p99_ms']} ms); "
            f"storm {summary['storm_lines_per_s']:,.0f} lines/s "
            f"(p50 {summary['storm_p50_ms']} ms, p99 {summary['storm_p99_ms']} ms)"
        )
        print(
            f"storm/normal: throughput {summary['throughput_ratio_median']} "
            f"(per round {summary['throughput_ratio_per_round']}), "
            f"p99 {summary['p99_ratio_median']} (per round {summary['p99_ratio_per_round']})"
        )
        print("target: throughput >= 0.8, p99 <= 1.2; fault occurrences == storm lines stored")
        print("fault occurrences == storm lines stored after every storm:", summary["counts_match"])
        document = {"stamp": stamp, "duration_s": args.duration, "rounds": args.rounds,
                    "summary": summary, "results": results}  # fmt: skip
        (RESULTS / f"{stamp}_storm_summary.json").write_text(json.dumps(document, indent=1))
        print(f"results in {RESULTS}/{stamp}_storm_*")
    finally:
        if process is not None:
            stop(process)
        if not args.keep_db:
            sql(f"DROP DATABASE IF EXISTS `{database}`")


if __name__ == "__main__":
    main()
