"""Writes for execution runs: start, finish, and the sweep that times out silent runs.

A run is reported in two steps by the script's wrapper (the `exec_run` command, the standalone
client, or anything that speaks the API): start before the command, finish after it. Both are
idempotent so a wrapper can re-send a report from its spool without recording a run twice.

The sweep (`exec_runs_time_out`) marks a run `timed_out` when no finish arrived by its deadline:
an inference that the run died or hung, not a fact. So a finish that arrives later (from a spool
while the portal was down, or from a job that outlived its declared timeout) is recorded in
full: the reported status, exit code, output and times replace the inference. A run whose
wrapper itself killed it at its timeout is reported as `timed_out` by the wrapper.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from runs.models import ExecLog
from runs.output import cap_text

Status = ExecLog.Status

# Statuses a finish report may give; `running` is the state before one.
FINISHED_STATUSES = (Status.SUCCEEDED, Status.FAILED, Status.TIMED_OUT, Status.ABORTED)
FINISHED_STATUS_CHOICES = [(s.value, s.label) for s in FINISHED_STATUSES]


class ExecRunError(Exception):
    """A report the portal cannot record; `field` names the offending input when there is one."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ExecRunConflict(ExecRunError):
    """The report contradicts what is already recorded (a different result, another script)."""


@dataclass(frozen=True)
class FinishReport:
    exit_code: int | None = None
    status: str | None = None  # derived from exit_code when absent
    stdout: str = ""
    stderr: str = ""
    stdout_bytes: int | None = None  # the whole output's size, when the sender sent only a tail
    stderr_bytes: int | None = None
    finished_at: datetime | None = None  # now when absent
    duration_seconds: float | None = None  # finished_at - started_at when absent

    def outcome(self) -> str:
        """The status this report asks for."""
        if self.status:
            return self.status
        if self.exit_code is None:
            raise ExecRunError("Give an exit_code, or a status.", field="exit_code")
        return Status.SUCCEEDED if self.exit_code == 0 else Status.FAILED


def exec_run_deadline(run: ExecLog) -> datetime:
    """When a run that is still `running` is timed out."""
    seconds = run.timeout_seconds or settings.EXEC_DEFAULT_TIMEOUT_SECONDS
    return run.started_at + timedelta(seconds=seconds)


def exec_run_start(
    *,
    script: str,
    host: str,
    args: Sequence[str] = (),
    trigger: str = ExecLog.Trigger.MANUAL,
    fault=None,
    timeout_seconds: int | None = None,
    client_run_id: str | None = None,
    started_at: datetime | None = None,
    reported_by_id: int | None = None,
) -> tuple[ExecLog, bool]:
    """Record that a run started; returns (run, created).

    With a client_run_id already recorded (a re-sent start) the existing run is returned
    unchanged, provided it is the same script on the same host.
    """
    if client_run_id:
        existing = ExecLog.objects.filter(client_run_id=client_run_id).first()
        if existing is not None:
            return _same_run(existing, script=script, host=host), False
    run = ExecLog(
        script=script,
        host=host,
        args=list(args),
        trigger=trigger,
        fault=fault,
        timeout_seconds=timeout_seconds,
        client_run_id=client_run_id or None,
        started_at=started_at or timezone.now(),
        reported_by_id=reported_by_id,
    )
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:
        # Two copies of the same start raced; the unique client_run_id let one in.
        existing = (
            ExecLog.objects.filter(client_run_id=client_run_id).first() if client_run_id else None
        )
        if existing is None:
            raise
        return _same_run(existing, script=script, host=host), False
    return run, True


def _same_run(run: ExecLog, *, script: str, host: str) -> ExecLog:
    if (run.script, run.host) != (script, host):
        raise ExecRunConflict(
            f"client_run_id {run.client_run_id!r} already names run {run.pk} "
            f"({run.script} on {run.host}); use a new id for a new run.",
            field="client_run_id",
        )
    return run


def exec_run_finish(*, run_id: int, report: FinishReport) -> tuple[ExecLog, bool]:
    """Record how a run ended; returns (run, changed).

    The same report sent again changes nothing (changed=False); a different result for a run
    that already has one raises ExecRunConflict. Raises ExecLog.DoesNotExist for unknown ids.
    """
    outcome = report.outcome()
    if outcome == Status.SUCCEEDED and report.exit_code not in (None, 0):
        raise ExecRunError(
            f"status 'succeeded' contradicts exit_code {report.exit_code}.", field="status"
        )
    limit = settings.EXEC_OUTPUT_TAIL_BYTES
    with transaction.atomic():
        run = ExecLog.objects.select_for_update().get(pk=run_id)
        finished_at = report.finished_at or timezone.now()
        if finished_at < run.started_at:
            raise ExecRunError(
                f"finished_at {finished_at.isoformat()} is before the run started "
                f"({run.started_at.isoformat()}).",
                field="finished_at",
            )
        if run.finished_at is not None or run.status not in (Status.RUNNING, Status.TIMED_OUT):
            return _already_finished(run, report, outcome), False

        # Running, or timed out by the sweep without a report (finished_at is None).
        stdout = cap_text(report.stdout, limit=limit, reported_total=report.stdout_bytes)
        stderr = cap_text(report.stderr, limit=limit, reported_total=report.stderr_bytes)
        run.status = outcome
        run.exit_code = report.exit_code
        run.finished_at = finished_at
        run.duration_seconds = (
            report.duration_seconds
            if report.duration_seconds is not None
            else (finished_at - run.started_at).total_seconds()
        )
        run.stdout_tail, run.stdout_bytes = stdout.text, stdout.total_bytes
        run.stderr_tail, run.stderr_bytes = stderr.text, stderr.total_bytes
        run.save()
    return run, True


def _already_finished(run: ExecLog, report: FinishReport, outcome: str) -> ExecLog:
    if run.status == outcome and run.exit_code == report.exit_code:
        return run
    raise ExecRunConflict(
        f"Run {run.pk} already finished as {run.status} with exit code {run.exit_code}; "
        f"this report says {outcome} with exit code {report.exit_code}."
    )


def exec_runs_time_out(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Mark `running` runs past their deadline as `timed_out`; returns how many.

    Only running runs are read (the status+started_at index), and each update re-checks the
    status, so a finish that lands meanwhile is never overwritten. Such runs keep finished_at
    empty: nobody reported an end; a late report can still fill it (see exec_run_finish).
    """
    now = now or timezone.now()
    default = settings.EXEC_DEFAULT_TIMEOUT_SECONDS
    candidates = (
        ExecLog.objects.filter(status=Status.RUNNING, started_at__lt=now)
        .values_list("id", "started_at", "timeout_seconds")
        .iterator()
    )
    expired = [
        run_id
        for run_id, started_at, timeout in candidates
        if started_at + timedelta(seconds=timeout or default) <= now
    ]
    timed_out = 0
    for chunk in _chunks(expired, batch_size):
        timed_out += ExecLog.objects.filter(id__in=chunk, status=Status.RUNNING).update(
            status=Status.TIMED_OUT, updated_at=now
        )
    return timed_out


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
