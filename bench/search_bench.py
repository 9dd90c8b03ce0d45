#!/usr/bin/env python
"""Log search latency on the scale database (docs/search.md): the searches an on-call engineer runs.

    DATABASE_URL=mysql://root@127.0.0.1:3306/fp_bench \\
        .venv/bin/python bench/admin_scale.py --rows 5000000 --seed-only
    DATABASE_URL=mysql://root@127.0.0.1:3306/fp_bench .venv/bin/python bench/search_bench.py

The seeded rows (bench/admin_scale.py) hold twelve message templates, each in about 1/12 of the
lines: "PacketResponder" is a common term. This script adds RARE_LINES lines holding
`NoRouteToHostException` spread over the week (RARE_LAST_DAY of them in the last 24 h), once,
then times each search through logs.selectors in this process (server time without HTTP: the
same function GET /api/logs and the explorer call), plus the explorer's histogram and the whole
explorer page through Django's test client. One warm-up, then --runs timed runs: median and max.

It refuses a database whose name does not contain "bench". `--index off` drops the full-text
index first (`log_search_index off`) to time the same searches without it; `--index on` builds
it again (on 5 M rows that takes minutes).
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "faultportal.settings")

RARE_MARK = "NoRouteToHostException"
RARE_LINES = 40
RARE_LAST_DAY = 6
TARGETS = {"rare term, 24 h": 300, "common term, 24 h, page 1": 500}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--index", choices=["keep", "on", "off"], default="keep")
    parser.add_argument(
        "--as-if-off",
        action="store_true",
        help="plan every search as if the index were off (without dropping it: the rebuild "
        "takes minutes on 5 M rows)",
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from logs.models import SystemLog
    from logs.search import parse_query
    from logs.search_index import search_index_forget, search_index_state
    from logs.selectors import LogFilters, system_log_histogram, system_log_search

    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "mysql" or "bench" not in name:
        sys.exit("Run it on a MySQL/MariaDB database whose name contains 'bench'.")
    if args.index != "keep":
        started = time.perf_counter()
        call_command("log_search_index", args.index)
        print(f"log_search_index {args.index}: {time.perf_counter() - started:.1f} s")
    search_index_forget()
    if args.as_if_off:
        from logs import search_index

        state = search_index_state()
        search_index._state[connection.alias] = search_index.IndexState(
            False, state.min_token, state.max_token
        )
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT VERSION(), @@innodb_buffer_pool_size, "
            "(SELECT table_rows FROM information_schema.tables WHERE table_schema = DATABASE() "
            "AND table_name = 'system_logs')"
        )
        version, pool, rows = cursor.fetchone()
        cursor.execute("SELECT MIN(log_time), MAX(log_time) FROM system_logs")
        oldest, newest = cursor.fetchone()
    if not rows or rows < 1_000_000:
        sys.exit("Seed first: bench/admin_scale.py --rows 5000000 --seed-only")
    load = os.getloadavg()
    print(
        f"database {name} on {version}; buffer pool {int(pool) // 2**20} MiB; about {rows:,} "
        f"lines from {oldest:%Y-%m-%d %H:%M} to {newest:%Y-%m-%d %H:%M}; search index "
        f"{'on' if search_index_state().present else 'off'}; load average "
        f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs"
    )

    if not SystemLog.objects.filter(component="bench.search.rare").exists():
        span = newest - oldest
        rare = []
        for k in range(RARE_LINES):
            if k < RARE_LAST_DAY:
                at = now - timedelta(hours=1 + 3 * k)
            else:
                at = oldest + span * (k / RARE_LINES)
            rare.append(
                SystemLog(
                    host=f"dn{1 + k % 50:02d}",
                    logtype="hdfs",
                    level="ERROR",
                    component="bench.search.rare",
                    message="Exception in createBlockOutputStream",
                    trace=f"java.net.{RARE_MARK}: No route to host\n\tat org.apache.hadoop."
                    "ipc.Client.call(Client.java:1474)",
                    raw="bench",
                    log_time=at,
                    received_at=now,
                )
            )
        SystemLog.objects.bulk_create(rare)
        print(f"added {RARE_LINES} lines holding {RARE_MARK} ({RARE_LAST_DAY} in the last 24 h)")

    day, week = now - timedelta(hours=24), now - timedelta(days=7, hours=1)

    def search(q, since, pages=1, **filters):
        def run():
            page = None
            after = None
            plans = []
            for _ in range(pages):
                page = system_log_search(
                    filters=LogFilters(since=since, query=parse_query(q), **filters),
                    after=after,
                    limit=50,
                )
                plans.append(page.plan)
                after = page.next
                if after is None:
                    break
            return (
                f"{len(page.lines)} lines on page {len(plans)}, plan {'/'.join(sorted(set(plans)))}"
            )

        return run

    def histogram(q, since, **filters):
        def run():
            result = system_log_histogram(
                filters=LogFilters(since=since, query=parse_query(q), **filters), now=now
            )
            return f"{result.counted:,} matches counted"

        return run

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)

    def page(url):
        def run():
            response = client.get(url)
            return f"HTTP {response.status_code}, {len(response.content):,} bytes"

        return run

    cases = [
        ("rare term, 24 h", search(RARE_MARK, day)),
        ("rare term, 7 days", search(RARE_MARK, week)),
        ("rare prefix NoRouteTo*, 7 days", search("NoRouteTo*", week)),
        ("common term, 24 h, page 1", search("PacketResponder", day)),
        ("common term, 24 h, pages 1-10 (total)", search("PacketResponder", day, pages=10)),
        ("common term, 7 days, page 1", search("PacketResponder", week)),
        ("common phrase, 24 h", search('"Bad connect ack with firstBadLink"', day)),
        ("common term + host, 24 h", search("PacketResponder", day, host="dn07")),
        ("rare term + host, 7 days", search(RARE_MARK, week, host="dn07")),
        ("common term + rare host, 7 days", search("PacketResponder", week, host="edge01")),
        ("term + level ERROR, 24 h", search("createBlockOutputStream", day, level="ERROR")),
        ("IP (no indexed word), 24 h", search("10.0.1.7", day)),
        ("filters only: host, 24 h", search("", day, host="dn07")),
        ("histogram: common term, 24 h", histogram("PacketResponder", day)),
        ("histogram: rare term, 7 days", histogram(RARE_MARK, week)),
        ("explorer page: common term, 24 h", page("/dashboard/logs/?q=PacketResponder")),
        ("explorer page: rare term, 7 days", page(f"/dashboard/logs/?q={RARE_MARK}&since=7d")),
    ]
    print(f"\n{'search':40} {'median':>9} {'max':>9}  result")
    from logs.selectors import SearchTooSlow

    for label, run in cases:
        times, note = [], ""
        try:
            run()  # warm-up
            for _ in range(args.runs):
                started = time.perf_counter()
                note = run()
                times.append((time.perf_counter() - started) * 1000)
        except SearchTooSlow:
            print(f"{label:40} stopped at the statement limit (the API answers 503)")
            continue
        median = statistics.median(times)
        target = TARGETS.get(label)
        verdict = (
            "" if target is None else (" ok" if median < target else " OVER") + f" (< {target})"
        )
        print(f"{label:40} {median:8.0f}ms {max(times):8.0f}ms  {note}{verdict}")


if __name__ == "__main__":
    main()
