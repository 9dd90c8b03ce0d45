"""What the worker runs, filled by the apps above jobs in their AppConfig.ready.

- A *job handler* runs one queued job of its kind: ``job_handler_register("oncall.deliver",
  deliver, atomic=False)``. It gets the claimed :class:`jobs.models.Job`; returning marks the
  job done, raising schedules a retry with backoff (``PermanentJobError``: give up now).
  With ``atomic=True`` (the default) the handler runs in one transaction with marking the job
  done, so its database writes happen exactly once; a handler with outside effects (an HTTP
  call) uses ``atomic=False`` and must make a repeat harmless (the job's ``idempotency_key``).
  A slow kind (an LLM call that may take LLM_TIMEOUT) sets ``claim_limit=1``: a worker then
  claims at most one job of it per pass, after the others' batch, so it never holds a batch of
  other work (a notification) behind it, and several workers share its jobs.
- A *periodic task* runs every ``every_seconds`` in each worker: ``periodic_task_register(
  "oncall.dispatch", dispatch, every_seconds=1)``. Several workers run it concurrently, so it
  claims its own rows (row locks) to do each piece of work once.
"""

from collections.abc import Callable
from dataclasses import dataclass


class PermanentJobError(Exception):
    """Raised by a handler when retrying cannot help: the job is marked failed at once."""


@dataclass(frozen=True)
class JobHandler:
    kind: str
    run: Callable
    atomic: bool = True
    max_attempts: int = 10
    lease_seconds: int | None = None  # None: JOBS_LEASE_SECONDS
    claim_limit: int | None = None  # None: claimed in the worker's batch with the other kinds


@dataclass
class PeriodicTask:
    name: str
    run: Callable[[], object]
    every_seconds: float


_handlers: dict[str, JobHandler] = {}
_periodic: dict[str, PeriodicTask] = {}
_backlog_probes: dict[str, Callable] = {}


def job_handler_register(
    kind: str,
    run: Callable,
    *,
    atomic: bool = True,
    max_attempts: int = 10,
    lease_seconds: int | None = None,
    claim_limit: int | None = None,
) -> None:
    _handlers[kind] = JobHandler(
        kind=kind,
        run=run,
        atomic=atomic,
        max_attempts=max_attempts,
        lease_seconds=lease_seconds,
        claim_limit=claim_limit,
    )


def periodic_task_register(name: str, run: Callable[[], object], *, every_seconds: float) -> None:
    _periodic[name] = PeriodicTask(name=name, run=run, every_seconds=every_seconds)


def backlog_probe_register(name: str, oldest_due: Callable) -> None:
    """Work a periodic task has waiting outside the jobs table (e.g. an outbox): `oldest_due()`
    returns the time the oldest item became due, or None. /api/health counts it as waiting."""
    _backlog_probes[name] = oldest_due


def backlog_probes() -> dict[str, Callable]:
    return dict(_backlog_probes)


def job_handler(kind: str) -> JobHandler | None:
    return _handlers.get(kind)


def job_handlers() -> dict[str, JobHandler]:
    return dict(_handlers)


def periodic_tasks() -> list[PeriodicTask]:
    return list(_periodic.values())
