"""Ingest-shaped benchmark: storing batches of lines with and without fault detection.

    DATABASE_URL=mysql://root@127.0.0.1:3306/<scratch db> .venv/bin/python manage.py migrate
    DATABASE_URL=mysql://root@127.0.0.1:3306/<scratch db> .venv/bin/python bench/detection_ingest.py

Each round stores `--batch` parsed lines in one transaction, as the ingest endpoint does: (a)
one multi-row INSERT into system_logs; (b) the same plus detect_faults and
fault_occurrences_record. HTTP, parsing and authentication are left out, so the relative cost
shown is an upper bound of what detection adds to a real request. Use a scratch database: it
writes rows (the fault records it creates are real ones).
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "faultportal.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from bench.detection import mixed_lines  # noqa: E402
from diagnosis.detection import detect_faults  # noqa: E402
from diagnosis.services import fault_occurrences_record  # noqa: E402
from logs.models import SystemLog  # noqa: E402


def rows(lines):
    return [
        SystemLog(
            host=line.host,
            logtype=line.logtype,
            log_time=line.log_time,
            level=line.level,
            component=line.component,
            thread=line.thread,
            message=line.message,
            trace=line.trace,
            raw=line.raw,
            is_continuation=line.is_continuation,
            received_at=line.received_at,
        )
        for line in lines
    ]


def store(batch, detect: bool) -> None:
    with transaction.atomic():
        detected = detect_faults(batch) if detect else []
        SystemLog.objects.bulk_create(rows(batch))
        if detected:
            fault_occurrences_record(occurrences=[occ for _, occ in detected])


def run(batches, seconds: float) -> tuple[float, float]:
    """Lines/s without and with detection, alternating batch by batch so that load from other
    processes on a shared machine falls on both modes alike."""
    spent = {False: 0.0, True: 0.0}
    stored = {False: 0, True: 0}
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for batch in batches:
            for detect in (False, True):
                began = time.perf_counter()
                store(batch, detect)
                spent[detect] += time.perf_counter() - began
                stored[detect] += len(batch)
    return stored[False] / spent[False], stored[True] / spent[True]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="per round")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--fault-rate", type=float, default=0.005)
    args = parser.parse_args()

    lines = mixed_lines(args.batch * 20, args.fault_rate)
    batches = [lines[i : i + args.batch] for i in range(0, len(lines), args.batch)]
    store(batches[0], True)  # warm: connection, compiled catalogue, fault records exist
    print(f"database: {connection.vendor}, {args.batch} lines per transaction")
    for n in range(args.rounds):
        plain, with_detection = run(batches, args.seconds)
        print(
            f"round {n + 1}: without detection {plain:,.0f} lines/s, with detection "
            f"{with_detection:,.0f} lines/s ({100 * (plain / with_detection - 1):+.1f} % time)"
        )


if __name__ == "__main__":
    main()
