#!/usr/bin/env python
"""Do two daemons that share one HTTP sink misattach each other's stack traces? Run by hand:

    .venv/bin/python bench/stream_interleave.py              # prints the figures
    .venv/bin/python bench/stream_interleave.py --events 4000 --seed 7

Flume itself is not on this machine, so the part of the chain before the portal is emulated,
deterministically, as the agent file shipped before issue 13 set it up on an HA master where
the NameNode and the JournalNode log into /var/log/hadoop: both files matched the `hdfs`
filegroup of source `hadoop_dir`, went to channel `hdfs_ch` and left by the one sink
`hdfs_portal` (URL: host, logtype=hdfs, token; no file). The shipped file now gives each master
daemon its own flow; the daemons still grouped in `hdfs_ch` (DataNode, router, NFS gateway)
share a sink as these two did. The emulation follows TaildirSource:
each poll walks the files and reads, per file, batches of `batchSize` whole lines until a batch
comes back short or `maxBatchCount` batches were read (values read from the shipped file);
the channel keeps that order and the sink sends it one line per request. The daemons write as
log4j 1.x's FileAppender does: an event (header and trace) in one write when it fits the JDK
writer's 8 KiB buffer, in 8 KiB pieces otherwise. Two phases: live (the reader keeps up), and a
backlog (the portal was down, the channel was full and the source paused: both files piled up).

The lines then go through the portal's own ingest service (logs.services.system_logs_ingest, one
line per call, as one request each) on a scratch SQLite database, once with the shipped sink's
stream (token + host + logtype) and once with a stream per file (what a sink per daemon log, or
the Thrift variant's `file` header, gives). It counts the trace rows whose event is the other
daemon's: misattached.
"""

import argparse
import os
import random
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

WRITE_BUFFER = 8192  # the JDK OutputStreamWriter's byte buffer under log4j's FileAppender


def shipped_reader_settings() -> tuple[int, int]:
    from flume import properties
    from flume.agent import agents_from_properties

    text = (REPO / "flume" / "hadoop-log-agent.conf").read_text()
    agent = next(iter(agents_from_properties(properties.loads(text)).agents.values()))
    source = agent.component("sources", "hadoop_dir")
    return int(source.keys["batchSize"]), int(source.keys["maxBatchCount"])


def make_event(rng: random.Random, daemon: str, number: int, stamp: str) -> list[str]:
    logger = {
        "namenode": "org.apache.hadoop.hdfs.server.namenode.FSNamesystem",
        "journalnode": "org.apache.hadoop.hdfs.qjournal.server.Journal",
    }[daemon]
    if rng.random() > 0.05:  # most events are one INFO line
        return [f"{stamp} INFO {logger}: {daemon} event {number} " + "x" * rng.randint(40, 160)]
    frames = rng.randint(8, 120)
    lines = [
        f"{stamp} ERROR {logger}: {daemon} failure {number}",
        f"java.io.IOException: {daemon} trace {number}",
    ]
    lines += [f"\tat org.apache.hadoop.{daemon}.Frame{i}.call(Frame{i}.java:{i + 10})"
              for i in range(frames)]  # fmt: skip
    lines += [f"Caused by: java.net.ConnectException: {daemon} cause {number}", "\t... 9 more"]
    return lines


def writes(rng: random.Random, daemon: str, events: int) -> list[tuple[float, bytes]]:
    """(time, bytes written) of one daemon's log: events at random times, log4j-sized writes."""
    out, at = [], 0.0
    for number in range(events):
        at += rng.expovariate(200.0)  # ~200 events/s per daemon: a busy master
        stamp = (
            f"2026-12-02 10:{int(at) // 60 % 60:02d}:{int(at) % 60:02d},{int(at * 1000) % 1000:03d}"
        )
        data = ("\n".join(make_event(rng, daemon, number, stamp)) + "\n").encode()
        for start in range(0, len(data), WRITE_BUFFER):
            out.append((at, data[start : start + WRITE_BUFFER]))
            at += 0.0002  # the next flush of the same event follows at once
    return out


def taildir(files: dict[str, list[tuple[float, bytes]]], *, poll: float, backlog_until: float,
            batch_size: int, max_batches: int) -> list[tuple[str, str]]:  # fmt: skip
    """The channel's order of (file, line): TaildirSource.process() over the files."""
    pending = dict.fromkeys(files, b"")
    cursor = dict.fromkeys(files, 0)
    channel: list[tuple[str, str]] = []
    end = max(w[-1][0] for w in files.values()) + 1
    now = 0.0
    while now < end + poll:
        now += poll
        for name, stream in files.items():  # written so far
            while cursor[name] < len(stream) and stream[cursor[name]][0] <= now:
                pending[name] += stream[cursor[name]][1]
                cursor[name] += 1
        if now < backlog_until:
            continue  # the channel is full: the source retries the same batch, reads nothing
        for name in files:
            for _ in range(max_batches):
                *complete, rest = pending[name].split(b"\n")
                batch, leftover = complete[:batch_size], complete[batch_size:]
                channel += [(name, line.decode()) for line in batch]
                pending[name] = b"\n".join([*leftover, rest])
                if len(batch) < batch_size:
                    break
    return channel


def ingest(channel: list[tuple[str, str]], *, per_file: bool) -> tuple[int, int]:
    """(trace rows, trace rows whose event is the other daemon's) after one call per line."""
    from logs.models import SystemLog
    from logs.parsing import preprocess_log
    from logs.services import system_logs_ingest

    SystemLog.objects.all().delete()
    for name, line in channel:
        parsed = preprocess_log(
            line,
            host="nn01",
            logtype="hdfs",
            source_file=f"/var/log/hadoop/{name}" if per_file else "",
        )
        system_logs_ingest(lines=[parsed], token_id=1)
    heads = dict(SystemLog.objects.filter(event_head__isnull=True).values_list("id", "raw"))
    trace_rows = wrong = 0
    for head, raw in SystemLog.objects.filter(event_head__isnull=False).values_list(
        "event_head", "raw"
    ):
        # A frame names its daemon; `... 9 more` names none and is not judged.
        owner = next((d for d in ("journalnode", "namenode") if d in raw), None)
        if owner is None:
            continue
        trace_rows += 1
        if owner not in heads.get(head, ""):
            wrong += 1
    return trace_rows, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=3000, help="events per daemon")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp()) / "interleave.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "faultportal.settings")
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch}"
    os.environ["REDIS_URL"] = ""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    batch_size, max_batches = shipped_reader_settings()
    rng = random.Random(args.seed)
    files = {
        "hadoop-hdfs-namenode-nn01.log": writes(rng, "namenode", args.events),
        "hadoop-hdfs-journalnode-nn01.log": writes(rng, "journalnode", args.events),
    }
    print(f"shipped hadoop_dir source: batchSize={batch_size} maxBatchCount={max_batches}; "
          f"{args.events} events per daemon, seed {args.seed}")  # fmt: skip
    for phase, backlog in (("live (poll every 50 ms)", 0.0), ("backlog (source paused 5 s)", 5.0)):
        channel = taildir(files, poll=0.05, backlog_until=backlog, batch_size=batch_size,
                          max_batches=max_batches)  # fmt: skip
        for label, per_file in (("one sink, shipped", False), ("stream per file", True)):
            rows, wrong = ingest(channel, per_file=per_file)
            print(f"{phase:30} {label:18} trace rows {rows:6}  misattached {wrong:5} "
                  f"({100 * wrong / max(rows, 1):.2f} %)")  # fmt: skip


if __name__ == "__main__":
    main()
