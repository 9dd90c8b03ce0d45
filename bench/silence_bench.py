"""What silences cost the dispatcher: the suppressor's time per outbox entry.

A benchmark tool, run by hand:

    DATABASE_URL=mysql://root@127.0.0.1:3306/fp_h15b_bench .venv/bin/python bench/silence_bench.py

The dispatcher asks `oncall.suppression.suppression_for(entry)` once for every change it is
about to notify (and again for a held one when its hold ends). The registered suppressor
(oncall/silences.py) reads the fault's snooze, the silences in force and the enabled windows,
one query per entry (the snooze) plus the silences and windows at most every
SUPPRESSOR_CACHE_SECONDS, and matches host globs on RE2. This script times it on `--entries` outbox
entries (built in memory, as the dispatcher has them) against three loads: nothing configured,
a realistic set (20 silences, 10 windows, 50 snoozes) and a heavy one (200 silences, 50
windows, 500 snoozes), each with about one entry in twenty muted. It prints entries/s, the
median and p99 per entry, and queries per entry.

It deletes and writes silences, windows, snoozes and bench faults, so it refuses a database
whose name does not contain "bench" (it migrates the database first).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=5000)
    return parser.parse_args(argv)


def _faults(count: int):
    from django.utils import timezone

    from diagnosis.models import FaultRecord, FaultType

    FaultRecord.objects.filter(fingerprint__startswith="silence-bench-").delete()
    kind = FaultType.objects.get(code="too_many_open_files")
    now = timezone.now()
    FaultRecord.objects.bulk_create(
        [
            FaultRecord(
                fault_type=kind,
                fingerprint=f"silence-bench-{n}",
                host=f"dn{n % 400:03d}.rack{n % 20:02d}.prod",
                title=f"bench fault {n}",
                severity="major",
                first_seen=now,
                last_seen=now,
                occurrences=10,
            )
            for n in range(count)
        ],
        batch_size=1000,
    )
    return list(FaultRecord.objects.filter(fingerprint__startswith="silence-bench-").order_by("id"))


def _configure(*, silences: int, windows: int, snoozes: int, faults) -> None:
    from django.utils import timezone

    from oncall.models import FaultSnooze, MaintenanceWindow, Silence

    Silence.objects.all().delete()
    MaintenanceWindow.objects.all().delete()
    FaultSnooze.objects.all().delete()
    now = timezone.now()
    # Most silences name hosts no entry has (old work, other racks); one in ten a real rack.
    Silence.objects.bulk_create(
        [
            Silence(
                host_glob=(f"dn*.rack{n % 20:02d}.prod" if n % 10 == 0 else f"edge{n}-*"),
                fault_type_code="too_many_open_files" if n % 2 else "",
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=2 + n),
                author="bench",
                comment=f"bench silence {n}",
            )
            for n in range(silences)
        ]
    )
    MaintenanceWindow.objects.bulk_create(
        [
            MaintenanceWindow(
                name=f"bench window {n}",
                host_glob=f"gw{n}-*, lb{n}-*",
                recurrence="weekly",
                weekdays="*",
                start_time=(now - timedelta(minutes=30)).time(),
                duration_minutes=60,
            )
            for n in range(windows)
        ]
    )
    FaultSnooze.objects.bulk_create(
        [
            FaultSnooze(fault=fault, until=now + timedelta(hours=4), author="bench")
            for fault in faults[:snoozes]
        ]
    )


def _entries(faults, count: int):
    from django.utils import timezone

    from oncall.models import OutboxEntry

    now = timezone.now()
    return [
        OutboxEntry(
            event="opened",
            fault_id=fault.pk,
            incident_id=None,
            fault_type_code="too_many_open_files",
            host=fault.host,
            title=fault.title,
            severity=fault.severity,
            changed_at=now,
        )
        for fault in (faults[n % len(faults)] for n in range(count))
    ]


def _measure(entries) -> dict:
    from django.db import connection

    from oncall.silences import suppressor_cache_clear
    from oncall.suppression import suppression_for

    suppressor_cache_clear()
    for entry in entries[:50]:  # warm-up: connections, compiled globs
        suppression_for(entry)
    times = []
    muted = 0
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        for entry in entries:
            t0 = time.perf_counter()
            if suppression_for(entry) is not None:
                muted += 1
            times.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - started
    times.sort()
    return {
        "per_s": len(entries) / elapsed,
        "p50_us": statistics.median(times) * 1e6,
        "p99_us": times[int(len(times) * 0.99)] * 1e6,
        "queries": queries / len(entries),
        "muted": muted / len(entries),
    }


def main(argv=None) -> int:
    from django.core.management import call_command
    from django.db import connection

    options = parse_args(argv)
    name = str(connection.settings_dict["NAME"])
    if "bench" not in name:
        print(
            f"silence_bench: database {name!r} does not look like a benchmark database (its name "
            "must contain 'bench'): this benchmark deletes silences, windows and snoozes.",
            file=sys.stderr,
        )
        return 2
    call_command("migrate", verbosity=0, interactive=False)
    faults = _faults(2000)
    entries = _entries(faults, options.entries)
    print(f"database {connection.vendor} {name}; {len(entries)} entries over {len(faults)} faults")
    print(f"{'load':<40} {'entries/s':>10} {'p50 µs':>8} {'p99 µs':>8} {'q/entry':>8} {'muted':>6}")
    loads = [
        ("nothing configured", 0, 0, 0),
        ("20 silences, 10 windows, 50 snoozes", 20, 10, 50),
        ("200 silences, 50 windows, 500 snoozes", 200, 50, 500),
    ]
    for label, silences, windows, snoozes in loads:
        _configure(silences=silences, windows=windows, snoozes=snoozes, faults=faults)
        r = _measure(entries)
        print(
            f"{label:<40} {r['per_s']:>10.0f} {r['p50_us']:>8.0f} {r['p99_us']:>8.0f} "
            f"{r['queries']:>8.1f} {r['muted']:>6.1%}"
        )
    _configure(silences=0, windows=0, snoozes=0, faults=faults)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "faultportal.settings")
    import django

    django.setup()
    sys.exit(main())
