#!/usr/bin/env python
"""Parser micro-benchmark: preprocess_log on generated Hadoop lines, one core, no I/O.

    .venv/bin/python bench/parse_bench.py [--lines 200000] [--zone Asia/Shanghai]
        [--layouts none|all] [--mix generated|every-layout]

Lines come from the shared bench's gen_lines.py (real Hadoop layouts, ~4 % stack-trace lines).
Prints lines/s for preprocess_log alone, with stack traces folded (attach_continuations), and
for the whole text-body path of a 100-line request (split, decode, limits, parse).

`--layouts all` (the default) enables, as operator layouts (log_layouts), the real patterns of
docs/layouts.md, the way a portal with every layout configured runs; `none` runs the built-ins
alone. `--mix every-layout` replaces a third of the generated lines with lines of every layout
docs/layouts.md lists (built-in and operator-only, in turn), and some in no layout at all, so
the operator layouts and the dispatch past the built-ins are measured too.
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
from logs.layouts import LayoutSet, compile_layout  # noqa: E402
from logs.parsing import attach_continuations, preprocess_log  # noqa: E402

# The real patterns of docs/layouts.md, as an operator would add them.
OPERATOR_PATTERNS = [
    "%d{ISO8601} %-5p %c{2} (%F:%M(%L)) - %m%n",
    "%d{ISO8601} %p [%t] %c: %m%n",
    "%d{yy/MM/dd HH:mm:ss} %p %c{2}: %m%n",
    "%d{ISO8601} %p %c{2}: %m%n",
    "%d{ISO8601} %p %c: %m%n",
    "%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n",
    "%d{ISO8601} - %-5p [%t:%C{1}@%L][%x] - %m%n",
    "[%d] %p %m (%c)%n",
    "%d{ISO8601} %5p [%t] %c{1}:%L - %m%n",
    "%d{ISO8601} %5p - %m%n",
    "%d{ISO8601} %5p %c{1}:%L - SERVER[oozie01] %m%n",
]
# One line of each layout docs/layouts.md lists, then lines in none.
EVERY_LAYOUT = [
    "2026-11-28 10:15:34,517 ERROR [main] namenode.NameNode (NameNode.java:main(1774)) - "
    "Failed to start namenode.",
    "2026-11-28 10:15:32,871 INFO  blockmanagement.BlockManager "
    "(BlockManager.java:processReport(2184)) - BLOCK* processReport 0x1b2ad9e0b5a4: from storage",
    "2026-11-28 10:15:33 WARN  NativeCodeLoader:62 - Unable to load native-hadoop library for "
    "your platform... using builtin-java classes where applicable",
    "2017-05-12 01:54:06,803 INFO WebServerImpl:com.cloudera.server.cmf.WebServerImpl: "
    "Started Jetty server.",
    "26/11/28 10:15:40 INFO client.RMProxy: Connecting to ResourceManager at rm01/10.0.0.3:8032",
    "2026-11-28 10:00:00,067 INFO FSNamesystem.audit: allowed=true\tugi=etl (auth:SIMPLE)\t"
    "ip=/10.0.3.35\tcmd=open\tsrc=/data/raw/events-49051\tdst=null\tperm=null\tproto=rpc",
    "2026-11-28 10:16:00,114 INFO resourcemanager.RMAuditLogger: USER=etl\tIP=10.0.3.35\t"
    "OPERATION=Submit Application Request\tTARGET=ClientRMService\tRESULT=SUCCESS",
    "2026-11-28 10:15:32,123 - INFO  [main:QuorumPeerConfig@136] - Reading configuration from: "
    "/etc/zookeeper/conf/zoo.cfg",
    "2026-11-28 10:15:32,123  INFO [main] AmbariServer:1074 - Checking DB store version",
    "2026-11-28 10:15:32,123 - TRACE [NIOServerCxn.Factory:0.0.0.0/0.0.0.0:2181:"
    "NIOServerCnxn@1008][] - Closed socket connection for client /10.0.3.35:50322",
    "[2026-11-28 10:15:32,123] ERROR [KafkaApi-1] Error when handling request Name: "
    "FetchRequest (kafka.server.KafkaApis)",
    "2026-11-28 10:15:32,123 ERROR - Required config(s): hdfs-site is(are) not available",
    "STARTUP_MSG:   classpath = /etc/hadoop/conf:/usr/lib/hadoop/lib/*",
    "core file size          (blocks, -c) 0",
]


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
    parser.add_argument("--layouts", choices=["none", "all"], default="all")
    parser.add_argument("--mix", choices=["generated", "every-layout"], default="generated")
    args = parser.parse_args()

    lines = [line for _, _, line in generate(args.lines, seed=11)]
    if args.mix == "every-layout":
        for i in range(0, len(lines), 3):
            lines[i] = EVERY_LAYOUT[(i // 3) % len(EVERY_LAYOUT)]
    zone = args.zone
    layouts = LayoutSet(  # as logs.layout_cache.log_layouts_current() returns them
        compile_layout(p, name=f"op{i}")
        for i, p in enumerate(OPERATOR_PATTERNS)
        if args.layouts == "all"
    )

    def parse_only():
        for line in lines:
            preprocess_log(line, host="dn01", logtype="hadoop", time_zone=zone, layouts=layouts)

    chunks = [lines[i : i + 100] for i in range(0, len(lines), 100)]

    def parse_and_fold():  # per request of 100 lines, as the endpoint does
        for chunk in chunks:
            attach_continuations(
                [
                    preprocess_log(
                        line, host="dn01", logtype="hadoop", time_zone=zone, layouts=layouts
                    )
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
                    time_zone=zone, layouts=layouts,
                ).lines
            )  # fmt: skip

    print(
        f"{len(lines):,} lines ({args.mix}), {len(layouts)} operator layouts, zone {zone}, "
        f"best of {args.runs}, one core"
    )
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
