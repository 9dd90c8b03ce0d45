"""collect_cluster_status: read the NameNode(s) and ResourceManager(s) into cluster_status.

Once by default (for cron); with --every it loops until interrupted, and a failed collection
(database down, a bug on an odd answer) is reported and retried at the next tick.
"""

import logging
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.utils import timezone

from cluster.services import Collection, cluster_status_collect

logger = logging.getLogger(__name__)


def _url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(value)
    return value


def _positive(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Collect HDFS and YARN status from the NameNode JMX and ResourceManager REST APIs."

    def add_arguments(self, parser):
        parser.add_argument(
            "--namenode",
            action="append",
            type=_url,
            metavar="URL",
            help="NameNode web URL, e.g. http://nn1:9870; repeat for HA. Default: NAMENODE_URLS.",
        )
        parser.add_argument(
            "--resourcemanager",
            action="append",
            type=_url,
            metavar="URL",
            help="ResourceManager web URL, e.g. http://rm1:8088; repeat for HA. "
            "Default: RESOURCEMANAGER_URLS.",
        )
        parser.add_argument(
            "--every",
            type=_positive,
            metavar="SECONDS",
            nargs="?",
            const=-1.0,
            help="Collect every SECONDS until interrupted (without a value: "
            "COLLECT_INTERVAL_SECONDS). Without --every, collect once.",
        )
        parser.add_argument(
            "--count",
            type=int,
            metavar="N",
            help="With --every: stop after N collections.",
        )
        parser.add_argument(
            "--timeout",
            type=_positive,
            metavar="SECONDS",
            help="Per-request timeout. Default: COLLECT_TIMEOUT_SECONDS.",
        )

    def handle(self, *args, **options):
        namenodes = options["namenode"] or list(settings.NAMENODE_URLS)
        resourcemanagers = options["resourcemanager"] or list(settings.RESOURCEMANAGER_URLS)
        if not namenodes and not resourcemanagers:
            raise CommandError(
                "Nothing to collect: pass --namenode/--resourcemanager or set NAMENODE_URLS "
                "and RESOURCEMANAGER_URLS."
            )
        timeout = options["timeout"] or settings.COLLECT_TIMEOUT_SECONDS
        every = options["every"]
        if every is None:
            collection = cluster_status_collect(
                namenode_urls=namenodes, resourcemanager_urls=resourcemanagers, timeout=timeout
            )
            self.stdout.write(summary_line(collection))
            return
        if every < 0:
            every = float(settings.COLLECT_INTERVAL_SECONDS)
        self._loop(namenodes, resourcemanagers, timeout, every, options["count"])

    def _loop(self, namenodes, resourcemanagers, timeout, every, count):
        done = 0
        try:
            while count is None or done < count:
                started = time.monotonic()
                if not connection.in_atomic_block:
                    # A long-lived process must not reuse a dead connection (but never close
                    # one under a caller's open transaction).
                    close_old_connections()
                try:
                    collection = cluster_status_collect(
                        namenode_urls=namenodes,
                        resourcemanager_urls=resourcemanagers,
                        timeout=timeout,
                    )
                    self.stdout.write(summary_line(collection))
                except Exception as exc:  # the loop must survive anything one collection hits
                    logger.exception("cluster status collection failed")
                    self.stdout.write(
                        f"{_now()} collection failed: {exc.__class__.__name__}: {exc}"
                    )
                done += 1
                self.stdout.flush()
                if count is not None and done >= count:
                    break
                time.sleep(max(0.0, every - (time.monotonic() - started)))
        except KeyboardInterrupt:
            self.stdout.write(f"{_now()} stopped after {done} collection(s)")


def _now() -> str:
    return timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def summary_line(collection: Collection) -> str:
    """One line per collection for the operator watching the collector."""
    cluster = collection.snapshot.cluster
    parts = [
        collection.collected_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        f"state={cluster['state']}",
    ]
    if collection.snapshot.namenodes:
        if collection.snapshot.hdfs_known:
            parts.append(
                f"hdfs: active={cluster['active_namenode']} "
                f"used={_fmt(cluster.get('capacity_used_pct'))}% "
                f"datanodes live={_fmt(cluster.get('live_datanodes'))} "
                f"dead={_fmt(cluster.get('dead_datanodes'))} "
                f"stale={_fmt(cluster.get('stale_datanodes'))} "
                f"missing_blocks={_fmt(cluster.get('missing_blocks'))} "
                f"safe_mode={_fmt(cluster.get('safe_mode'))}"
            )
        else:
            parts.append("hdfs: no data")
    if collection.snapshot.resourcemanagers:
        if collection.snapshot.yarn_known:
            parts.append(
                f"yarn: apps_running={_fmt(cluster.get('apps_running'))} "
                f"nodemanagers active={_fmt(cluster.get('nodemanagers_active'))} "
                f"lost={_fmt(cluster.get('nodemanagers_lost'))} "
                f"unhealthy={_fmt(cluster.get('nodemanagers_unhealthy'))}"
            )
        else:
            parts.append("yarn: no data")
    parts.append(
        f"faults raised={len(collection.applied.raised)} cleared={len(collection.applied.cleared)}"
    )
    if cluster.get("error"):
        parts.append(f"errors: {cluster['error']}")
    return " | ".join(parts)


def _fmt(value) -> str:
    if value is None:
        return "?"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)
