"""Writes of cluster_status: a collection, pushed host metrics, retention."""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cluster.cache import status_cache_invalidate_on_commit
from cluster.collector import cluster_read
from cluster.collector.snapshot import Snapshot
from cluster.models import ClusterStatus
from cluster.thresholds import (
    Applied,
    Evaluation,
    host_thresholds_evaluate,
    thresholds_apply,
    thresholds_current,
    thresholds_evaluate,
)

logger = logging.getLogger(__name__)

Scope = ClusterStatus.Scope
Source = ClusterStatus.Source
Role = ClusterStatus.Role

HOST_METRICS = ("cpu_pct", "memory_used_pct", "disk_used_pct", "load_1m", "load_5m", "load_15m")


@dataclass
class Collection:
    collection_id: str
    collected_at: datetime
    snapshot: Snapshot
    evaluation: Evaluation
    applied: Applied


def cluster_status_collect(
    *,
    namenode_urls: list[str],
    resourcemanager_urls: list[str],
    timeout: float | None = None,
) -> Collection:
    """Read the cluster, store the snapshot, then raise and clear threshold faults."""
    snapshot = cluster_read(
        namenode_urls=namenode_urls,
        resourcemanager_urls=resourcemanager_urls,
        timeout=timeout if timeout is not None else settings.COLLECT_TIMEOUT_SECONDS,
        stale_seconds=settings.DATANODE_STALE_SECONDS,
    )
    limits = thresholds_current()
    evaluation = thresholds_evaluate(snapshot, limits)
    answered = any(r.reachable for r in snapshot.namenodes) or any(
        r.reachable for r in snapshot.resourcemanagers
    )
    snapshot.cluster["state"] = evaluation.cluster_state if answered else "unreachable"
    collected_at = timezone.now()
    collection_id = cluster_status_store(snapshot=snapshot, collected_at=collected_at)
    # The snapshot is committed first: a failure while recording faults must not lose it.
    applied = thresholds_apply(evaluation=evaluation, seen_at=collected_at, limits=limits)
    return Collection(collection_id, collected_at, snapshot, evaluation, applied)


def cluster_status_store(
    *, snapshot: Snapshot, collected_at: datetime, source: str = Source.COLLECTOR
) -> str:
    """Store the cluster row and the node rows of one snapshot; returns the collection id."""
    collection_id = uuid.uuid4().hex
    common = {"collection_id": collection_id, "collected_at": collected_at, "source": source}
    rows = [ClusterStatus(scope=Scope.CLUSTER, **common, **snapshot.cluster)]
    rows += [ClusterStatus(scope=Scope.NODE, **common, **node) for node in snapshot.nodes]
    with transaction.atomic():
        ClusterStatus.objects.bulk_create(rows, batch_size=500)
        status_cache_invalidate_on_commit()
    return collection_id


def host_metrics_push(*, host: str, metrics: dict) -> ClusterStatus:
    """Store host metrics a script pushed (a node row with role `host`), then apply the host
    thresholds (CPU, memory, disk) to them: a fault once a metric stayed past its threshold for
    the threshold's duration, resolved when the host reports it back within."""
    unknown = set(metrics) - set(HOST_METRICS)
    if unknown:
        raise ValueError(f"Unknown host metrics: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        row = ClusterStatus.objects.create(
            collection_id=uuid.uuid4().hex,
            collected_at=timezone.now(),
            scope=Scope.NODE,
            source=Source.PUSH,
            host=host,
            role=Role.HOST,
            state="up",
            **metrics,
        )
        status_cache_invalidate_on_commit()
    limits = thresholds_current()
    evaluation = host_thresholds_evaluate(host=host, metrics=metrics, limits=limits)
    # The row is committed first: a failure while recording faults must not lose the metrics.
    thresholds_apply(evaluation=evaluation, seen_at=row.collected_at, limits=limits)
    return row


def cluster_status_prune(
    *,
    older_than: timedelta,
    batch_size: int = 5000,
    now: datetime | None = None,
    dry_run: bool = False,
    progress=None,
) -> int:
    """Delete rows collected before now - older_than, in small batches; returns how many.

    Batches keep each transaction (and its locks and undo log) short, so the collector and the
    status API keep working while a large backlog is pruned. `dry_run` counts instead;
    `progress(rows)` is called after each batch (manage.py prune's bar and prune_runs).
    """
    cutoff = (now or timezone.now()) - older_than
    deleted = 0
    for scope in Scope.values:  # each scope walks the (scope, collected_at) index
        if dry_run:
            count = ClusterStatus.objects.filter(scope=scope, collected_at__lt=cutoff).count()
            deleted += count
            if progress is not None:
                progress(count)
            continue
        while True:
            ids = list(
                ClusterStatus.objects.filter(scope=scope, collected_at__lt=cutoff)
                .order_by("collected_at")
                .values_list("id", flat=True)[:batch_size]
            )
            if not ids:
                break
            with transaction.atomic():
                count = ClusterStatus.objects.filter(id__in=ids).delete()[0]
            deleted += count
            if progress is not None:
                progress(count)
    if deleted and not dry_run:
        status_cache_invalidate_on_commit()
    logger.debug(
        "%s %d cluster_status rows collected before %s",
        "would prune" if dry_run else "pruned",
        deleted,
        cutoff,
    )
    return deleted
