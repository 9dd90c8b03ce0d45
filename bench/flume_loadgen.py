#!/usr/bin/env python
"""A load generator that sends as Flume's sinks do (HTTP or Thrift), one call at a time per sink.

  http    HttpSink: one line per POST (text/plain, token and host in the query), keep-alive,
          each sink waits for its answer before the next line
  thrift  ThriftSink: appendBatch of --batch events (headers file, host, token, byteoffset),
          compact protocol, framed, one call outstanding per sink, sequence ids per connection

Sinks run as threads spread over --processes processes, so the generator's own interpreter
lock does not cap the rate. Prints (and writes with --json-out) lines accepted, lines/s,
per-sink lines/s and the latency of each call (p50, p99).

    .venv/bin/python bench/flume_loadgen.py --mode thrift --port 4353 --token T --sinks 16
    .venv/bin/python bench/flume_loadgen.py --mode http --url http://127.0.0.1:8000 --token T
"""

import argparse
import http.client
import json
import multiprocessing
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from flume.thrift_wire import COMPACT, Status  # noqa: E402
from tests.support.thrift_sink import ThriftSink, event  # noqa: E402

TS = "2026-11-28 10:15:32,123"


# The line each call sends; --text replaces it ({ts}, {run}, {sink} and {number} are filled in).
DEFAULT_TEXT = "{ts} INFO org.apache.hadoop.hdfs.StateChange: run {run} sink {sink} line {number}"
_text = DEFAULT_TEXT


def line(run: str, sink: int, number: int) -> str:
    return _text.format(ts=TS, run=run, sink=sink, number=number)


def http_sink(args, sink: int, deadline: float, out: dict) -> None:
    parts = urlsplit(args.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    path = f"/api/log/auto-upload?token={quote(args.token)}&host=bench-http-{sink}&logtype=hadoop"
    headers = {"Content-Type": "text/plain", "Accept": "text/plain"}
    number = 0
    while time.monotonic() < deadline:
        body = line(args.run, sink, number).encode()
        started = time.monotonic()
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            status = 0
        out["latencies"].append(time.monotonic() - started)
        if 200 <= status < 300:
            out["lines"] += 1
            number += 1
        else:
            out["failed"] += 1
    conn.close()


def thrift_sink(args, sink: int, deadline: float, out: dict) -> None:
    client = ThriftSink(args.host, args.port, protocol=args.protocol)
    path = f"/var/log/hadoop/bench-{args.run}-{sink}.log"
    number, offset = 0, 0
    while time.monotonic() < deadline:
        batch, size = [], 0
        for i in range(args.batch):
            text = line(args.run, sink, number + i)
            batch.append(
                event(text, file=path, host=f"bench-thrift-{sink}", token=args.token,
                      byteoffset=str(offset + size))
            )  # fmt: skip
            size += len(text) + 1
        started = time.monotonic()
        try:
            status = client.append_batch(batch)
        except Exception:  # noqa: BLE001 - any failure: the sink resends the batch
            status = None
        out["latencies"].append(time.monotonic() - started)
        if status == Status.OK:
            out["lines"] += args.batch
            number += args.batch
            offset += size
        else:
            out["failed"] += 1
            client.close()
            time.sleep(args.retry_sleep)
    client.close()


def process_main(args, sinks: list[int], start_at: float, queue) -> None:
    global _text
    _text = args.text
    results = {sink: {"lines": 0, "failed": 0, "latencies": []} for sink in sinks}
    target = http_sink if args.mode == "http" else thrift_sink
    time.sleep(max(0.0, start_at - time.time()))
    deadline = time.monotonic() + args.duration
    threads = [
        threading.Thread(target=target, args=(args, sink, deadline, results[sink]))
        for sink in sinks
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(results)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["http", "thrift"], required=True)
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="portal (http mode)")
    parser.add_argument("--host", default="127.0.0.1", help="intake host (thrift mode)")
    parser.add_argument("--port", type=int, default=4353, help="intake port (thrift mode)")
    parser.add_argument("--protocol", default=COMPACT, choices=["compact", "binary"])
    parser.add_argument("--token", required=True)
    parser.add_argument("--sinks", type=int, default=16)
    parser.add_argument("--batch", type=int, default=100, help="events per appendBatch")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--retry-sleep", type=float, default=5.0, help="Flume sleeps 5 s")
    parser.add_argument("--run", default=uuid.uuid4().hex[:8], help="tag in every line")
    parser.add_argument(
        "--text",
        default=DEFAULT_TEXT,
        help="the line sent, with {ts}, {run}, {sink}, {number} filled in (default: an INFO line)",
    )
    parser.add_argument("--json-out")
    args = parser.parse_args()

    queue = multiprocessing.Queue()
    start_at = time.time() + 1.0
    groups = [list(range(args.sinks))[i :: args.processes] for i in range(args.processes)]
    processes = [
        multiprocessing.Process(target=process_main, args=(args, group, start_at, queue))
        for group in groups
        if group
    ]
    for process in processes:
        process.start()
    merged = {}
    for _ in processes:
        merged.update(queue.get())
    for process in processes:
        process.join()
    latencies = [value for result in merged.values() for value in result["latencies"]]
    lines = sum(result["lines"] for result in merged.values())
    summary = {
        "mode": args.mode,
        "sinks": args.sinks,
        "batch": args.batch if args.mode == "thrift" else 1,
        "duration_s": args.duration,
        "accepted_lines": lines,
        "failed_calls": sum(result["failed"] for result in merged.values()),
        "calls": len(latencies),
        "lines_per_s": round(lines / args.duration, 1),
        "lines_per_s_per_sink": round(lines / args.duration / args.sinks, 1),
        "p50_ms": round(1000 * percentile(latencies, 50), 2),
        "p99_ms": round(1000 * percentile(latencies, 99), 2),
    }
    print(json.dumps(summary))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
