#!/usr/bin/env python
"""Soak of the Thrift intake: batches for N minutes while the server is stopped and restarted.

Starts `manage.py flume_thrift_source` on a scratch MariaDB database and runs `--sinks` sinks
that behave as Flume's ThriftSink (appendBatch of `--batch` events of one file each, with
TAILDIR's file and byteoffset headers, one call outstanding, the whole batch resent after any
failure). At evenly spaced moments it sends the server SIGTERM and starts it again on the same
port. At the end it compares every line sent with what is stored:

  lost        lines sent (answered OK) that are not stored: must be 0
  duplicates  stored rows beyond one per line: only batches resent after a restart may add any
  resends     events the intake recognised as already stored (from its stats log)

Run by hand (10 minutes, two restarts):

    .venv/bin/python bench/thrift_soak.py --minutes 10 --restarts 2

Needs MariaDB (BENCH_MARIADB_URL, default mysql://root@127.0.0.1:3306/). The scratch database is
dropped at the end (--keep-db keeps it). Results go to bench/results/ (git-ignored).
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import datetime
from urllib.parse import urlsplit

from common import REPO
from ingest_bench import manage, mariadb_url, sql

sys.path.insert(0, str(REPO))
from flume.thrift_wire import Status  # noqa: E402
from tests.support.thrift_sink import ThriftSink, event  # noqa: E402

RESULTS = REPO / "bench" / "results"
TS = "2026-11-28 10:15:32,123"
STATS = re.compile(r"thrift intake stats (\{.*\})")


class Source:
    def __init__(self, db_url: str, log_path, workers: int):
        self.db_url, self.log_path, self.workers = db_url, log_path, workers
        self.port = 0
        self.process = None

    def start(self) -> None:
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "flume_thrift_source", "--bind", "127.0.0.1",
                 "--port", str(self.port), "--workers", str(self.workers)],
                cwd=REPO, env={**os.environ, "DATABASE_URL": self.db_url, "REDIS_URL": ""},
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = re.search(rb"listening on .*:(\d+) ", self.log_path.read_bytes()[offset:])
            if found:
                self.port = int(found.group(1))
                return
            if self.process.poll() is not None:
                sys.exit(f"the intake exited; see {self.log_path}")
            time.sleep(0.1)
        sys.exit("the intake did not start")

    def terminate(self) -> tuple[int, float]:
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=60)
        return code, time.monotonic() - started


def sink_loop(index, port_of, token, args, stop, sent, counters, lock):
    batch_size, retry_sleep = args.batch, args.retry_sleep
    path = f"/var/log/hadoop/soak-{index}.log"
    offset, number = 0, 0
    sink = ThriftSink("127.0.0.1", port_of(), retry_sleep=retry_sleep)
    while not stop.is_set():
        lines = [
            f"{TS} INFO org.apache.hadoop.hdfs.StateChange: sink {index} batch {number} line {i}"
            for i in range(batch_size)
        ]
        batch = []
        for text in lines:
            batch.append(event(text, file=path, host="soak", token=token, byteoffset=str(offset)))
            offset += len(text) + 1
        while True:  # as ThriftSink: resend the whole batch until OK
            sink.port = port_of()
            try:
                status = sink.append_batch(batch)
            except Exception as exc:  # noqa: BLE001 - every failure is a resend
                status = type(exc).__name__
            if status == Status.OK:
                break
            with lock:
                counters[f"failed_attempts:{status}"] += 1
            sink.close()
            time.sleep(retry_sleep)
        with lock:
            sent.extend(lines)
            counters["batches_ok"] += 1
        number += 1
        stop.wait(args.pause)  # a tailed file's pace
    sink.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--restarts", type=int, default=2)
    parser.add_argument("--sinks", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4, help="intake worker threads")
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between batches")
    parser.add_argument("--retry-sleep", type=float, default=5.0, help="Flume sleeps 5 s")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    database = f"fp_soak_{uuid.uuid4().hex[:8]}"
    db_url = f"mysql://{urlsplit(mariadb_url()).netloc}/{database}"
    sql(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    log_path = RESULTS / f"{stamp}_thrift_soak.log"
    try:
        manage("migrate", "--no-input", "-v0", env={"DATABASE_URL": db_url})
        out = manage("create_api_token", "soak", "--scopes", "ingest", env={"DATABASE_URL": db_url})
        token = out.strip().splitlines()[-1]
        source = Source(db_url, log_path, args.workers)
        source.start()
        print(
            f"== intake on 127.0.0.1:{source.port}, {args.sinks} sinks x {args.batch} events, "
            f"{args.minutes} min, {args.restarts} restarts; log {log_path}",
            flush=True,
        )
        stop, lock = threading.Event(), threading.Lock()
        sent: list[str] = []
        counters: Counter = Counter()

        threads = [
            threading.Thread(
                target=sink_loop,
                args=(i, lambda: source.port, token, args, stop, sent, counters, lock),
            )
            for i in range(args.sinks)
        ]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        total = args.minutes * 60
        restarts = []
        for r in range(args.restarts):
            moment = total * (r + 1) / (args.restarts + 1)
            time.sleep(max(0.0, started + moment - time.monotonic()))
            code, took = source.terminate()
            time.sleep(2)  # the sinks meet a closed port and retry
            source.start()
            restarts.append({"at_s": round(moment), "exit": code, "stop_took_s": round(took, 2)})
            print(f"   restart {r + 1} at {moment:.0f} s: exit {code}, stop took {took:.2f} s",
                  flush=True)  # fmt: skip
        time.sleep(max(0.0, started + total - time.monotonic()))
        stop.set()
        for thread in threads:
            thread.join(120)
        code, took = source.terminate()
        elapsed = time.monotonic() - started

        stored = Counter(raw for (raw,) in sql("SELECT raw FROM system_logs", database))
        sent_counts = Counter(sent)
        lost = sum(1 for text in sent_counts if stored[text] == 0)
        duplicates = sum(max(0, n - 1) for n in stored.values())
        # the stats line logged at each stop holds the counts of that server run
        finals, stopping = [], False
        for text in log_path.read_text(errors="replace").splitlines():
            if "stopping: finishing" in text:
                stopping = True
            elif stopping and (found := STATS.search(text)):
                finals.append(json.loads(found.group(1)))
                stopping = False
        recognised = sum(s.get("duplicate_events", 0) for s in finals)
        result = {
            "minutes": round(elapsed / 60, 2),
            "sinks": args.sinks,
            "batch": args.batch,
            "lines_sent_ok": len(sent),
            "distinct_lines_stored": len(stored),
            "rows_stored": sum(stored.values()),
            "lost": lost,
            "duplicates_stored": duplicates,
            "resent_events_recognised": recognised,
            "failed_attempts": {k: v for k, v in counters.items() if k.startswith("failed")},
            "restarts": restarts,
            "intake_runs": finals,
            "final_exit": code,
            "lines_per_s": round(len(sent) / elapsed),
        }
        print(json.dumps(result, indent=2))
        (RESULTS / f"{stamp}_thrift_soak.json").write_text(json.dumps(result, indent=2))
        if lost:
            sys.exit("LINES LOST")
    finally:
        if not args.keep_db:
            sql(f"DROP DATABASE IF EXISTS `{database}`")


if __name__ == "__main__":
    main()
