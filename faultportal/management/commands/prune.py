"""prune: delete what every growing table keeps past its retention (faultportal/retention.py)."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from tqdm import tqdm

from faultportal.retention import (
    DEFAULT_BATCH_SIZE,
    PruneResult,
    retention_now,
    retention_policies,
)
from faultportal.retention_runs import prune_run_finish, prune_run_progress, prune_run_start


def _keep(policy) -> str:
    value = policy.keep()
    hours = value.total_seconds() / 3600
    return f"{hours / 24:g} d" if hours >= 24 and hours % 24 == 0 else f"{hours:g} h"


class Command(BaseCommand):
    help = (
        "Delete rows older than their retention from every table that grows (each table has its "
        "own setting), in short batches that never stall ingestion. Prints one summary line; "
        "shows a progress bar when run on a terminal."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing."
        )
        parser.add_argument(
            "--table",
            action="append",
            default=None,
            metavar="TABLE",
            help="Prune only this table (repeatable).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows per delete transaction (default {DEFAULT_BATCH_SIZE}).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, dry_run, table, batch_size, no_progress, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        policies = retention_policies()
        known = {p.table for p in policies}
        if table:
            unknown = sorted(set(table) - known)
            if unknown:
                raise CommandError(
                    f"Unknown table {', '.join(unknown)}; known: {', '.join(sorted(known))}."
                )
            policies = [p for p in policies if p.table in table]
        # tqdm hides itself when stderr is not a terminal (disable=None): cron gets one line.
        show_bar = not no_progress and sys.stderr.isatty()
        started = time.monotonic()
        now = retention_now()
        results = []
        for policy in policies:
            result = PruneResult(policy=policy, cutoff=policy.cutoff(now))
            results.append(result)
            total = policy.estimate(result.cutoff) if show_bar else None
            run = None if dry_run else prune_run_start(table=policy.table, cutoff=result.cutoff)
            t0 = time.monotonic()
            with tqdm(
                total=total,
                desc=policy.table,
                unit=" rows",
                disable=not show_bar,
                file=sys.stderr,
            ) as bar:

                def progress(rows, bar=bar, run=run, result=result):
                    result.rows += rows
                    bar.update(rows)
                    if run is not None:
                        prune_run_progress(run=run, rows=result.rows)

                try:
                    policy.walk(
                        cutoff=result.cutoff,
                        batch_size=batch_size,
                        dry_run=dry_run,
                        progress=progress,
                    )
                except DatabaseError as exc:
                    result.error = str(exc)[:200]
            result.seconds = time.monotonic() - t0
            if run is not None:
                prune_run_finish(run=run, rows=result.rows, error=result.error)

        verb = "would delete" if dry_run else "deleted"
        parts = []
        for r in results:
            part = f"{r.policy.table} {r.rows}"
            if r.error:
                part += f" (FAILED: {r.error})"
            else:
                part += f" (older than {_keep(r.policy)})"
            parts.append(part)
        line = (
            f"prune{' --dry-run' if dry_run else ''}: {verb} "
            f"{', '.join(parts) or 'nothing (no table registered)'}; "
            f"{sum(r.rows for r in results)} rows in {time.monotonic() - started:.1f} s"
        )
        self.stdout.write(line)
        failed = [r.policy.table for r in results if r.error]
        if failed:
            raise CommandError(f"pruning failed for {', '.join(failed)}")
