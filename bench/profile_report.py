#!/usr/bin/env python
"""Summarise py-spy folded stacks (ingest_bench.py --profile): where the workers' time goes.

.venv/bin/python bench/profile_report.py bench/results/<stamp>_event_*.folded [--top 40]
"""

import argparse
import re
from collections import Counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", default="", help="only frames whose text contains this")
    args = parser.parse_args()
    inclusive, own, total, idle = Counter(), Counter(), 0, 0
    for name in args.files:
        with open(name) as handle:
            for line in handle:
                stack, _, count = line.rstrip("\n").rpartition(" ")
                samples = int(count)
                frames = [re.sub(r" \(.*?/(site-packages/)?", " (", f) for f in stack.split(";")]
                total += samples
                if "idle" in frames[-1] or "wait" in frames[-1].split(" ")[0]:
                    idle += samples
                own[frames[-1]] += samples
                for frame in set(frames):
                    inclusive[frame] += samples
    print(f"{total} samples ({idle} in waits)")
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
