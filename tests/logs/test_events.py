"""Events across requests (logs/events.py, docs/events.md), over the ingest endpoint.

Flume's HTTP sink sends one line per request, so a Java stack trace, or one of Hadoop's
multi-line messages, reaches the portal as separate requests. Each test sends an event that
way and, for comparison, whole in one request, and checks what an operator relies on: every
row has the header's log time and level, a host + time-window query finds all of them, the
fault page and the fault API show the event whole, the fault's time is the header's log time,
and re-sending the lines after the fault was resolved is no regression.

The multi-line messages are written from Hadoop's own source text (docs/events.md names the
classes and the format strings).
"""

from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from diagnosis.models import FaultRecord
from logs.models import SystemLog

pytestmark = pytest.mark.django_db

URL = "/api/log/auto-upload"
HOST = "dn03.example.com"


def stamp(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S},{at.microsecond // 1000:03d}"


def header_time() -> datetime:
    """Two hours ago, to the millisecond: a log time clearly apart from the receipt time."""
    at = timezone.now().astimezone(UTC) - timedelta(hours=2)
    return at.replace(microsecond=(at.microsecond // 1000) * 1000)


def cluster_id_trace(at: datetime) -> list[str]:
    """A DataNode that cannot register: the header names nothing known, the `Caused by:` does.
    A header and its 8-line trace."""
    return [
        f"{stamp(at)} ERROR org.apache.hadoop.hdfs.server.datanode.DataNode: Initialization "
        "failed for Block pool <registering> (Datanode Uuid unassigned) service to "
        "nn01.example.com/10.0.0.2:8020. Exiting.",
        "java.io.IOException: All specified directories have failed to load.",
        "\tat org.apache.hadoop.hdfs.server.datanode.DataStorage.recoverTransitionRead("
        "DataStorage.java:552)",
        "\tat org.apache.hadoop.hdfs.server.datanode.DataNode.initStorage(DataNode.java:1705)",
        "\tat org.apache.hadoop.hdfs.server.datanode.DataNode.initBlockPool(DataNode.java:1665)",
        "\tat java.lang.Thread.run(Thread.java:748)",
        "Caused by: java.io.IOException: Incompatible clusterIDs in /data/1/dfs/dn: namenode "
        "clusterID = CID-8c3a5b1e-77f2-4d2b-9a4b-1d2c3e4f5a6b; datanode clusterID = "
        "CID-0f9e8d7c-6b5a-4c3d-2e1f-0a9b8c7d6e5f",
        "\tat org.apache.hadoop.hdfs.server.datanode.DataStorage.doTransition("
        "DataStorage.java:760)",
        "\t... 5 more",
    ]


@pytest.fixture
def tokens(make_token):
    return {"ingest": make_token("ingest"), "read": make_token("read,diagnose")}


@pytest.fixture
def api():
    return APIClient(enforce_csrf_checks=True)


def send(api, token: str, lines: list[str], *, one_per_request: bool, host: str = HOST):
    bodies = lines if one_per_request else ["\n".join(lines)]
    for body in bodies:
        response = api.generic(
            "POST",
            f"{URL}?token={token}&host={host}&logtype=hdfs",
            body.encode(),
            content_type="text/plain",
        )
        assert response.status_code == 200, response.content


def window_lines(api, token: str, at: datetime, host: str = HOST) -> list[dict]:
    """GET /api/logs for the host, one minute around the header's time: what the host page,
    the admin's filters and the diagnosis context ask for."""
    since = (at - timedelta(seconds=30)).isoformat()
    until = (at + timedelta(seconds=30)).isoformat()
    response = api.get(
        "/api/logs",
        {"host": host, "from": since, "to": until, "limit": 200},
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code == 200, response.content
    return response.json()["lines"]


def fault_api(api, token: str, fault: FaultRecord) -> dict:
    response = api.get(f"/api/faults/{fault.pk}", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200, response.content
    return response.json()


def fault_page_samples(client, fault: FaultRecord) -> list[str]:
    client.force_login(User.objects.get_or_create(username="oncall", is_staff=True)[0])
    response = client.get(reverse("dashboard-fault", args=[fault.pk]))
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    return [pre.get_text() for pre in soup.select("pre[data-sample]")]


def resolve(api, token: str, fault: FaultRecord) -> None:
    response = api.post(
        f"/api/faults/{fault.pk}/resolve",
        {"note": "fixed the VERSION file"},
        format="json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code == 200, response.content


def assert_event_rows(lines: list[str], at: datetime, level: str, *, one_per_request: bool):
    rows = list(SystemLog.objects.filter(host=HOST).order_by("id"))
    if one_per_request:
        assert [row.raw for row in rows] == lines
        head = rows[0]
        assert head.event_head is None
        assert [row.event_head for row in rows[1:]] == [head.pk] * (len(lines) - 1)
        assert [row.event_seq for row in rows] == list(range(len(lines)))
    else:
        assert [row.raw for row in rows] == ["\n".join(lines)]
        assert rows[0].trace == "\n".join(lines[1:])
    for row in rows:
        assert (row.log_time, row.level) == (at, level), row.raw
        assert row.component == rows[0].component != ""
    return rows


def safe_mode_refusal(at: datetime) -> list[str]:
    """A JobHistory server whose NameNode is in safe mode: the SafeModeException's message is
    followed by the safe-mode tip (BlockManagerSafeMode.getSafeModeTip), on lines of its own."""
    return [
        f"{stamp(at)} ERROR org.apache.hadoop.mapreduce.v2.hs.HistoryFileManager: Error "
        "creating done directory: [hdfs://nn01.example.com:8020/mr-history/done]",
        "org.apache.hadoop.ipc.RemoteException(org.apache.hadoop.hdfs.server.namenode."
        "SafeModeException): Cannot create directory /mr-history/done. Name node is in safe "
        "mode.",
        "The reported blocks 0 needs additional 963 blocks to reach the threshold 0.9990 of "
        "total blocks 963.",
        "The number of live datanodes 0 has reached the minimum number 0. Safe mode will be "
        "turned off automatically once the thresholds have been reached.",
        "\tat org.apache.hadoop.hdfs.server.namenode.FSNamesystem.checkNameNodeSafeMode("
        "FSNamesystem.java:1412)",
        "\tat org.apache.hadoop.hdfs.server.namenode.FSNamesystem.mkdirs(FSNamesystem.java:3157)",
        "\tat org.apache.hadoop.ipc.Client.call(Client.java:1476)",
    ]


def safe_mode_report(at: datetime) -> list[str]:
    """The NameNode's own report (BlockManagerSafeMode.reportStatus): INFO, no fault."""
    return [
        f"{stamp(at)} INFO org.apache.hadoop.hdfs.StateChange: STATE* Safe mode ON. ",
        "The reported blocks 0 needs additional 963 blocks to reach the threshold 0.9990 of "
        "total blocks 963.",
        "The number of live datanodes 0 has reached the minimum number 0. Safe mode will be "
        "turned off automatically once the thresholds have been reached.",
    ]


def _refused(address: str, journal: str) -> str:
    return (
        f"{address}:8485: Call From nn01.example.com/10.0.0.2 to {journal}.example.com:8485 "
        "failed on connection exception: java.net.ConnectException: Connection refused; For "
        "more details see:  http://wiki.apache.org/hadoop/ConnectionRefused"
    )


def quorum_exception(at: datetime) -> list[str]:
    """The NameNode cannot reach its JournalNodes: QuorumException.create's message has one
    `<address>: <message>` line per JournalNode, then the stack trace."""
    return [
        f"{stamp(at)} WARN org.apache.hadoop.hdfs.server.namenode.FSEditLog: Unable to "
        "determine input streams from QJM to [10.0.0.11:8485, 10.0.0.12:8485, 10.0.0.13:8485]. "
        "Skipping.",
        "org.apache.hadoop.hdfs.qjournal.client.QuorumException: Got too many exceptions to "
        "achieve quorum size 2/3. 3 exceptions thrown:",
        _refused("10.0.0.12", "jn02"),
        _refused("10.0.0.11", "jn01"),
        _refused("10.0.0.13", "jn03"),
        "\tat org.apache.hadoop.hdfs.qjournal.client.QuorumException.create("
        "QuorumException.java:81)",
        "\tat org.apache.hadoop.hdfs.qjournal.client.QuorumCall.rethrowException("
        "QuorumCall.java:286)",
        "\tat org.apache.hadoop.hdfs.qjournal.client.AsyncLoggerSet.waitForWriteQuorum("
        "AsyncLoggerSet.java:142)",
    ]


def process_tree_dump(at: datetime) -> list[str]:
    """A container killed for memory: ContainersMonitorImpl's message ends with `Dump of the
    process-tree for <container> :` and ProcfsBasedProcessTree's tab-indented dump."""
    container = "container_e50_1764640000000_0017_01_000054"
    java = (
        "/usr/lib/jvm/java-8-openjdk/bin/java -Djava.net.preferIPv4Stack=true -Xmx820m "
        "org.apache.hadoop.mapred.YarnChild 10.0.0.5 41234 "
        "attempt_1764640000000_0017_m_000003_0 54"
    )
    return [
        f"{stamp(at)} WARN org.apache.hadoop.yarn.server.nodemanager.containermanager.monitor."
        f"ContainersMonitorImpl: Container [pid=12948,containerID={container}] is running "
        "beyond physical memory limits. Current usage: 1.0 GB of 1 GB physical memory used; "
        "2.2 GB of 2.1 GB virtual memory used. Killing container.",
        f"Dump of the process-tree for {container} :",
        "\t|- PID PPID PGRPID SESSID CMD_NAME USER_MODE_TIME(MILLIS) SYSTEM_TIME(MILLIS) "
        "VMEM_USAGE(BYTES) RSSMEM_USAGE(PAGES) FULL_CMD_LINE",
        f"\t|- 12956 12948 12948 12948 (java) 1758 95 2265591808 132182 {java}",
        f"\t|- 12948 12946 12948 12948 (bash) 0 0 108650496 303 /bin/bash -c {java} "
        f"1>/var/log/hadoop-yarn/containers/{container}/stdout "
        f"2>/var/log/hadoop-yarn/containers/{container}/stderr",
    ]


# name -> (the event's lines at a log time, its level, the fault it is; None: no fault)
EVENTS = {
    "caused-by-trace": (cluster_id_trace, "ERROR", "datanode_cluster_id_mismatch"),
    "safe-mode-refusal": (safe_mode_refusal, "ERROR", "namenode_safemode"),
    "safe-mode-report": (safe_mode_report, "INFO", None),
    "quorum-exception": (quorum_exception, "WARN", "journal_quorum_timeout"),
    "process-tree-dump": (process_tree_dump, "WARN", "container_killed_pmem"),
}


@pytest.mark.parametrize("one_per_request", [True, False], ids=["line-per-request", "one-body"])
@pytest.mark.parametrize("name", list(EVENTS))
def test_an_event_is_stored_found_shown_and_dated_whole(api, client, tokens, name, one_per_request):
    build, level, code = EVENTS[name]
    at = header_time()
    lines = build(at)
    send(api, tokens["ingest"], lines, one_per_request=one_per_request)

    rows = assert_event_rows(lines, at, level, one_per_request=one_per_request)
    assert [line["id"] for line in window_lines(api, tokens["read"], at)] == sorted(
        (row.pk for row in rows), reverse=True
    )
    if code is None:
        assert not FaultRecord.objects.exists()
        return

    # One fault, of the type the whole event shows, at the header's log time, on the header's
    # row; no fault for a line in the middle (a JournalNode's "Connection refused"), and the
    # unclassified fault the header alone made while its trace was on the way is gone.
    (fault,) = FaultRecord.objects.all()
    assert fault.fault_type.code == code
    assert (fault.first_seen, fault.last_seen, fault.occurrences) == (at, at, 1)
    assert fault.first_log_id == rows[0].pk

    whole = "\n".join(lines)
    detail = fault_api(api, tokens["read"], fault)
    assert detail["samples"][0]["text"] == whole
    assert detail["samples"][0]["log"]["message"] in lines[0]
    assert detail["samples"][0]["log"]["trace"] == "\n".join(lines[1:])
    assert fault_page_samples(client, fault) == [whole]

    resolve(api, tokens["read"], fault)
    send(api, tokens["ingest"], lines, one_per_request=one_per_request)  # Flume's backlog
    fault.refresh_from_db()
    assert fault.status == FaultRecord.Status.RESOLVED
    assert not fault.is_regression
    assert fault.occurrences == 2  # the resent event counts again, once
    assert FaultRecord.objects.count() == 1


def test_the_trace_of_one_stream_never_joins_another_streams_event(api, tokens):
    """Two hosts (two sinks) whose lines alternate: each trace line joins its own header."""
    at = header_time()
    ours, theirs = cluster_id_trace(at), cluster_id_trace(at + timedelta(seconds=5))
    for mine, other in zip(ours, theirs, strict=True):
        send(api, tokens["ingest"], [mine], one_per_request=True)
        send(api, tokens["ingest"], [other], one_per_request=True, host="dn04.example.com")
    for host, lines, when in (
        (HOST, ours, at),
        ("dn04.example.com", theirs, at + timedelta(seconds=5)),
    ):
        rows = list(SystemLog.objects.filter(host=host).order_by("id"))
        assert [row.raw for row in rows] == lines
        assert {row.log_time for row in rows} == {when}
        assert {row.event_head for row in rows[1:]} == {rows[0].pk}
    assert FaultRecord.objects.filter(fault_type__code="datanode_cluster_id_mismatch").count() == 2
    assert not FaultRecord.objects.filter(fault_type__code="unclassified").exists()


def test_a_new_header_closes_the_event(api, tokens):
    at = header_time()
    lines = cluster_id_trace(at)
    later = (
        f"{stamp(at + timedelta(seconds=1))} INFO org.apache.hadoop.hdfs.server.datanode."
        "DataNode: SHUTDOWN_MSG: Shutting down DataNode"
    )
    orphan = "\tat org.apache.hadoop.hdfs.server.datanode.DataNode.main(DataNode.java:3011)"
    send(api, tokens["ingest"], [*lines, later, orphan], one_per_request=True)
    rows = list(SystemLog.objects.filter(host=HOST).order_by("id"))
    shutdown, frame = rows[-2], rows[-1]
    assert (shutdown.event_head, shutdown.level) == (None, "INFO")
    # The frame after the INFO line is that line's, not the trace's before it.
    assert (frame.event_head, frame.level, frame.log_time) == (
        shutdown.pk,
        "INFO",
        shutdown.log_time,
    )


def test_lines_in_no_layout_do_not_fold_into_each_other(api, tokens):
    """A stream in a layout the portal cannot read keeps one row per line, level UNKNOWN."""
    unreadable = [
        "[Thu Nov 28 10:15:32 2026] kernel: something",
        "[Thu Nov 28 10:15:33 2026] other",
    ]
    send(api, tokens["ingest"], unreadable, one_per_request=True)
    send(api, tokens["ingest"], unreadable, one_per_request=False)
    rows = list(SystemLog.objects.filter(host=HOST).order_by("id"))
    assert [row.raw for row in rows] == unreadable * 2
    assert {(row.level, row.log_time, row.event_head) for row in rows} == {("UNKNOWN", None, None)}


def test_the_admin_shows_a_line_as_its_whole_event(api, tokens, admin_client):
    at = header_time()
    lines = cluster_id_trace(at)
    send(api, tokens["ingest"], lines, one_per_request=True)
    head, *later = SystemLog.objects.filter(host=HOST).order_by("id")

    page = admin_client.get(reverse("admin:logs_systemlog_change", args=[head.pk]))
    soup = BeautifulSoup(page.content, "html.parser")
    whole = soup.select_one(".field-event_text pre")
    assert whole is not None and whole.get_text() == "\n".join(lines)

    page = admin_client.get(reverse("admin:logs_systemlog_change", args=[later[-1].pk]))
    soup = BeautifulSoup(page.content, "html.parser")
    link = soup.select_one(".field-event_text a")
    assert link["href"] == reverse("admin:logs_systemlog_change", args=[head.pk])
    assert f"line {len(lines)} of the event" in soup.select_one(".field-event_text").get_text()
