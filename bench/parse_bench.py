#!/usr/bin/env python
"""Parser micro-benchmark: preprocess_log on generated Hadoop lines, one core, no I/O.

    .venv/bin/python bench/parse_bench.py [--lines 200000] [--zone Asia/Shanghai]

Lines come from the shared bench's gen_lines.py (real Hadoop layouts, ~4 % stack-trace lines).
Prints lines/s for preprocess_log alone, with stack traces folded (attach_continuations), and
for the whole text-body path of a 100-line request (split, decode, limits, parse).
"""

import argparse
import os
import sys
import time
from datetime import UTC, datetime

from common import REPO, shared_bench_dir

sys.path.insert(0, str(REPO))
sys.path.insert(0, str(shared_bench_dir()))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "faultportal.settings")

import django  # noqa: E402

django.setup()

from gen_lines import generate  # noqa: E402

from logs.ingestion import Limits, Origin, batch_from_text  # noqa: E402
from logs.parsing import attach_continuations, preprocess_log  # noqa: E402


def best_of(runs: int, work) -> float:
    """The fastest of several runs: the least disturbed by other processes."""
    best = float("inf")
    for _ in range(runs):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--zone", default="UTC", help="cluster time zone of the timestamps")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    lines = [line for _, _, line in generate(args.lines, seed=11)]
    zone = args.zone

    def parse_only():
        for line in lines:
            preprocess_log(line, host="dn01", logtype="hadoop", time_zone=zone)

    chunks = [lines[i : i + 100] for i in range(0, len(lines), 100)]

    def parse_and_fold():  # per request of 100 lines, as the endpoint does
        for chunk in chunks:
            attach_continuations(
                [
                    preprocess_log(line, host="dn01", logtype="hadoop", time_zone=zone)
                    for line in chunk
                ]
            )

    bodies = ["\n".join(chunk).encode() for chunk in chunks]
    origin, limits, now = Origin("dn01", "hadoop"), Limits(64 * 1024, 50_000), datetime.now(UTC)

    def body_path():
        for body in bodies:
            attach_continuations(
                batch_from_text(
                    body, charset=None, origin=origin, limits=limits, received_at=now,
                    time_zone=zone,
                ).lines
            )  # fmt: skip

    print(f"{len(lines):,} generated lines, zone {zone}, best of {args.runs}, one core")
    for name, work in [
        ("preprocess_log", parse_only),
        ("+ attach_continuations, per 100 lines", parse_and_fold),
        ("text body of 100 lines, whole path", body_path),
    ]:
        seconds = best_of(args.runs, work)
        per_line = seconds * 1e6 / len(lines)
        print(f"{name:38} {len(lines) / seconds:>12,.0f} lines/s  ({per_line:.2f} µs/line)")


if __name__ == "__main__":
    main()
