"""Mark runs that never reported their end as timed out (run it from cron, e.g. every minute).

The API and the admin apply the same sweep when they list runs; this command keeps the table
right when nobody is looking, e.g. before a report or an alert reads it.
"""

from django.core.management.base import BaseCommand

from runs.services import exec_runs_time_out


class Command(BaseCommand):
    help = "Mark running script runs past their timeout as timed_out."

    def handle(self, *args, **options):
        count = exec_runs_time_out()
        if options["verbosity"] >= 1:
            self.stdout.write(f"{count} run(s) timed out.")
