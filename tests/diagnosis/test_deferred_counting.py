"""Issue 17 item 8: in an intake process whose flusher runs, occurrences of an open fault are
counted by the flusher instead of under the record's lock in every request; what changes a
fault's state (opened, regressed, severity raised) still happens in the request, announced to
the fault-change listeners there. Runs on SQLite and on MariaDB (the suite's DATABASE_URL); the
live gunicorn tests are in test_deferred_counting_live.py."""

import dataclasses
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from diagnosis import counting, services
from diagnosis.changes import fault_change_listener_register, fault_change_listener_unregister
from diagnosis.flusher import fault_counting_start, fault_counting_stop
from diagnosis.models import FaultEvent, FaultRecord, FaultType
from logs.models import SystemLog
from tests.diagnosis.ingest import ingest
from tests.diagnosis.loglines import log4j

pytestmark = pytest.mark.django_db

START = (timezone.now() - timedelta(hours=1)).replace(microsecond=0)
CHILD = "org.apache.hadoop.mapred.YarnChild"


def storm_line(seconds: int, path: str = "/user/etl/part-0") -> object:
    """A task's WARN line with the NameNode's refusal to place a block (cluster-wide fault)."""
    at = START + timedelta(seconds=seconds)
    stamp = at.strftime("%Y-%m-%d %H:%M:%S,") + f"{at.microsecond // 1000:03d}"
    return log4j(
        f"{stamp} WARN [main] {CHILD}: Exception running child : "
        "org.apache.hadoop.ipc.RemoteException(java.io.IOException): File "
        f"{path} could only be replicated to 0 nodes instead of minReplication (=1).  "
        "There are 3 datanode(s) running and 3 node(s) are excluded in this operation.",
        host=f"worker{seconds % 5}.example.com",
    )


@pytest.fixture
def deferring():
    """This process defers as an intake process does, flushed by hand (no flusher thread: the
    test's transaction is not visible to another connection)."""
    counting.pending.activate()
    yield counting.pending
    counting.pending.deactivate()
    counting.pending.take()


@pytest.fixture
def seen():
    changes = []
    fault_change_listener_register("test", changes.extend)
    yield changes
    fault_change_listener_unregister("test")


def the_record() -> FaultRecord:
    return FaultRecord.objects.get(fault_type__code="hdfs_write_no_datanodes")


def test_open_fault_counts_wait_for_the_flush_then_are_exact(
    deferring, seen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ingest([storm_line(0, "/a")])  # a new fault: opened in its request
    record = the_record()
    assert (record.status, record.occurrences, [c.kind for c in seen]) == ("open", 1, ["opened"])

    for second in (5, 3, 9, 7):  # out of order, as several senders deliver
        with django_capture_on_commit_callbacks(execute=True):
            ingest([storm_line(second, f"/p{second}")])
    with django_capture_on_commit_callbacks(execute=True):
        ingest([storm_line(11, "/b1"), storm_line(2, "/b2")])  # a batch
    record.refresh_from_db()
    assert record.occurrences == 1  # nothing written yet: no lock taken by those requests
    assert deferring.occurrences() == 6

    assert services.fault_counts_flush() == 6
    record.refresh_from_db()
    latest = SystemLog.objects.get(raw__contains="File /b1 ")
    first = SystemLog.objects.get(raw__contains="File /a ")
    assert record.occurrences == 7
    assert record.last_seen == START + timedelta(seconds=11)
    assert record.first_seen == START
    assert record.latest_log_id == latest.pk and record.latest_sample == latest.raw
    assert record.first_log_id == first.pk and record.first_sample == first.raw
    assert deferring.occurrences() == 0 and services.fault_counts_flush() == 0

    with django_capture_on_commit_callbacks(execute=True):
        ingest([storm_line(20, "/one")])  # a one-line request: no transaction around it
    assert deferring.occurrences() == 1
    services.fault_counts_flush()
    record.refresh_from_db()
    one = SystemLog.objects.get(raw__contains="File /one ")
    assert (record.occurrences, record.latest_log_id) == (8, one.pk)
    assert record.last_seen == START + timedelta(seconds=20)
    assert [c.kind for c in seen] == ["opened"]  # counting is no change


def test_a_rolled_back_request_counts_nothing(deferring, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ingest([storm_line(0)])
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        ingest([storm_line(1)])
        raise RuntimeError("the request fails after its lines were written")
    assert deferring.occurrences() == 0
    services.fault_counts_flush()
    assert the_record().occurrences == 1


def test_regression_of_a_resolved_fault_is_immediate_and_once(
    deferring, seen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ingest([storm_line(0)])
    record = the_record()
    services.fault_resolve(fault=record, actor="alice")
    after = int((timezone.now() - START).total_seconds()) + 60  # logged after the resolution
    with django_capture_on_commit_callbacks(execute=True):
        ingest([storm_line(after, "/r1")])
    record.refresh_from_db()
    assert (record.status, record.is_regression, record.occurrences) == ("open", True, 2)
    with django_capture_on_commit_callbacks(execute=True):
        ingest([storm_line(after + 1, "/r2")])  # open again: this one only counts
    services.fault_counts_flush()
    record.refresh_from_db()
    assert record.occurrences == 3
    assert [c.kind for c in seen] == ["opened", "resolved", "regressed"]
    assert FaultEvent.objects.filter(fault=record, action="regressed").count() == 1


def test_resolved_between_the_request_and_the_flush_regresses_at_the_flush(
    deferring, seen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ingest([storm_line(0)])
    record = the_record()
    later = int((timezone.now() - START).total_seconds()) + 60
    with django_capture_on_commit_callbacks(execute=True):
        ingest([storm_line(later)])  # open when read: deferred
    services.fault_resolve(fault=record, actor="alice")  # before the flush
    services.fault_counts_flush()
    record.refresh_from_db()
    assert (record.status, record.is_regression, record.occurrences) == ("open", True, 2)
    assert [c.kind for c in seen] == ["opened", "resolved", "regressed"]


def test_late_lines_for_a_resolved_fault_do_not_reopen_it(
    deferring, seen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ingest([storm_line(10)])
    record = the_record()
    services.fault_resolve(fault=record, actor="alice")
    with django_capture_on_commit_callbacks(execute=True):
        ingest([storm_line(5)])  # logged before the resolution, delivered late
    services.fault_counts_flush()
    record.refresh_from_db()
    assert (record.status, record.occurrences) == ("resolved", 2)
    assert [c.kind for c in seen] == ["opened", "resolved"]


def test_severity_raised_is_not_deferred(deferring, seen, django_capture_on_commit_callbacks):
    fault_type_code = "hdfs_write_no_datanodes"
    occurrence = services.Occurrence(
        fault_type=FaultType.objects.get(code=fault_type_code),
        fingerprint="fp-severity",
        host="",
        title="storm",
        seen_at=START,
        severity="major",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.fault_occurrences_record(occurrences=[occurrence], defer=True)
        services.fault_occurrences_record(occurrences=[occurrence], defer=True)  # only counts
        raised = dataclasses.replace(occurrence, severity="critical")
        services.fault_occurrences_record(occurrences=[raised], defer=True)
    record = FaultRecord.objects.get(fingerprint="fp-severity")
    assert record.severity == "critical" and record.occurrences == 2  # one still pending
    assert [c.kind for c in seen] == ["opened", "severity_raised"]
    services.fault_counts_flush()
    record.refresh_from_db()
    assert record.occurrences == 3


def test_without_a_flusher_every_request_counts(seen):
    ingest([storm_line(0)])
    ingest([storm_line(1)])
    assert the_record().occurrences == 2
    assert counting.pending.occurrences() == 0


def test_stopping_writes_what_is_pending_and_counts_synchronously_again(
    django_capture_on_commit_callbacks,
):
    assert fault_counting_start(interval=3600)  # a thread that never ticks during the test
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ingest([storm_line(0)])
            ingest([storm_line(1)])
        assert the_record().occurrences == 1
    finally:
        fault_counting_stop(timeout=5)
    assert the_record().occurrences == 2
    assert not counting.pending.active
    ingest([storm_line(2)])
    assert the_record().occurrences == 3


def test_counts_a_failed_flush_took_go_back_before_the_newer_ones():
    def occ(seconds, sample):
        return services.Occurrence(
            fault_type=None, fingerprint="fp", host="", title="t",
            seen_at=START + timedelta(seconds=seconds), sample=sample,
        )  # fmt: skip

    store = counting.PendingCounts()
    store.add(counting.occurrences_merge([occ(1, "a"), occ(4, "b")]))
    taken = store.take()  # a flush takes them, then fails
    store.add(counting.occurrences_merge([occ(4, "c"), occ(0, "d")]))  # newer requests
    store.put_back(taken)
    (entry,) = store.take().values()
    assert entry.count == 4
    assert entry.first.sample == "d"
    assert entry.latest.sample == "c"  # same log time: the later arrival is the latest
