#!/usr/bin/env python
"""Ingestion benchmark: the portal under gunicorn vs the FastAPI peer, same load, same run.

Starts the portal with gunicorn.conf.py on a scratch MariaDB database, creates an ingest token,
starts the shared bench's FastAPI peer on its own scratch database, and drives both with the
shared load generator (it behaves like Flume's HTTP sink):

  event  1 line per POST, text/plain, 16 concurrent senders, token in the query (= Flume)
  batch  100 lines per POST as a Flume JSON event array, token in the Authorization header

For each run it prints accepted lines/s, request latency p50/p99, non-2xx answers, and checks
that the lines stored equal the lines accepted (the portal folds a stack trace into its event's
row, so it counts lines inside rows; the peer stores a row per line). Run by hand:

    .venv/bin/python bench/ingest_bench.py                    # 10 s per run
    .venv/bin/python bench/ingest_bench.py --duration 20 --redis-url redis://127.0.0.1:6379/3

Needs: MariaDB (BENCH_MARIADB_URL, default mysql://root@127.0.0.1:3306/), the shared bench
folder (SHARED_BENCH, default ../shared/bench next to the repository) and a Python with its
requirements (BENCH_PYTHON, default bench/.venv/bin/python; make it with
`python3 -m venv bench/.venv && bench/.venv/bin/pip install -r $SHARED_BENCH/requirements.txt`).
Results go to bench/results/ (git-ignored). The scratch databases are dropped at the end.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from common import REPO, shared_bench_dir

RESULTS = REPO / "bench" / "results"
INGEST_PATH = "/api/log/auto-upload"


# --- MariaDB --------------------------------------------------------------------------------


def mariadb_url() -> str:
    return os.environ.get("BENCH_MARIADB_URL", "mysql://root@127.0.0.1:3306/")


def mariadb(database: str = ""):
    import MySQLdb

    parts = urlsplit(mariadb_url())
    return MySQLdb.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=parts.username or "root",
        passwd=parts.password or "",
        db=database,
        charset="utf8mb4",
        autocommit=True,
    )


def sql(query: str, database: str = ""):
    conn = mariadb(database)
    try:
        cursor = conn.cursor()
        cursor.execute(query)
        return cursor.fetchall()
    finally:
        conn.close()


def portal_counts(database: str) -> tuple[int, int]:
    """(rows, lines): a row holds 1 + its attached trace lines, joined by newlines in raw."""
    ((rows, lines),) = sql(
        "SELECT COUNT(*), COALESCE(SUM(1 + LENGTH(raw) - LENGTH(REPLACE(raw, '\\n', ''))), 0) "
        "FROM system_logs",
        database,
    )
    return int(rows), int(lines)


def peer_counts(database: str) -> tuple[int, int]:
    ((rows,),) = sql("SELECT COUNT(*) FROM system_logs", database)
    return int(rows), int(rows)


# --- processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def process_tree(pid: int) -> list[int]:
    pids, found = [pid], True
    while found:
        found = False
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) in pids:
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid in pids:
                pids.append(int(entry.name))
                found = True
    return pids


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / ticks


def mariadbd_pids() -> list[int]:
    out = subprocess.run(["pgrep", "-x", "mariadbd|mysqld"], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- the bench ------------------------------------------------------------------------------


def manage(*args: str, env: dict) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def start_portal(db_url: str, port: int, args, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": db_url, "BIND": f"127.0.0.1:{port}"}
    env.pop("REDIS_URL", None)
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    if args.threads:
        env["GUNICORN_THREADS"] = str(args.threads)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "faultportal.wsgi", "-c", "gunicorn.conf.py"],
        cwd=REPO,
        env=env,
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )
    wait_http(f"http://127.0.0.1:{port}/api/health")
    return process


class WebhookSink:
    """Receives the notification channel's POSTs on loopback and counts them."""

    def __init__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        sink = self
        self.posts = 0

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                sink.posts += 1
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def start_peer(shared: Path, python: str, database: str, port: int, log_path: Path):
    env = {**os.environ, "PEER_DB_NAME": database, "PYTHONDONTWRITEBYTECODE": "1"}
    init = [python, str(shared / "dbctl.py"), "init", "--db", database]
    subprocess.run(init, check=True, env=env)
    process = subprocess.Popen(
        [python, "-m", "uvicorn", "app:app", "--app-dir", str(shared / "peer_fastapi"),
         "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
         "--no-access-log", "--log-level", "warning"],
        env=env,
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    wait_http(f"http://127.0.0.1:{port}/")
    return process


def run_case(case: dict, *, shared: Path, python: str, args, stamp: str) -> dict:
    before = case["count"]()
    server_cpu0, db_cpu0 = cpu_seconds(process_tree(case["pid"])), cpu_seconds(mariadbd_pids())
    out = RESULTS / f"{stamp}_{case['target']}_{case['mode']}.json"
    command = [python, str(shared / "loadgen.py"), "--url", case["url"],
               "--duration", str(args.duration), "-c", str(args.concurrency),
               "--json-out", str(out), *case["loadgen"]]  # fmt: skip
    spies = []
    if args.profile and case["target"] == "portal":
        spy = Path(python).with_name("py-spy")
        for pid in process_tree(case["pid"])[1:]:  # the workers, not the master
            folded = RESULTS / f"{stamp}_{case['mode']}_{pid}.folded"
            spies.append(subprocess.Popen(
                [str(spy), "record", "-p", str(pid), "-d", str(int(args.duration)), "-r", "200",
                 "-f", "raw", "-o", str(folded), "-g"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ))  # fmt: skip
    subprocess.run(
        command,
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    for spy_process in spies:
        spy_process.wait()
    time.sleep(1)  # let the last commits land before counting
    server_cpu = cpu_seconds(process_tree(case["pid"])) - server_cpu0
    db_cpu = cpu_seconds(mariadbd_pids()) - db_cpu0
    after = case["count"]()
    result = json.loads(out.read_text())
    rows, lines = after[0] - before[0], after[1] - before[1]
    return {
        "target": case["target"],
        "mode": case["mode"],
        "lines_per_s": result["events_per_s"],
        "requests_per_s": result["requests_per_s"],
        "p50_ms": result["p50_ms"],
        "p99_ms": result["p99_ms"],
        "non_2xx": result["non_2xx"],
        "accepted_lines": result["accepted_events"],
        "stored_lines": lines,
        "stored_rows": rows,
        "match": lines == result["accepted_events"],
        "server_cpu_s": round(server_cpu, 1),
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(result["requests"], 1), 3),
        "mariadbd_cpu_s": round(db_cpu, 1),
        "elapsed_s": result["elapsed_s"],
    }


def report_line(result: dict) -> str:
    return (
        f"{result['target']:14} {result['mode']:5} {result['lines_per_s']:>9,.0f} lines/s "
        f"{result['requests_per_s']:>8,.0f} req/s  p50 {result['p50_ms']:>7.1f} ms  "
        f"p99 {result['p99_ms']:>7.1f} ms  non-2xx {result['non_2xx'] or 0}  "
        f"stored {result['stored_lines']:,}/{result['accepted_lines']:,} lines "
        f"({result['stored_rows']:,} rows) {'MATCH' if result['match'] else 'MISMATCH'}  "
        f"cpu: server {result['server_cpu_ms_per_request']} ms/req, "
        f"mariadbd {result['mariadbd_cpu_s']} s"
    )


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def summarise(results: list[dict]) -> dict:
    """Medians over the rounds, and the portal/peer ratio of each round (same conditions)."""
    summary = {}
    for mode in sorted({r["mode"] for r in results}):
        portal = [r for r in results if r["target"] == "portal" and r["mode"] == mode]
        peer = [r for r in results if r["target"] == "peer" and r["mode"] == mode]
        entry = {"portal_lines_per_s": median([r["lines_per_s"] for r in portal])}
        if peer:
            entry["peer_lines_per_s"] = median([r["lines_per_s"] for r in peer])
            pairs = zip(portal, peer, strict=True)
            ratios = [a["lines_per_s"] / max(b["lines_per_s"], 1) for a, b in pairs]
            entry["ratio_per_round"] = [round(r, 2) for r in ratios]
            entry["ratio_median"] = round(median(ratios), 2)
        noindex = [r for r in results if r["target"] == "portal-noindex" and r["mode"] == mode]
        if noindex:
            entry["noindex_lines_per_s"] = median([r["lines_per_s"] for r in noindex])
            pairs = zip(portal, noindex, strict=True)
            costs = [1 - a["lines_per_s"] / max(b["lines_per_s"], 1) for a, b in pairs]
            entry["index_cost_per_round"] = [round(c, 3) for c in costs]
            entry["index_cost_median"] = round(median(costs), 3)
        summary[mode] = entry
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="portal/peer pairs per mode, alternating (the machine's load drifts)",
    )
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent senders")
    parser.add_argument("--batch", type=int, default=100, help="lines per request in batch mode")
    parser.add_argument("--modes", default="event,batch")
    parser.add_argument("--skip-peer", action="store_true", help="measure the portal only")
    parser.add_argument("--workers", type=int, help="gunicorn workers (WEB_CONCURRENCY)")
    parser.add_argument("--threads", type=int, help="gunicorn threads (GUNICORN_THREADS)")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", ""),
        help="REDIS_URL for the portal (rate-limit counter); default none",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the portal's workers with py-spy (BENCH_PYTHON's venv) "
        "into bench/results/*.folded; see bench/profile_report.py",
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the scratch databases")
    parser.add_argument(
        "--detection",
        choices=["on", "off"],
        default="on",
        help="off: disable every fault type in the scratch database, to measure what fault "
        "detection costs (issue 5 allows at most 20 %%)",
    )
    parser.add_argument(
        "--search-index",
        choices=["on", "off", "both"],
        default="on",
        help="the full-text index of system_logs (docs/search.md): off drops it in the scratch "
        "database; both runs a second portal without it, alternating with the first, to "
        "measure what the index costs (issue 16 allows at most 20 %% of batch throughput)",
    )
    parser.add_argument(
        "--notify",
        choices=["on", "off"],
        default="off",
        help="on: a JSON-webhook channel (a sink on loopback) with a rule matching every fault "
        "change, and one `manage.py notify` worker beside gunicorn, to show that ingest does "
        "not wait on notifications (issue 15)",
    )
    args = parser.parse_args()  # fmt: skip

    shared = shared_bench_dir()
    python = os.environ.get("BENCH_PYTHON", str(REPO / "bench" / ".venv" / "bin" / "python"))
    if not Path(python).exists():
        sys.exit(
            f"{python} missing: python3 -m venv bench/.venv && "
            f"bench/.venv/bin/pip install -r {shared}/requirements.txt"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    suffix = uuid.uuid4().hex[:8]
    portal_db, peer_db = f"fp_bench_{suffix}", f"fp_bench_peer_{suffix}"
    noindex_db = f"fp_bench_noindex_{suffix}"
    portal_url = f"mysql://{urlsplit(mariadb_url()).netloc}/{portal_db}"
    noindex_url = f"mysql://{urlsplit(mariadb_url()).netloc}/{noindex_db}"
    processes = []
    sink = None
    portals = {}  # target -> (database, process, base URL, token)
    wanted = {"on": ["portal"], "off": ["portal"], "both": ["portal", "portal-noindex"]}
    try:
        for target in wanted[args.search_index]:
            database, url = (portal_db, portal_url) if target == "portal" else (
                noindex_db, noindex_url)  # fmt: skip
            sql(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            print(f"== migrating {database}", flush=True)
            manage("migrate", "--no-input", "-v0", env={"DATABASE_URL": url})
            if target == "portal-noindex" or args.search_index == "off":
                manage("log_search_index", "off", env={"DATABASE_URL": url})
            if args.detection == "off":
                sql("UPDATE fault_types SET enabled = 0", database)
            token_out = manage(
                "create_api_token", f"bench-{suffix}", "--scopes", "ingest",
                env={"DATABASE_URL": url},
            )  # fmt: skip
            if args.notify == "on":
                if sink is None:
                    sink = WebhookSink()
                manage("notification_channel", "add", "--name", "bench-sink",
                       "--url", f"json://127.0.0.1:{sink.port}/hook",
                       env={"DATABASE_URL": url})  # fmt: skip
                manage("notification_rule", "add", "--channel", "bench-sink", "--events",
                       "opened,regressed,severity_raised,resolved", "--group-wait", "0",
                       "--group-interval", "0", env={"DATABASE_URL": url})  # fmt: skip
                worker_log = (RESULTS / f"{stamp}_{target}_notify.log").open("wb")
                processes.append(subprocess.Popen(
                    [sys.executable, "manage.py", "notify"], cwd=REPO,
                    env={**os.environ, "DATABASE_URL": url, "REDIS_URL": ""},
                    stdout=worker_log, stderr=subprocess.STDOUT,
                ))  # fmt: skip
            port = free_port()
            process = start_portal(url, port, args, RESULTS / f"{stamp}_{target}.log")
            processes.append(process)
            base = f"http://127.0.0.1:{port}{INGEST_PATH}"
            portals[target] = (database, process, base, token_out.strip().splitlines()[-1])
        # event: what a stock Flume sink can send (token in the URL); batch: a script's JSON
        # events with the token in the Authorization header
        loadgen_args = {
            "event": ["--mode", "event"],
            "batch": ["--mode", "batch", "--batch", str(args.batch), "--format", "json"],
        }
        peer = None
        if not args.skip_peer:
            peer_port = free_port()
            peer = start_peer(shared, python, peer_db, peer_port, RESULTS / f"{stamp}_peer.log")
            processes.append(peer)
            peer_base = f"http://127.0.0.1:{peer_port}{INGEST_PATH}"
        modes = args.modes.split(",")
        cases = []
        for mode in modes:
            for _ in range(args.rounds):
                for target, (database, process, base, key) in portals.items():
                    auth = {
                        "event": ["--token", key, "--token-param", "token", "--no-token-header"],
                        "batch": ["--token", key],
                    }
                    url = base + ("?host=bench-dn01&logtype=hadoop" if mode == "event" else "")
                    cases.append({
                        "target": target, "mode": mode, "pid": process.pid, "url": url,
                        "count": lambda database=database: portal_counts(database),
                        "loadgen": loadgen_args[mode] + auth[mode],
                    })  # fmt: skip
                if peer is not None:
                    cases.append({
                        "target": "peer", "mode": mode, "pid": peer.pid, "url": peer_base,
                        "count": lambda: peer_counts(peer_db), "loadgen": loadgen_args[mode],
                    })  # fmt: skip
        workers = args.workers or os.environ.get("WEB_CONCURRENCY") or "gunicorn.conf.py default"
        threads = args.threads or os.environ.get("GUNICORN_THREADS") or "default"
        print(
            f"== portal: gunicorn workers={workers} threads={threads}, "
            f"redis={args.redis_url or 'none'}, detection {args.detection}, "
            f"search index {args.search_index}, notifications {args.notify}; "
            f"{args.duration:g} s per run, "
            f"{args.concurrency} senders, {args.rounds} round(s)",
            flush=True,
        )
        warmed = set()
        for case in cases:  # the first requests import modules and open connections
            if (case["target"], case["mode"]) not in warmed:
                warmed.add((case["target"], case["mode"]))
                warm = [python, str(shared / "loadgen.py"), "--url", case["url"],
                        "--duration", "2", "-c", "4", *case["loadgen"]]  # fmt: skip
                subprocess.run(warm, check=True, stdout=subprocess.DEVNULL)
        results = []
        for case in cases:
            result = run_case(case, shared=shared, python=python, args=args, stamp=stamp)
            results.append(result)
            print(report_line(result), flush=True)
        summary = summarise(results)
        for mode, entry in summary.items():
            line = f"{mode}: portal {entry['portal_lines_per_s']:,.0f} lines/s"
            if "peer_lines_per_s" in entry:
                line += (
                    f", peer {entry['peer_lines_per_s']:,.0f} lines/s, portal/peer "
                    f"{entry['ratio_median']}x (per round {entry['ratio_per_round']})"
                )
            if "noindex_lines_per_s" in entry:
                line += (
                    f"; without the search index {entry['noindex_lines_per_s']:,.0f} lines/s, "
                    f"index cost {entry['index_cost_median']:.1%} "
                    f"(per round {entry['index_cost_per_round']})"
                )
            print(line)
        print("targets: event >= 1.5x the peer; batch >= 20,000 lines/s; rows == accepted")
        print("stored == accepted in every run:", all(r["match"] for r in results))
        if sink is not None:
            time.sleep(3)  # the worker delivers what the last run opened
            for target, (database, *_rest) in portals.items():
                ((outbox, sent, queued),) = sql(
                    "SELECT (SELECT COUNT(*) FROM notification_outbox), "
                    "(SELECT COUNT(*) FROM notification_messages WHERE status = 'sent'), "
                    "(SELECT COUNT(*) FROM notification_messages WHERE status = 'queued')",
                    database,
                )
                print(
                    f"notifications ({target}): {outbox} fault changes in the outbox, "
                    f"{sent} messages sent, {queued} queued; the sink received {sink.posts}"
                )
        document = {"stamp": stamp, "duration_s": args.duration, "rounds": args.rounds,
                    "summary": summary, "results": results}  # fmt: skip
        (RESULTS / f"{stamp}_summary.json").write_text(json.dumps(document, indent=1))
        print(f"results in {RESULTS}/{stamp}_*")
    finally:
        for process in processes:
            stop(process)
        if not args.keep_db:
            for name in (portal_db, peer_db, noindex_db):
                sql(f"DROP DATABASE IF EXISTS `{name}`")


if __name__ == "__main__":
    main()
