"""Micro-benchmark of fault detection: parsed lines per second through detect_faults.

    .venv/bin/python bench/detection.py [--seconds 3] [--lines 20000] [--fault-rate 0.005]

The lines are a realistic mix from a busy cluster: mostly INFO block/container chatter, some
DEBUG, WARN and ERROR lines (the errors with stack traces), lone stack-trace lines as Flume
sends them, and a small share of real fault signatures. The catalogue is the built-in one,
compiled in memory (no database needed); the figure is detection alone, to set against the
per-line cost of ingestion measured in docs/sources.md §7.
"""

import argparse
import importlib
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "faultportal.settings")

import django  # noqa: E402

django.setup()

from diagnosis import catalogue  # noqa: E402
from diagnosis.detection import line_detect  # noqa: E402
from diagnosis.models import FaultType  # noqa: E402
from tests.diagnosis.loglines import LogLine, continuation, log4j  # noqa: E402

# What a batch ingest spends per line without detection (18.3k lines/s, 100-line JSON batches,
# docs/sources.md §7) and in event mode (one line per request, ~1.0k lines/s).
BATCH_US_PER_LINE = 1e6 / 18_300
EVENT_US_PER_LINE = 1e6 / 1_010


def builtin_catalogue() -> catalogue.Catalogue:
    data = importlib.import_module("diagnosis.migrations.0003_fault_catalogue").CATALOGUE
    re2_fix = importlib.import_module("diagnosis.migrations.0006_patterns_on_re2")
    types = []
    for pk, entry in enumerate(data, start=1):
        types.append(
            FaultType(
                pk=pk,
                code=entry["code"],
                name=entry["name"],
                category=entry["category"],
                default_severity=entry["default_severity"],
                patterns="\n".join(entry["patterns"]).replace(re2_fix.OLD, re2_fix.NEW),
                min_level=entry["min_level"],
                grouping=entry.get("grouping", "host_message"),
                enabled=True,
            )
        )
    return catalogue.catalogue_build(types)


def mixed_lines(count: int, fault_rate: float, seed: int = 7) -> list[LogLine]:
    rng = random.Random(seed)
    from tests.diagnosis.test_detection_catalogue import SIGNATURES

    faults = [line for lines in SIGNATURES.values() for line in lines]
    stamp = "2024-05-01 10:15:42,123"
    dn = "org.apache.hadoop.hdfs.server.datanode.DataNode"

    def block():
        return f"BP-1234567890-10.0.0.1-1600000000000:blk_{rng.randint(10**9, 2 * 10**9)}_1001"

    def info():
        return rng.choice(
            [
                f"{stamp} INFO {dn}: Receiving {block()} src: /10.0.0.{rng.randint(2, 250)}:"
                f"{rng.randint(30000, 60000)} dest: /10.0.0.6:9866",
                f"{stamp} INFO org.apache.hadoop.hdfs.server.datanode.DataNode.clienttrace: src: "
                f"/10.0.0.5:9866, dest: /10.0.0.7:{rng.randint(30000, 60000)}, bytes: 134217728, "
                f"op: HDFS_READ, cliID: DFSClient_NONMAPREDUCE_-{rng.randint(1, 10**9)}_1, "
                f"offset: 0, srvID: 44c3a0b8-6bad-4d6a-9bbf-06a735295ce2, blockid: {block()}, "
                "duration(ns): 1534000",
                f"{stamp} INFO org.apache.hadoop.yarn.server.nodemanager.containermanager."
                f"container.ContainerImpl: Container container_e17_1700000000000_0042_01_"
                f"{rng.randint(1, 999):06d} transitioned from RUNNING to EXITED_WITH_SUCCESS",
                f"{stamp} INFO org.apache.hadoop.hdfs.StateChange: BLOCK* allocate {block()}, "
                "replicas=10.0.0.6:9866, 10.0.0.7:9866, 10.0.0.8:9866 for /user/etl/out/part-0",
                f"{stamp} INFO FSNamesystem.audit: allowed=true\tugi=etl (auth:SIMPLE)\t"
                "ip=/10.0.0.5\tcmd=open\tsrc=/user/etl/in/part-00001\tdst=null\tperm=null",
            ]
        )

    lines = []
    for _ in range(count):
        roll = rng.random()
        if roll < fault_rate:
            lines.append(rng.choice(faults))
        elif roll < 0.80:
            lines.append(log4j(info()))
        elif roll < 0.86:
            lines.append(log4j(f"{stamp} DEBUG {dn}: Number of active connections is: 42"))
        elif roll < 0.94:
            lines.append(
                log4j(
                    f"{stamp} WARN {dn}: Slow BlockReceiver write data to disk cost:"
                    f"{rng.randint(300, 900)}ms (threshold=300ms), volume=/data/3/dfs/dn"
                )
            )
        elif roll < 0.97:
            lines.append(
                log4j(
                    f"{stamp} ERROR {dn}: dn01.example.com:9866:DataXceiver error processing "
                    f"READ_BLOCK operation  src: /10.0.0.5:{rng.randint(30000, 60000)} dst: "
                    "/10.0.0.6:9866",
                    trace="java.io.IOException: Connection reset by peer\n"
                    + "\tat sun.nio.ch.FileDispatcherImpl.read0(Native Method)\n" * 12,
                )
            )
        else:
            lines.append(continuation("\tat org.apache.hadoop.ipc.Client.call(Client.java:1476)"))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--fault-rate", type=float, default=0.005)
    args = parser.parse_args()

    compiled = builtin_catalogue()
    lines = mixed_lines(args.lines, args.fault_rate)
    levels = {}
    for line in lines:
        levels[line.level] = levels.get(line.level, 0) + 1

    done, found, started = 0, 0, time.perf_counter()
    while time.perf_counter() - started < args.seconds:
        for line in lines:
            if line_detect(line, catalogue=compiled) is not None:
                found += 1
        done += len(lines)
    elapsed = time.perf_counter() - started

    rate = done / elapsed
    us = 1e6 / rate
    print(f"lines: {args.lines} per pass, mix {dict(sorted(levels.items()))}")
    print(f"detected: {found / (done / args.lines):.0f} occurrences per pass")
    print(f"detection: {rate:,.0f} lines/s, {us:.2f} us/line ({done:,} lines in {elapsed:.1f} s)")
    print(
        f"against ingestion without detection: +{100 * us / BATCH_US_PER_LINE:.1f} % per line in "
        f"batch mode ({BATCH_US_PER_LINE:.0f} us/line), +{100 * us / EVENT_US_PER_LINE:.2f} % "
        f"in event mode ({EVENT_US_PER_LINE:.0f} us/line)"
    )


if __name__ == "__main__":
    main()
