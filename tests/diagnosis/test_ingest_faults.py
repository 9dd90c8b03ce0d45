"""Must show 2 through POST /api/log/auto-upload: lines as Flume and batch senders deliver them
become one fault record per fingerprint, a retried Idempotency-Key changes no count, and a fault
seen again after its resolution reopens as a regression."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from diagnosis.models import FaultRecord
from logs.models import SystemLog

pytestmark = pytest.mark.django_db

URL = "/api/log/auto-upload"
DN = "org.apache.hadoop.hdfs.server.datanode.DataNode"
START = (timezone.now() - timedelta(hours=3)).replace(microsecond=0)


def stamp(at) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S,") + f"{at.microsecond // 1000:03d}"


def fd_exhaustion(at) -> str:
    return (
        f"{stamp(at)} ERROR {DN}: dn01:9866:DataXceiverServer: Exiting due to: "
        "java.net.SocketException: Too many open files"
    )


def safe_mode(at, path: str) -> str:
    return (
        f"{stamp(at)} WARN org.apache.hadoop.security.UserGroupInformation: "
        "PriviledgedActionException as:etl (auth:SIMPLE) cause:org.apache.hadoop.ipc."
        "RemoteException(org.apache.hadoop.hdfs.server.namenode.SafeModeException): Cannot "
        f"create directory {path}. Name node is in safe mode."
    )


@pytest.fixture
def upload(make_token):
    client = APIClient()
    token = make_token("ingest")

    def post(body: str, host: str = "dn01", **headers):
        response = client.post(
            f"{URL}?host={host}&logtype=hdfs&token={token}",
            data=body.encode(),
            content_type="text/plain",
            **headers,
        )
        assert response.status_code == 200, response.content
        return response.json()

    return post


def test_a_thousand_lines_sent_one_per_request_make_one_record_counting_a_thousand(upload):
    for n in range(1000):  # Flume's HTTP sink: one POST per line
        upload(fd_exhaustion(START + timedelta(seconds=n)))
    record = FaultRecord.objects.get()
    assert record.fault_type.code == "too_many_open_files"
    assert (record.host, record.status, record.occurrences) == ("dn01", "open", 1000)
    assert record.first_seen == START
    assert record.last_seen == START + timedelta(seconds=999)
    assert record.latest_log.raw == fd_exhaustion(START + timedelta(seconds=999))
    assert SystemLog.objects.filter(host="dn01").count() == 1000


def test_the_same_fault_on_three_hosts_makes_three_records_but_one_for_a_cluster_wide_type(
    upload,
):
    for host in ("dn01", "dn02", "dn03"):
        upload("\n".join([fd_exhaustion(START), fd_exhaustion(START)]), host=host)
        upload(safe_mode(START, f"/user/{host}"), host=host)
    per_host = FaultRecord.objects.filter(fault_type__code="too_many_open_files")
    assert sorted(per_host.values_list("host", "occurrences")) == [
        ("dn01", 2),
        ("dn02", 2),
        ("dn03", 2),
    ]
    cluster_wide = FaultRecord.objects.get(fault_type__code="namenode_safemode")
    assert (cluster_wide.host, cluster_wide.occurrences) == ("", 3)


def test_a_retried_request_with_the_same_idempotency_key_leaves_counts_alone(upload):
    body = "\n".join(
        fd_exhaustion(START + timedelta(seconds=n)) if n % 2 else f"{stamp(START)} INFO {DN}: ok"
        for n in range(100)
    )
    first = upload(body, HTTP_IDEMPOTENCY_KEY="batch-0001")
    again = upload(body, HTTP_IDEMPOTENCY_KEY="batch-0001")
    assert first["accepted"] == again["accepted"] == 100
    assert again.get("replayed") is True
    assert FaultRecord.objects.get().occurrences == 50
    assert SystemLog.objects.count() == 100
    upload(body, HTTP_IDEMPOTENCY_KEY="batch-0002")  # a new request is new data
    assert FaultRecord.objects.get().occurrences == 100


def test_a_resolved_fault_seen_again_reopens_as_a_regression(upload, make_token):
    upload(fd_exhaustion(START))
    record = FaultRecord.objects.get()
    operator = APIClient()
    response = operator.post(
        f"/api/faults/{record.pk}/resolve",
        {"note": "raised nofile to 65536"},
        format="json",
        HTTP_AUTHORIZATION=f"Token {make_token('diagnose')}",
    )
    assert response.status_code == 200, response.content
    upload(fd_exhaustion(timezone.now() + timedelta(seconds=5)))
    record.refresh_from_db()
    assert (record.status, record.is_regression, record.occurrences) == ("open", True, 2)
    assert list(record.events.order_by("id").values_list("action", flat=True)) == [
        "opened",
        "resolved",
        "regressed",
    ]
