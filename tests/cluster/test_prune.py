"""prune_cluster_status: retention in batches, nothing recent touched."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from cluster.models import ClusterStatus
from cluster.services import cluster_status_prune
from tests.cluster.snapshots import store_snapshot

pytestmark = pytest.mark.django_db


def test_it_deletes_only_rows_older_than_the_retention_in_batches():
    now = timezone.now()
    old = [store_snapshot(at=now - timedelta(days=31, hours=h)) for h in range(3)]
    recent = store_snapshot(at=now - timedelta(days=29))
    rows_per_snapshot = ClusterStatus.objects.filter(collection_id=recent).count()

    deleted = cluster_status_prune(older_than=timedelta(days=30), batch_size=4)

    assert deleted == 3 * rows_per_snapshot
    assert not ClusterStatus.objects.filter(collection_id__in=old).exists()
    assert ClusterStatus.objects.filter(collection_id=recent).count() == rows_per_snapshot


def test_the_command_uses_the_retention_setting(settings, capsys):
    settings.CLUSTER_STATUS_RETENTION_DAYS = 7
    store_snapshot(at=timezone.now() - timedelta(days=8))
    kept = store_snapshot(at=timezone.now() - timedelta(days=6))
    call_command("prune_cluster_status")
    assert "older than 7 days" in capsys.readouterr().out
    assert set(ClusterStatus.objects.values_list("collection_id", flat=True)) == {kept}


def test_the_command_refuses_nonsense():
    with pytest.raises(CommandError):
        call_command("prune_cluster_status", "--days", "0")
    with pytest.raises(CommandError):
        call_command("prune_cluster_status", "--batch-size", "0")
