"""Group commit: concurrent one-line requests share an INSERT, each returns only after its row
is committed, and a failed batch fails only the requests whose own row fails."""

import threading
import time

import pytest
from django.db import OperationalError

from logs.group_commit import GroupCommit


class RecordingInsert:
    """An insert that records its batches; the first call blocks until released; a batch
    holding one of `fail_rows` fails as a whole, as a statement with a bad row does."""

    def __init__(self, fail_rows=()):
        self.batches: list[list] = []
        self.committed: list = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.fail_rows = set(fail_rows)
        self.lock = threading.Lock()

    def __call__(self, rows):
        with self.lock:
            number = len(self.batches)
            self.batches.append(list(rows))
        if number == 0:
            self.entered.set()
            assert self.release.wait(10)
        if self.fail_rows & set(rows):
            raise OperationalError(1366, "Incorrect string value")
        with self.lock:
            self.committed.extend(rows)


def write_in_thread(group, row, outcomes):
    def run():
        try:
            group.write(row)
            outcomes[row] = "ok"
        except Exception as exc:  # recorded for the assertions
            outcomes[row] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def wait_until(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_lone_row_is_written_at_once():
    insert = RecordingInsert()
    insert.release.set()
    GroupCommit(insert).write(("a",))
    assert insert.batches == [[("a",)]]


def test_rows_arriving_during_an_insert_share_the_next_one():
    insert = RecordingInsert()
    group = GroupCommit(insert)
    outcomes = {}
    first = write_in_thread(group, ("a",), outcomes)
    assert insert.entered.wait(10)
    others = [write_in_thread(group, (name,), outcomes) for name in "bcd"]
    wait_until(lambda: len(group._open.rows) == 3)
    assert outcomes == {}  # nobody answered before its row was written
    insert.release.set()
    for thread in [first, *others]:
        thread.join(10)
    assert insert.batches[0] == [("a",)]
    assert sorted(insert.batches[1]) == [("b",), ("c",), ("d",)]
    assert len(insert.batches) == 2
    assert outcomes == {("a",): "ok", ("b",): "ok", ("c",): "ok", ("d",): "ok"}


def test_a_failed_batch_is_retried_row_by_row_so_only_the_bad_row_fails():
    insert = RecordingInsert(fail_rows={("bad",)})
    group = GroupCommit(insert)
    outcomes = {}
    first = write_in_thread(group, ("a",), outcomes)
    assert insert.entered.wait(10)
    others = [write_in_thread(group, (name,), outcomes) for name in ("b", "bad", "c")]
    wait_until(lambda: len(group._open.rows) == 3)
    insert.release.set()
    for thread in [first, *others]:
        thread.join(10)
    assert outcomes[("a",)] == outcomes[("b",)] == outcomes[("c",)] == "ok"
    assert isinstance(outcomes[("bad",)], OperationalError)
    assert sorted(insert.batches[1]) == [("b",), ("bad",), ("c",)]
    assert sorted(insert.batches[2:]) == [[("b",)], [("bad",)], [("c",)]]
    assert sorted(insert.committed) == [("a",), ("b",), ("c",)]
    group.write(("d",))  # the next batch is written normally
    assert insert.batches[-1] == [("d",)]


def test_a_lone_failing_row_fails_its_request():
    insert = RecordingInsert(fail_rows={("bad",)})
    insert.release.set()
    group = GroupCommit(insert)
    with pytest.raises(OperationalError):
        group.write(("bad",))
    group.write(("good",))
    assert insert.committed == [("good",)]


@pytest.mark.parametrize("writers", [2, 16])
def test_under_contention_every_row_is_written_exactly_once(writers):
    written = []
    lock = threading.Lock()

    def insert(rows):
        time.sleep(0.001)
        with lock:
            written.extend(rows)

    group = GroupCommit(insert)
    outcomes = {}
    threads = [write_in_thread(group, (i,), outcomes) for i in range(writers * 20)]
    for thread in threads:
        thread.join(20)
    assert sorted(written) == [(i,) for i in range(writers * 20)]
    assert set(outcomes.values()) == {"ok"}
