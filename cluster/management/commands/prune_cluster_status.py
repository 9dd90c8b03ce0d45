"""prune_cluster_status: delete cluster_status rows older than the retention period."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cluster.services import cluster_status_prune


class Command(BaseCommand):
    help = "Delete cluster_status rows older than CLUSTER_STATUS_RETENTION_DAYS, in batches."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Keep this many days (default: CLUSTER_STATUS_RETENTION_DAYS).",
        )
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args, **options):
        days = (
            options["days"]
            if options["days"] is not None
            else settings.CLUSTER_STATUS_RETENTION_DAYS
        )
        if days < 1:
            raise CommandError("--days must be at least 1.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        deleted = cluster_status_prune(
            older_than=timedelta(days=days), batch_size=options["batch_size"]
        )
        self.stdout.write(f"Deleted {deleted} cluster_status rows older than {days} days.")
