"""python manage.py exec_run --script NAME [--fault ID] [--timeout S] [--host H] -- COMMAND…

Runs COMMAND on the portal's own host (no shell, unless you run one: `-- sh -c '…'`), streams
its output through, and records the run in exec_logs directly (start before, finish after).
Exits with the command's own exit code; 124 when it was stopped at --timeout, 126 when it cannot
be executed, 127 when it is not found, 128+N when killed by signal N.

The process handling is the standalone client's (client/faultportal_exec.py), so both wrappers
stop, capture and report a command the same way. If the database is unavailable the command
still runs, and the run is recorded at the end if the database is back by then.
"""

import socket
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from client.faultportal_exec import DEFAULT_KILL_AFTER, TRIGGERS, run_command
from diagnosis.models import FaultRecord
from runs.models import ExecLog
from runs.services import FinishReport, exec_run_finish, exec_run_start


class Command(BaseCommand):
    help = "Run a command and record it as a script run (exits with the command's exit code)."

    def add_arguments(self, parser):
        parser.add_argument("--script", help="Script name in the portal (default: COMMAND).")
        parser.add_argument("--fault", type=int, help="Id of the fault this run remediates.")
        parser.add_argument("--timeout", type=int, help="Stop the command after S seconds.")
        parser.add_argument("--host", help="Host to record (default: this host's name).")
        parser.add_argument("--trigger", choices=TRIGGERS, default="manual")
        parser.add_argument(
            "--kill-after",
            type=float,
            default=DEFAULT_KILL_AFTER,
            help="Seconds between SIGTERM and SIGKILL when stopping the command.",
        )
        parser.add_argument("command", nargs="...", help="The command, after --.")

    def handle(self, *args, **options):
        self.verbosity = options["verbosity"]
        command = options["command"]
        if command[:1] == ["--"]:
            command = command[1:]
        if not command:
            raise CommandError("No command given: exec_run --script NAME -- COMMAND [ARG…]")
        if options["timeout"] is not None and options["timeout"] < 1:
            raise CommandError("--timeout must be at least 1 second.")
        fault = None
        if options["fault"] is not None:
            fault = FaultRecord.objects.filter(pk=options["fault"]).first()
            if fault is None:
                raise CommandError(f"No fault with id {options['fault']}.")

        start = {
            "script": options["script"] or command[0].rsplit("/", 1)[-1],
            "host": options["host"] or socket.gethostname(),
            "args": command,
            "trigger": options["trigger"],
            "fault": fault,
            "timeout_seconds": options["timeout"],
        }
        run = self._record_start(start)
        result = run_command(
            command,
            timeout=options["timeout"],
            tail_bytes=settings.EXEC_OUTPUT_TAIL_BYTES,
            kill_after=options["kill_after"],
        )
        report = FinishReport(
            exit_code=result.exit_code,
            status=result.status,
            stdout=result.stdout.text(),
            stderr=result.stderr.text(),
            stdout_bytes=result.stdout.total_bytes,
            stderr_bytes=result.stderr.total_bytes,
            finished_at=result.finished_at,
            duration_seconds=result.duration_seconds,
        )
        self._record_finish(run, start, result.started_at, report)
        sys.exit(result.exit_code)

    def _record_start(self, start: dict) -> ExecLog | None:
        try:
            run, _ = exec_run_start(**start)
        except DatabaseError as exc:
            self.stderr.write(f"exec_run: cannot record the start ({exc}); running anyway.")
            return None
        return run

    def _record_finish(self, run, start, started_at, report: FinishReport) -> None:
        try:
            if run is None:  # the start was not recorded: record the whole run now
                run, _ = exec_run_start(**start, started_at=started_at)
            exec_run_finish(run_id=run.pk, report=report)
        except DatabaseError as exc:
            self.stderr.write(
                f"exec_run: cannot record the run ({exc}): {start['script']} exited "
                f"{report.exit_code} ({report.status})."
            )
            return
        if self.verbosity >= 2:
            self.stderr.write(f"exec_run: recorded as run {run.pk} ({report.status}).")
