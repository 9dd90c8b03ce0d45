#!/usr/bin/env python
"""Summarise py-spy folded stacks (ingest_bench.py --profile): where the workers' time goes.

.venv/bin/python bench/profile_report.py bench/results/<stamp>_event_*.folded [--top 40]
"""

import argparse
from collections import Counter

# Layers of an ingest request: a sample counts for the layer of its innermost frame that
# belongs to one (frames are "function (package/module.py:line)").
LAYERS = [
    ("database driver and Django's db layer", ("MySQLdb/", "django/db/")),
    ("storage: rows, group commit (logs/services, logs/group_commit)",
     ("logs/services.py", "logs/group_commit.py")),
    ("body handling and parsing (logs/ingestion, logs/parsing, parsers)",
     ("logs/ingestion.py", "logs/parsing.py", "logs/api/parsers.py")),
    ("the view (logs/api/views.py)", ("logs/api/views.py",)),
    ("token lookup, scope, rate limit", ("faultportal/api/", "logs/throttling.py")),
    ("DRF", ("rest_framework/",)),
    ("Django request/response, signals, fast-path middleware",
     ("django/", "logs/api/middleware.py")),
    ("gunicorn (HTTP parsing and writing, poller, thread handoffs)", ("gunicorn/",)),
]  # fmt: skip


def layer_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, markers in LAYERS:
            if any(f"({marker}" in frame for marker in markers):
                return name
    return "other (thread pool, interpreter)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", default="", help="only frames whose text contains this")
    args = parser.parse_args()
    inclusive, own, layers, total, idle = Counter(), Counter(), Counter(), 0, 0
    for name in args.files:
        with open(name) as handle:
            for line in handle:
                stack, _, count = line.rstrip("\n").rpartition(" ")
                samples = int(count)
                frames = stack.split(";")
                total += samples
                if "idle" in frames[-1] or "wait" in frames[-1].split(" ")[0]:
                    idle += samples
                own[frames[-1]] += samples
                layers[layer_of(frames)] += samples
                for frame in set(frames):
                    inclusive[frame] += samples
    print(f"{total} samples ({idle} in waits)")
    print("-- by layer")
    for name, samples in layers.most_common():
        print(f"{100 * samples / total:5.1f}%  {name}")
    print("-- inclusive")
    for frame, samples in inclusive.most_common(args.top):
        if args.match in frame:
            print(f"{100 * samples / total:5.1f}%  {frame}")
    print("-- self")
    for frame, samples in own.most_common(args.top):
        if args.match in frame:
            print(f"{100 * samples / total:5.1f}%  {frame}")


if __name__ == "__main__":
    main()
