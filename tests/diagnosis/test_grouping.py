"""Must show 2 (service level): occurrences become one record per fingerprint, per host or per
cluster as the type says, and a fault seen again after its resolution reopens as a regression."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from diagnosis import services
from diagnosis.models import FaultRecord
from tests.diagnosis.ingest import ingest
from tests.diagnosis.loglines import log4j

pytestmark = pytest.mark.django_db

DN = "org.apache.hadoop.hdfs.server.datanode.DataNode"
START = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def fd_exhaustion(at: datetime, host: str = "dn01.example.com"):
    stamp = at.strftime("%Y-%m-%d %H:%M:%S,") + f"{at.microsecond // 1000:03d}"
    return log4j(
        f"{stamp} ERROR {DN}: {host}:9866:DataXceiverServer: Exiting due to: ",
        host=host,
        trace="java.net.SocketException: Too many open files",
    )


def safe_mode(at: datetime, host: str):
    stamp = at.strftime("%Y-%m-%d %H:%M:%S,000")
    return log4j(
        f"{stamp} WARN org.apache.hadoop.security.UserGroupInformation: PriviledgedAction"
        "Exception as:etl (auth:SIMPLE) cause:org.apache.hadoop.ipc.RemoteException(org.apache."
        f"hadoop.hdfs.server.namenode.SafeModeException): Cannot create directory /user/{host}. "
        "Name node is in safe mode.",
        host=host,
    )


def test_a_thousand_occurrences_on_one_host_make_one_record_counting_a_thousand():
    for batch in range(10):  # ten ingest requests of a hundred lines
        ingest([fd_exhaustion(START + timedelta(seconds=batch * 100 + i)) for i in range(100)])
    record = FaultRecord.objects.get()
    assert record.fault_type.code == "too_many_open_files"
    assert record.occurrences == 1000
    assert record.first_seen == START
    assert record.last_seen == START + timedelta(seconds=999)
    assert record.host == "dn01.example.com" and record.status == "open"
    assert record.first_log.log_time == START
    assert record.latest_log.log_time == START + timedelta(seconds=999)
    assert "Too many open files" in record.latest_sample


def test_the_same_fault_on_three_hosts_makes_three_records():
    hosts = ["dn01.example.com", "dn02.example.com", "dn03.example.com"]
    ingest([fd_exhaustion(START, host) for host in hosts for _ in range(2)])
    records = FaultRecord.objects.order_by("host")
    assert [(r.host, r.occurrences) for r in records] == [(h, 2) for h in hosts]


def test_a_cluster_wide_fault_seen_from_three_hosts_makes_one_record():
    ingest([safe_mode(START + timedelta(seconds=n), f"dn0{n}.example.com") for n in range(3)])
    record = FaultRecord.objects.get()
    assert record.fault_type.code == "namenode_safemode"
    assert record.host == "" and record.occurrences == 3
    assert record.title == "NameNode in safe mode"


def test_a_resolved_fault_seen_again_reopens_as_a_regression():
    (record,) = ingest([fd_exhaustion(START)])
    services.fault_resolve(fault=record, actor="alice", note="raised nofile")
    ingest([fd_exhaustion(timezone.now() + timedelta(seconds=1))])
    record.refresh_from_db()
    assert record.status == "open" and record.is_regression and record.occurrences == 2
    assert list(record.events.order_by("id").values_list("action", flat=True)) == [
        "opened",
        "resolved",
        "regressed",
    ]


def test_lines_from_before_the_resolution_arriving_late_do_not_reopen_it():
    (record,) = ingest([fd_exhaustion(START)])
    services.fault_resolve(fault=record, actor="alice")
    ingest([fd_exhaustion(START + timedelta(minutes=5))])  # a Flume backlog draining
    record.refresh_from_db()
    assert record.status == "resolved" and not record.is_regression
    assert record.occurrences == 2


def test_a_batch_costs_a_few_queries_per_fault_not_per_line(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    from diagnosis.detection import detect_faults
    from diagnosis.services import fault_occurrences_record

    hosts = ["dn01.example.com", "dn02.example.com", "dn03.example.com"]
    lines = [fd_exhaustion(START + timedelta(seconds=i), hosts[i % 3]) for i in range(300)]
    occurrences = [occ for _, occ in detect_faults(lines)]
    # New faults: existence check, type lock, locking read, then per record a savepoint, the
    # INSERT, its "opened" event and the savepoint's release. Then each new fault is placed in
    # an incident (diagnosis/incidents.py): one read of the types' precursor links for the
    # batch; per fault the window's incidents (one read; a second, and their members' types,
    # when there are some), the new incident's INSERT, the fault's link to it, and the
    # incident's refresh (a read of its faults and one UPDATE). Here three hosts: three
    # incidents, the second and third fault find the earlier ones in the window.
    placing = 1 + 3 * 5 + 2 * 2
    # The three "opened" changes go to the notification outbox in the same transaction
    # (oncall's fault-change listener): one multi-row INSERT for the batch.
    outbox = 1
    with (
        django_capture_on_commit_callbacks(execute=True),
        django_assert_num_queries(3 + 3 * 4 + placing + outbox),
    ):
        fault_occurrences_record(occurrences=occurrences[:3])
    # Known faults: one locking read and one UPDATE for all the records, whatever the number
    # of lines or faults.
    with django_assert_num_queries(1 + 1):
        fault_occurrences_record(occurrences=occurrences)
    assert sorted(FaultRecord.objects.values_list("occurrences", flat=True)) == [101] * 3
