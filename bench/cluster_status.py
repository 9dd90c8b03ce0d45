"""Benchmark GET /api/cluster/status under gunicorn: cached (Redis) vs uncached.

    .venv/bin/python bench/cluster_status.py [--seconds 5] [--clients 16] [--history-hours 6]

Creates a scratch MariaDB database (dropped at the end), migrates it, stores a realistic cluster
(2 NameNodes, 2 ResourceManagers, 30 DataNodes, 30 NodeManagers, 30 hosts pushing metrics)
with a history of one snapshot a minute, then runs gunicorn twice on it — once with the status
cache on (Redis), once with CLUSTER_STATUS_CACHE_SECONDS=0 — and drives each with concurrent
keep-alive clients. Prints req/s and latency percentiles. Needs MariaDB (TEST_MARIADB_URL) and
Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/5).
"""

import argparse
import os
import socket
import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support import services  # noqa: E402
from tests.support.server import PortalServer  # noqa: E402

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
CLUSTER_SIZE = 30


def seed(history_hours: int) -> str:
    """Store the history and return a read token (runs in this process, on the scratch DB)."""
    import django

    django.setup()
    from django.utils import timezone

    from cluster.cache import status_cache_invalidate
    from cluster.collector.snapshot import Snapshot
    from cluster.models import ClusterStatus
    from cluster.services import cluster_status_store
    from faultportal.services import api_token_create

    gb = 1024**3
    now = timezone.now()
    minutes = history_hours * 60
    host_rows = []
    for minute in range(minutes, -1, -1):
        at = now - timedelta(minutes=minute)
        nodes = [
            {"role": "namenode", "host": "nn1.example.com", "state": "active", "details": {}},
            {"role": "namenode", "host": "nn2.example.com", "state": "standby", "details": {}},
            {"role": "resourcemanager", "host": "rm1.example.com", "state": "active"},
            {"role": "resourcemanager", "host": "rm2.example.com", "state": "standby"},
        ]
        for i in range(1, CLUSTER_SIZE + 1):
            host = f"dn{i:02}.example.com"
            nodes.append(
                {
                    "role": "datanode",
                    "host": host,
                    "state": "live",
                    "capacity_total_bytes": 8000 * gb,
                    "capacity_used_bytes": (3000 + i * 10) * gb,
                    "capacity_remaining_bytes": (4800 - i * 10) * gb,
                    "capacity_used_pct": 40.0,
                    "volume_failures": 0,
                    "blocks_total": 120000 + i,
                    "last_contact_seconds": 1,
                    "details": {"xfer_addr": f"10.0.0.{i}:9866", "version": "3.3.6"},
                }
            )
            nodes.append(
                {
                    "role": "nodemanager",
                    "host": host,
                    "state": "RUNNING",
                    "memory_total_mb": 65536,
                    "memory_allocated_mb": 32768,
                    "memory_available_mb": 32768,
                    "vcores_total": 16,
                    "vcores_allocated": 8,
                    "vcores_available": 8,
                    "containers_allocated": 8,
                    "details": {"id": f"{host}:45454", "rack": "/default-rack"},
                }
            )
            host_rows.append(
                ClusterStatus(
                    collection_id=f"push{minute:06}{i:04}",
                    collected_at=at,
                    scope="node",
                    source="push",
                    host=host,
                    role="host",
                    state="up",
                    cpu_pct=35.0,
                    memory_used_pct=70.0,
                    disk_used_pct=55.0,
                    load_1m=4.0,
                    load_5m=3.5,
                    load_15m=3.0,
                )
            )
        cluster = {
            "role": "cluster",
            "host": "",
            "state": "ok",
            "reachable": True,
            "active_namenode": "nn1.example.com",
            "capacity_total_bytes": CLUSTER_SIZE * 8000 * gb,
            "capacity_used_bytes": CLUSTER_SIZE * 3200 * gb,
            "capacity_remaining_bytes": CLUSTER_SIZE * 4600 * gb,
            "capacity_used_pct": 41.03,
            "live_datanodes": CLUSTER_SIZE,
            "dead_datanodes": 0,
            "stale_datanodes": 0,
            "missing_blocks": 0,
            "corrupt_blocks": 0,
            "under_replicated_blocks": 0,
            "safe_mode": False,
            "apps_running": 12,
            "memory_total_mb": CLUSTER_SIZE * 65536,
            "vcores_total": CLUSTER_SIZE * 16,
            "nodemanagers_active": CLUSTER_SIZE,
            "nodemanagers_lost": 0,
            "details": {"namenodes": {"nn1.example.com": "active", "nn2.example.com": "standby"}},
        }
        cluster_status_store(snapshot=Snapshot(cluster=cluster, nodes=nodes), collected_at=at)
        if len(host_rows) >= 3000:
            ClusterStatus.objects.bulk_create(host_rows)
            host_rows = []
    ClusterStatus.objects.bulk_create(host_rows)
    status_cache_invalidate()  # Redis may hold an answer from an earlier run's database
    _, token = api_token_create(name="bench", scopes="read")
    print(f"seeded {ClusterStatus.objects.count()} rows ({minutes + 1} snapshots)", flush=True)
    return token


class LeanClient:
    """A minimal keep-alive HTTP/1.1 client: http.client's header parsing costs more CPU than
    the cached answer itself, and the load generator shares the machine with the server."""

    def __init__(self, host: str, port: int, request: bytes):
        self.address = (host, port)
        self.request = request
        self.sock = None
        self.buffer = b""

    def get(self) -> int:
        if self.sock is None:
            self.sock = socket.create_connection(self.address, timeout=30)
            self.buffer = b""
        self.sock.sendall(self.request)
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = next(
            int(line.split(b":", 1)[1])
            for line in lines
            if line.lower().startswith(b"content-length:")
        )
        while len(rest) < length:
            rest += self._read_chunk()
        self.buffer = rest[length:]
        if any(line.lower() == b"connection: close" for line in lines):
            self.close()
        return status

    def _read(self) -> None:
        self.buffer += self._read_chunk()

    def _read_chunk(self) -> bytes:
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("server closed the connection")
        return chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None


def drive(url: str, token: str, *, clients: int, seconds: float) -> dict:
    parts = urlsplit(url)
    request = (
        f"GET /api/cluster/status HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: Token {token}\r\nAccept: application/json\r\n\r\n"
    ).encode()
    stop = threading.Event()
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients

    def client(index: int) -> None:
        conn = LeanClient(parts.hostname, parts.port, request)
        while not stop.is_set():
            started = time.perf_counter()
            try:
                ok = conn.get() == 200
            except (OSError, ValueError, StopIteration):
                ok = False
                conn.close()
            if ok:
                latencies[index].append(time.perf_counter() - started)
            else:
                errors[index] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    begun = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - begun
    flat = sorted(x for per in latencies for x in per)
    if not flat:
        return {"requests": 0, "errors": sum(errors)}
    return {
        "requests": len(flat),
        "errors": sum(errors),
        "rps": len(flat) / elapsed,
        "p50_ms": statistics.median(flat) * 1000,
        "p99_ms": flat[min(len(flat) - 1, int(len(flat) * 0.99))] * 1000,
    }


def run(label: str, env: dict, token: str, args) -> dict:
    with PortalServer(env, workers=args.workers, threads=args.threads) as server:
        status, body = server.get_json("/api/cluster/status", token)
        assert status == 200 and len(body["nodes"]) == 4 + 3 * CLUSTER_SIZE, (status, body)
        drive(server.url, token, clients=args.clients, seconds=min(1.0, args.seconds))  # warm-up
        result = drive(server.url, token, clients=args.clients, seconds=args.seconds)
    print(
        f"{label:<10} {result.get('rps', 0):8.1f} req/s   p50 {result.get('p50_ms', 0):7.1f} ms"
        f"   p99 {result.get('p99_ms', 0):7.1f} ms   ({result['requests']} requests, "
        f"{result['errors']} errors)",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--history-hours", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    name = services.create_scratch_database("fp_bench_cluster")
    database_url = services.database_url_for(name)
    try:
        services.run_manage("migrate", "--no-input", "-v0", env={"DATABASE_URL": database_url})
        os.environ.update(
            {
                "DATABASE_URL": database_url,
                "REDIS_URL": REDIS_URL,
                "DJANGO_SETTINGS_MODULE": "faultportal.settings",
            }
        )
        token = seed(args.history_hours)
        base = {"DATABASE_URL": database_url, "REDIS_URL": REDIS_URL, "LOG_LEVEL": "WARNING"}
        print(
            f"GET /api/cluster/status, {args.clients} clients, {args.seconds:g} s, gunicorn "
            f"{args.workers} workers x {args.threads} threads, MariaDB + Redis",
            flush=True,
        )
        cached = run("cached", {**base, "CLUSTER_STATUS_CACHE_SECONDS": "300"}, token, args)
        uncached = run("uncached", {**base, "CLUSTER_STATUS_CACHE_SECONDS": "0"}, token, args)
        if uncached.get("rps"):
            print(f"cached / uncached: {cached['rps'] / uncached['rps']:.1f}x req/s")
    finally:
        services.drop_database(name)


if __name__ == "__main__":
    main()
