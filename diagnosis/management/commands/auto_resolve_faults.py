"""Resolve faults that have been quiet for a while. Meant for cron, e.g. every 10 minutes:

    */10 * * * *  cd /opt/faultportal && .venv/bin/python manage.py auto_resolve_faults

Prints one line (how many were resolved) so cron mail and logs stay readable.
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from diagnosis.services import faults_auto_resolve


class Command(BaseCommand):
    help = (
        "Resolve open and acknowledged faults with no occurrence (by log time) for the quiet "
        "period: FAULT_AUTO_RESOLVE_HOURS, or --quiet-hours. 0 disables it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--quiet-hours",
            type=float,
            default=None,
            help="Quiet period in hours (overrides FAULT_AUTO_RESOLVE_HOURS).",
        )

    def handle(self, *args, quiet_hours=None, **options):
        hours = settings.FAULT_AUTO_RESOLVE_HOURS if quiet_hours is None else quiet_hours
        if hours < 0:
            raise CommandError("--quiet-hours must be 0 (disabled) or more.")
        if hours == 0:
            self.stdout.write("Auto-resolve is disabled (quiet period 0 hours); nothing done.")
            return
        resolved = faults_auto_resolve(quiet_for=timedelta(hours=hours))
        self.stdout.write(
            f"Auto-resolved {resolved} fault{'s' if resolved != 1 else ''} "
            f"with no occurrence for {hours:g} hours."
        )
