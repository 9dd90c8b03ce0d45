"""Read the cluster's daemons: NameNode JMX and ResourceManager REST, into a Snapshot.

All endpoints are asked at once, so one NameNode that hangs until its timeout does not delay
the others: a collection takes about one timeout at worst, not one per daemon.
"""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from cluster.collector.jmx import namenode_read
from cluster.collector.resourcemanager import (
    resourcemanager_read_cluster,
    resourcemanager_read_info,
)
from cluster.collector.snapshot import Snapshot, choose_active_resourcemanager, snapshot_build


def cluster_read(
    *,
    namenode_urls: list[str],
    resourcemanager_urls: list[str],
    timeout: float,
    stale_seconds: int,
) -> Snapshot:
    workers = max(1, len(namenode_urls) + len(resourcemanager_urls))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="collect") as pool:
        nn_futures = [pool.submit(namenode_read, url, timeout=timeout) for url in namenode_urls]
        rm_futures = [
            pool.submit(resourcemanager_read_info, url, timeout=timeout)
            for url in resourcemanager_urls
        ]
        resourcemanagers = [f.result() for f in rm_futures]
        active_rm = choose_active_resourcemanager(resourcemanagers)
        rm_future = (
            pool.submit(resourcemanager_read_cluster, active_rm, timeout=timeout)
            if active_rm is not None
            else None
        )
        namenodes = [f.result() for f in nn_futures]
        if rm_future is not None:
            rm_future.result()
    _label_hosts(namenodes)
    _label_hosts(resourcemanagers)
    return snapshot_build(
        namenodes=namenodes, resourcemanagers=resourcemanagers, stale_seconds=stale_seconds
    )


def _label_hosts(readings) -> None:
    """Rows and faults are keyed by host; two daemons of one kind on one host (a test or
    pseudo-distributed cluster) are told apart by their port."""
    counts = Counter(r.host for r in readings)
    for reading in readings:
        if counts[reading.host] > 1:
            reading.host = urlsplit(reading.url).netloc
