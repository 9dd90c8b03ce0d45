"""Ingest latency while slow clients hold connections: bare gunicorn vs behind the nginx front.

Starts the portal with gunicorn.conf.py (its worker, WEB_CONCURRENCY × GUNICORN_THREADS as
given) on a scratch MariaDB database, and Debian's nginx with deploy/nginx/faultportal.conf in
front of it (tests/support/nginx.py). For each case, `--slow` connections (64 by default) send
an ingest request's headers and then no body, or the body one byte a second, reconnecting
whenever they are cut; meanwhile `--senders` Flume-like senders post one line per request for
`--seconds`. Prints, per case, the senders' p50/p99/max latency, requests answered, and how many
took longer than Flume's 5 s request timeout (the sink gives up and resends) or failed.

    .venv/bin/python bench/slow_clients.py                  # 64 slow, 4 senders, 15 s per case
    .venv/bin/python bench/slow_clients.py --slow 16 --threads 8

Needs MariaDB (TEST_MARIADB_URL or root@127.0.0.1:3306) and /usr/sbin/nginx.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support import services  # noqa: E402
from tests.support.nginx import NginxFront  # noqa: E402
from tests.support.server import PortalServer  # noqa: E402
from tests.support.slow_clients import SlowClients  # noqa: E402

FLUME_TIMEOUT = 5.0
WORKER = None  # gunicorn.conf.py's own worker class


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def send_lines(url: str, seconds: float, latencies: list, failures: list, lock) -> None:
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
        body = f"2026-11-28 10:15:32,123 INFO org.apache.hadoop.X: bench line {n}".encode()
        request = urllib.request.Request(
            url, data=body, method="POST", headers={"Content-Type": "text/plain"}
        )
        started = time.monotonic()
        error = ""
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
                ok = response.status == 200
        except (urllib.error.URLError, OSError) as exc:
            ok = False
            error = str(exc)
        took = time.monotonic() - started
        with lock:
            if ok:
                latencies.append(took)
            else:
                failures.append((took, error))


def run_case(name: str, base_url: str, attack_address, args, token: str) -> dict:
    path = f"/api/log/auto-upload?host=slow-attacker&token={token}"
    url = f"{base_url}/api/log/auto-upload?host=bench-sender&token={token}"
    attackers = None
    if attack_address:
        mode = "no-body" if "no-body" in name else "drip-body"
        attackers = SlowClients(attack_address, path, args.slow, mode).start(settle=2.0)
    latencies: list[float] = []
    failures: list = []
    lock = threading.Lock()
    senders = [
        threading.Thread(target=send_lines, args=(url, args.seconds, latencies, failures, lock))
        for _ in range(args.senders)
    ]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    if attackers:
        reconnects = attackers.connections - args.slow
        attackers.stop()
    else:
        reconnects = 0
    slow = sum(1 for took in latencies if took > FLUME_TIMEOUT) + len(failures)
    return {
        "case": name,
        "answered": len(latencies),
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p99": percentile(latencies, 99),
        "max": max(latencies) if latencies else float("nan"),
        "over_5s_or_failed": slow,
        "reconnects": reconnects,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slow", type=int, default=64, help="slow connections per case")
    parser.add_argument("--senders", type=int, default=4, help="concurrent one-line senders")
    parser.add_argument("--seconds", type=float, default=15, help="sending time per case")
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY")
    parser.add_argument("--threads", type=int, default=32, help="GUNICORN_THREADS")
    parser.add_argument("--read-timeout", default="10", help="GUNICORN_READ_TIMEOUT")
    args = parser.parse_args()

    reason = services.mariadb_available()
    if reason:
        sys.exit(reason)
    database = services.create_scratch_database("fp_bench_slow")
    url = services.database_url_for(database)
    work = Path(tempfile.mkdtemp(prefix="fp-slow-clients-"))
    try:
        services.run_manage("migrate", "--no-input", "-v0", env={"DATABASE_URL": url})
        token = services.run_manage(
            "create_api_token", "bench-slow", "--scopes", "ingest", env={"DATABASE_URL": url}
        )
        token = token.strip().splitlines()[-1]
        portal = PortalServer(
            {"DATABASE_URL": url, "REDIS_URL": "", "GUNICORN_READ_TIMEOUT": args.read_timeout},
            workers=args.workers,
            threads=args.threads,
            config_file=True,
            worker_class=WORKER,
            log_path=work / "gunicorn.log",
        )
        (work / "nginx").mkdir()
        with portal, NginxFront(work / "nginx", portal.port) as nginx:
            print(
                f"gunicorn {args.workers} workers x {args.threads} threads "
                f"(GUNICORN_READ_TIMEOUT={args.read_timeout} s), nginx {nginx.url}; "
                f"{args.slow} slow connections, {args.senders} senders, {args.seconds:g} s a case"
            )
            bare = ("127.0.0.1", portal.port)
            front = ("127.0.0.1", nginx.port)
            cases = [
                ("bare, no attack", portal.url, None),
                ("bare, no-body", portal.url, bare),
                ("bare, drip-body", portal.url, bare),
                ("nginx, no attack", nginx.url, None),
                ("nginx, no-body", nginx.url, front),
                ("nginx, drip-body", nginx.url, front),
            ]
            header = f"{'case':<20} {'answered':>8} {'p50 ms':>8} {'p99 ms':>9} {'max ms':>9}"
            print(header + f" {'>5s/failed':>11} {'reconnects':>10}")
            for name, base, attack in cases:
                r = run_case(name, base, attack, args, token)
                print(
                    f"{r['case']:<20} {r['answered']:>8} {r['p50'] * 1000:>8.1f} "
                    f"{r['p99'] * 1000:>9.1f} {r['max'] * 1000:>9.1f} "
                    f"{r['over_5s_or_failed']:>11} {r['reconnects']:>10}",
                    flush=True,
                )
                time.sleep(1.0)
    finally:
        services.drop_database(database)
        if not os.environ.get("KEEP_BENCH_LOGS"):
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
