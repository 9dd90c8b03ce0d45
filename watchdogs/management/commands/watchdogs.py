"""watchdogs: raise (and resolve) the faults of inputs that stopped: collector, hosts, intake."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections

from watchdogs.services import watchdogs_run


class Command(BaseCommand):
    help = (
        "Check that the portal's inputs are alive: a stale cluster snapshot, a host that went "
        "silent, ingestion stopped as a whole, the background worker silent. Raises a fault for "
        "each, resolved when the input returns. Once (a timer) or every N seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=int,
            nargs="?",
            const=-1,
            default=None,
            metavar="SECONDS",
            help="Run until stopped, every SECONDS (default WATCHDOG_INTERVAL_SECONDS).",
        )

    def handle(self, *args, every, **options):
        if every == -1:
            every = settings.WATCHDOG_INTERVAL_SECONDS
        if every is not None and every < 5:
            raise CommandError("--every must be at least 5 seconds.")
        while True:
            started = time.monotonic()
            try:
                applied = watchdogs_run()
            except DatabaseError as exc:
                if every is None:
                    raise CommandError(f"watchdogs: database unavailable: {exc}") from exc
                self.stderr.write(f"watchdogs: database unavailable: {exc}")
            else:
                raised = sorted({f.fault_type.code for f in applied.raised})
                self.stdout.write(
                    f"watchdogs: {len(applied.raised)} alarming"
                    + (f" ({', '.join(raised)})" if raised else "")
                    + f", {len(applied.cleared)} resolved"
                )
            if every is None:
                return
            close_old_connections()
            time.sleep(max(0.0, every - (time.monotonic() - started)))
