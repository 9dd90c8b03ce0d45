"""python manage.py notify [--once]: the background worker (notifications and every other job)."""

import signal

from django.core.management.base import BaseCommand

from jobs.worker import Worker


class Command(BaseCommand):
    help = (
        "Run the background worker until stopped (SIGTERM/SIGINT finish the current job first): "
        "delivers notifications and runs every registered job kind. --once: do what is due, exit."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run what is due now, then exit.")
        parser.add_argument(
            "--poll", type=float, default=None, help="Seconds between polls when idle."
        )

    def handle(self, *args, once=False, poll=None, **options):
        worker = Worker(poll_seconds=poll, once=once)
        if once:
            ran = worker.run_once()
            self.stdout.write(f"notify: {ran} job(s) run")
            return
        signal.signal(signal.SIGTERM, worker.stop)
        signal.signal(signal.SIGINT, worker.stop)
        worker.run_forever()
