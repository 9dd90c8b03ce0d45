import sys
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from demo.loader import (
    demo_counts,
    demo_delete,
    demo_exists,
    demo_load,
    demo_story,
    other_host_with_lines,
)


class Command(BaseCommand):
    help = (
        "Load a realistic week of a 12-node Hadoop cluster ending now: log lines of every "
        "level, cluster snapshots, faults in every state, script runs and API tokens. Running "
        "it again adds nothing; --reset replaces the demo data (and only it). It refuses a "
        "database that holds lines of other hosts (real data) unless given --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo data first, then load it anew."
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=2026,
            help="Random seed (the same seed gives the same week).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load the demo even though the database holds lines of other hosts.",
        )

    def handle(self, *args, reset, seed, no_progress, force, **options):
        loaded = demo_exists()
        if loaded and not reset:
            self.stdout.write(
                f"Demo data already loaded ({demo_counts().summary()}); nothing added. "
                "Use --reset to replace it."
            )
            return
        other = None if force else other_host_with_lines()
        if other is not None:
            raise CommandError(
                f"This database already holds log lines of hosts outside the demo cluster "
                f"(e.g. {other!r}): the demo would mix a fake week into real data. Nothing was "
                "loaded. Use an empty database (./bin/demo uses var/), or --force to load "
                "the demo anyway."
            )
        if loaded:
            deleted = demo_delete()
            self.stdout.write(f"Deleted the previous demo data ({deleted:,} rows).")
        story = demo_story(now=timezone.now(), seed=seed, zone=ZoneInfo(settings.CLUSTER_TIME_ZONE))
        # tqdm hides itself when stderr is not a terminal (disable=None), e.g. in CI logs.
        with tqdm(
            total=story.size,
            desc="Loading demo data",
            unit=" rows",
            disable=True if no_progress else None,
            file=sys.stderr,
        ) as bar:
            counts = demo_load(story=story, progress=bar.update)
        self.stdout.write(f"Loaded the demo week: {counts.summary()}.")
