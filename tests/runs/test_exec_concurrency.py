"""Re-sent reports racing each other on a real database (MariaDB pass of the suite)."""

import threading
import uuid

import pytest
from django.db import connection

from runs.models import ExecLog
from runs.services import (
    ExecRunConflict,
    FinishReport,
    exec_run_finish,
    exec_run_start,
)

pytestmark = pytest.mark.django_db(transaction=True)


def in_threads(count: int, target) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int):
        try:
            barrier.wait()
            results[index] = target(index)
        except Exception as exc:  # collected for the assertions
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_concurrent_copies_of_a_start_record_one_run(on_mariadb):
    client_run_id = uuid.uuid4().hex

    def start(_):
        run, created = exec_run_start(script="fsck", host="dn01", client_run_id=client_run_id)
        return run.pk, created

    results = in_threads(4, start)
    assert all(isinstance(r, tuple) for r in results), results
    assert len({pk for pk, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert ExecLog.objects.filter(client_run_id=client_run_id).count() == 1


def test_concurrent_conflicting_finishes_record_one_result(on_mariadb):
    run, _ = exec_run_start(script="fsck", host="dn01")

    def finish(index):
        return exec_run_finish(run_id=run.pk, report=FinishReport(exit_code=index))[0].exit_code

    results = in_threads(3, finish)
    recorded = ExecLog.objects.get(pk=run.pk).exit_code
    winners = [r for r in results if not isinstance(r, Exception)]
    assert winners == [recorded]
    assert all(isinstance(r, ExecRunConflict) for r in results if r not in winners)
