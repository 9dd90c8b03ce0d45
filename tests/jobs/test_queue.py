"""The durable job queue: enqueue once, claim once, leases, retries, the worker loop."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from jobs import registry
from jobs.models import Job, WorkerHeartbeat
from jobs.services import (
    job_complete,
    job_enqueue,
    job_fail,
    jobs_claim,
)
from jobs.worker import Worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def handlers(monkeypatch):
    """A private registry for the test: kind -> calls seen."""
    monkeypatch.setattr(registry, "_handlers", {})
    monkeypatch.setattr(registry, "_periodic", {})
    return registry


def test_the_same_idempotency_key_enqueues_once(handlers):
    first = job_enqueue(kind="t.echo", payload={"n": 1}, idempotency_key="k1")
    again = job_enqueue(kind="t.echo", payload={"n": 2}, idempotency_key="k1")
    other_kind = job_enqueue(kind="t.other", idempotency_key="k1")
    assert again.pk == first.pk and again.payload == {"n": 1}
    assert other_kind.pk != first.pk
    assert Job.objects.count() == 2


def test_a_claimed_job_is_not_claimed_again_until_its_lease_runs_out(handlers):
    job = job_enqueue(kind="t.echo")
    assert [j.pk for j in jobs_claim(worker_id="w1", kinds=["t.echo"])] == [job.pk]
    assert jobs_claim(worker_id="w2", kinds=["t.echo"]) == []
    # w1 died: its lease runs out, w2 takes the job over and w1 can no longer mark it.
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    (taken,) = jobs_claim(worker_id="w2", kinds=["t.echo"])
    assert taken.attempts == 2 and taken.locked_by == "w2"
    assert job_complete(job=job, worker_id="w1") is False
    assert job_complete(job=taken, worker_id="w2") is True
    assert Job.objects.get(pk=job.pk).status == "done"


def test_a_job_not_yet_due_waits(handlers):
    job_enqueue(kind="t.echo", run_after=timezone.now() + timedelta(minutes=5))
    assert jobs_claim(worker_id="w1", kinds=["t.echo"]) == []


def test_a_failed_attempt_backs_off_then_gives_up(handlers, settings):
    settings.JOBS_RETRY_BASE_SECONDS = 10
    job = job_enqueue(kind="t.echo", max_attempts=2)
    (claimed,) = jobs_claim(worker_id="w1", kinds=["t.echo"])
    before = timezone.now()
    job_fail(job=claimed, worker_id="w1", error="boom")
    job.refresh_from_db()
    assert job.status == "queued" and job.last_error == "boom"
    assert job.run_after >= before + timedelta(seconds=7)  # 10 s ± 20 % jitter
    Job.objects.filter(pk=job.pk).update(run_after=timezone.now())
    (claimed,) = jobs_claim(worker_id="w1", kinds=["t.echo"])
    job_fail(job=claimed, worker_id="w1", error="boom again")
    job.refresh_from_db()
    assert job.status == "failed" and job.attempts == 2


def test_the_worker_runs_registered_handlers_and_periodic_tasks(handlers):
    seen, ticks = [], []
    handlers.job_handler_register("t.echo", lambda job: seen.append(job.payload["n"]))
    handlers.periodic_task_register("t.tick", lambda: ticks.append(1), every_seconds=60)
    for n in range(3):
        job_enqueue(kind="t.echo", payload={"n": n})
    assert Worker(once=True).run_once() == 3
    assert sorted(seen) == [0, 1, 2]
    assert ticks
    assert set(Job.objects.values_list("status", flat=True)) == {"done"}
    beat = WorkerHeartbeat.objects.get()
    assert beat.jobs_done == 3 and beat.stopped_at is not None


def test_a_batch_cut_short_by_the_database_is_handed_back_not_kept_under_lease(
    handlers, monkeypatch
):
    """The database went away mid-batch: the jobs still claimed are run on the next tick, not
    kept RUNNING (their leases renewed by this live worker's heartbeat) for ever."""
    from django.db import OperationalError

    from jobs import worker as worker_module

    # tick() starts by dropping unusable connections; the test's own must stay (its transaction)
    monkeypatch.setattr(worker_module, "close_old_connections", lambda: None)

    seen, failures = [], [1]

    def handler(job):
        if failures:
            failures.pop()
            raise OperationalError(2013, "Lost connection to server during query")
        seen.append(job.payload["n"])

    handlers.job_handler_register("t.cut", handler, atomic=False)
    for n in range(3):
        job_enqueue(kind="t.cut", payload={"n": n})
    worker = Worker(poll_seconds=0.01)
    with pytest.raises(OperationalError):
        worker.tick()
    assert set(Job.objects.values_list("status", flat=True)) == {"running"}
    worker.tick()
    assert sorted(seen) == [0, 1, 2]
    assert set(Job.objects.values_list("status", flat=True)) == {"done"}


def test_an_atomic_handler_that_raises_writes_nothing_and_is_retried(handlers):
    def handler(job):
        WorkerHeartbeat.objects.create(
            worker_id="written-by-handler",
            host="h",
            pid=1,
            started_at=timezone.now(),
            beat_at=timezone.now(),
        )
        raise RuntimeError("half way")

    handlers.job_handler_register("t.half", handler)
    job = job_enqueue(kind="t.half")
    Worker(once=True).run_once()
    job.refresh_from_db()
    assert job.status == "queued" and "half way" in job.last_error
    assert not WorkerHeartbeat.objects.filter(worker_id="written-by-handler").exists()


def test_a_permanent_error_gives_up_at_once(handlers):
    def handler(job):
        raise registry.PermanentJobError("bad payload")

    handlers.job_handler_register("t.bad", handler)
    job = job_enqueue(kind="t.bad")
    Worker(once=True).run_once()
    job.refresh_from_db()
    assert job.status == "failed" and job.attempts == 1


def test_a_slow_kind_is_claimed_one_per_pass_after_the_others_so_workers_share_it(handlers):
    """An LLM call may take LLM_TIMEOUT: one worker must not lease a batch of them (and the
    notifications behind them); the rest stay queued for the next pass or another worker."""
    ran = []
    handlers.job_handler_register("t.slow", lambda job: ran.append(("slow", job.pk)), claim_limit=1)
    handlers.job_handler_register("t.fast", lambda job: ran.append(("fast", job.pk)))
    slow = [job_enqueue(kind="t.slow") for _ in range(3)]
    fast = [job_enqueue(kind="t.fast") for _ in range(3)]

    # One pass of the loop's jobs (tick() without its close_old_connections, which would drop
    # the test's transaction on MariaDB).
    assert Worker()._run_jobs() == 4

    assert ran == [("fast", j.pk) for j in fast] + [("slow", slow[0].pk)]
    waiting = Job.objects.filter(kind="t.slow", status="queued").order_by("id")
    assert [j.pk for j in waiting] == [j.pk for j in slow[1:]]
    # Another worker takes the next one meanwhile.
    (taken,) = jobs_claim(worker_id="w2", kinds=["t.slow"], limit=1)
    assert taken.pk == slow[1].pk


def test_prune_keeps_recent_and_unfinished_jobs(handlers):
    from django.core.management import call_command

    old = job_enqueue(kind="t.echo")
    Job.objects.filter(pk=old.pk).update(
        status="done", created_at=timezone.now() - timedelta(days=30)
    )
    old_waiting = job_enqueue(kind="t.echo")
    Job.objects.filter(pk=old_waiting.pk).update(created_at=timezone.now() - timedelta(days=30))
    recent = job_enqueue(kind="t.echo")
    Job.objects.filter(pk=recent.pk).update(status="done")
    call_command("prune", "--table", "jobs", "--no-progress")
    assert set(Job.objects.values_list("pk", flat=True)) == {old_waiting.pk, recent.pk}


def test_health_reports_live_workers_and_waiting_work(handlers, settings):
    settings.WORKER_STALE_SECONDS = 30
    body = APIClient().get("/api/health").json()
    assert body["checks"]["worker"]["ok"] is True  # nothing waits, no worker needed
    job = job_enqueue(kind="t.echo")
    Job.objects.filter(pk=job.pk).update(run_after=timezone.now() - timedelta(minutes=5))
    body = APIClient().get("/api/health").json()
    assert body["status"] == "degraded"
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["worker"]["oldest_due_job_seconds"] >= 299
    Worker(once=True)._beat()
    body = APIClient().get("/api/health").json()
    assert body["checks"]["worker"]["ok"] is True and body["checks"]["worker"]["alive"] == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_never_share_a_job(handlers, on_mariadb):
    """Four threads (four connections) claim from 200 jobs at once: each job goes to exactly
    one of them (SKIP LOCKED). SQLite's test database is one shared in-memory connection
    cache, where threads meet table locks instead; the oncall race test covers SQLite with
    worker processes on a database file."""
    Job.objects.bulk_create([Job(kind="t.echo", run_after=timezone.now()) for _ in range(200)])
    taken: dict[str, list[int]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def claim(name):
        mine = taken.setdefault(name, [])
        try:
            start.wait()
            while batch := jobs_claim(worker_id=name, kinds=["t.echo"], limit=7):
                mine.extend(j.pk for j in batch)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    all_taken = [pk for mine in taken.values() for pk in mine]
    assert len(all_taken) == 200 and len(set(all_taken)) == 200
