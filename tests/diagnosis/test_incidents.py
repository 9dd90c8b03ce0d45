"""Must show 1: faults that share a cause become one incident, whose title names the cause.

Every line is the text Hadoop writes (docs/hadoop-messages.md cites the sources): NetUtils'
wrapped exceptions, ipc.Client's retry and address-change lines, the LeaseRenewer, the MapReduce
RMContainerAllocator, the DataStreamer, the NameNode's dead-node line, the DataNode's volume
choosing policy and the NodeManager's disk checker. The lines go through ingestion's own service;
metric faults through the thresholds' service.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from diagnosis import services
from diagnosis.models import FaultRecord, Incident
from tests.diagnosis.ingest import ingest
from tests.diagnosis.loglines import log4j

pytestmark = pytest.mark.django_db

T0 = (timezone.now() - timedelta(hours=2)).replace(second=0, microsecond=0)
CLIENT = "org.apache.hadoop.ipc.Client"
ALLOCATOR = "org.apache.hadoop.mapreduce.v2.app.rm.RMContainerAllocator"
RENEWER = "org.apache.hadoop.hdfs.LeaseRenewer"
LISTENER = "org.apache.hadoop.mapred.TaskAttemptListenerImpl"
STREAMER = "org.apache.hadoop.hdfs.DataStreamer"
STATE = "org.apache.hadoop.hdfs.StateChange"


def stamp(seconds: float) -> str:
    moment = timezone.localtime(T0 + timedelta(seconds=seconds))
    return moment.strftime("%Y-%m-%d %H:%M:%S,") + f"{moment.microsecond // 1000:03d}"


def line(seconds: float, level: str, component: str, message: str, *, host: str, trace=""):
    return log4j(f"{stamp(seconds)} {level} {component}: {message}", host=host, trace=trace)


def no_route_trace(local: str, peer: str) -> str:
    return (
        f"java.net.NoRouteToHostException: No Route to Host from  {local}/10.0.0.17 to {peer} "
        "failed on socket timeout exception: java.net.NoRouteToHostException: No route to host;"
        " For more details see:  http://wiki.apache.org/hadoop/NoRouteToHost\n"
        "\tat org.apache.hadoop.net.NetUtils.wrapException(NetUtils.java:758)\n"
        "\tat org.apache.hadoop.ipc.Client.call(Client.java:1480)"
    )


def cut_off(host: str, start: float = 0) -> list:
    """What an ApplicationMaster on `host` logs when master1 (NameNode + RM) drops off."""
    return [
        line(
            start + 1,
            "WARN",
            CLIENT,
            "Address change detected. Old: master1/10.0.0.1:8030 New: master1:8030",
            host=host,
        ),
        line(
            start + 2,
            "INFO",
            CLIENT,
            "Retrying connect to server: master1:8030. Already tried 0 time(s); retry policy is "
            "RetryUpToMaximumCountWithFixedSleep(maxRetries=10, sleepTime=1000 MILLISECONDS)",
            host=host,
        ),
        line(
            start + 3,
            "WARN",
            CLIENT,
            "Address change detected. Old: master1/10.0.0.1:9000 New: master1:9000",
            host=host,
        ),
        line(
            start + 30,
            "WARN",
            RENEWER,
            "Failed to renew lease for [DFSClient_NONMAPREDUCE_1537864556_1] for 128 seconds.  "
            "Will retry shortly ...",
            host=host,
            trace=no_route_trace(host, "master1:9000"),
        ),
        line(
            start + 31,
            "ERROR",
            ALLOCATOR,
            "ERROR IN CONTACTING RM. ",
            host=host,
            trace=no_route_trace(host, "master1:8030"),
        ),
        line(
            start + 40,
            "FATAL",
            LISTENER,
            "Task: attempt_1445144423722_0020_m_000005_0 - exited : "
            + no_route_trace(host, "master1:8030").split("\n", 1)[0],
            host=host,
        ),
    ]


def active_incidents() -> list[Incident]:
    return list(Incident.objects.exclude(status=Incident.Status.MERGED).order_by("id"))


def test_a_host_cut_off_from_the_namenode_and_rm_host_is_one_incident_naming_peer_and_roles():
    faults = ingest(cut_off("worker17"))

    incidents = active_incidents()
    assert len(incidents) == 1, [i.title for i in incidents]
    incident = incidents[0]
    assert incident.kind == Incident.Kind.PEER
    assert "master1" in incident.subjects
    assert incident.title.startswith("worker17 cannot reach ")
    assert "master1:9000 (NameNode RPC)" in incident.title
    assert "master1:8030 (RM scheduler)" in incident.title
    assert "<host>" not in incident.title
    assert set(incident.hosts) == {"worker17"}
    in_incident = list(FaultRecord.objects.filter(incident=incident))
    assert {f.pk for f in faults} == {f.pk for f in in_incident}
    members = {f.fault_type.code: f for f in in_incident}
    # The lease and allocator complaints are symptoms of the unreachable peer, not causes.
    assert members["hdfs_lease_renew_failed"].is_symptom
    assert members["rm_contact_failed"].is_symptom
    assert not members["peer_no_route"].is_symptom
    assert "peer_connect_retrying" in members and "peer_address_changed" in members
    assert incident.cause_fault.fault_type.code == "peer_no_route"
    assert incident.severity == "critical"


def test_titles_of_faults_keep_the_peer_and_the_no_route_line_is_named_for_what_happened():
    ingest(cut_off("worker17"))
    no_route = FaultRecord.objects.get(fault_type__code="peer_no_route")
    # The peer stays in the title; the local side and the attempt id are normalised.
    assert "to master1:8030 failed" in no_route.title and "<host>:<port>" not in no_route.title
    assert no_route.fault_type.name == "Peer unreachable: no route to host"
    assert no_route.entities["peers"] == [
        {"host": "master1", "ip": "", "port": 8030, "role": "RM scheduler"}
    ]
    assert "attempt_1445144423722_0020_m_000005_0" in no_route.entities["attempts"]
    retry = FaultRecord.objects.get(fault_type__code="peer_connect_retrying")
    assert "Retrying connect to server: master1:8030" in retry.title


def test_the_same_peer_unreachable_from_a_second_host_joins_the_incident():
    ingest(cut_off("worker17"))
    ingest(cut_off("worker18", start=20))

    (incident,) = active_incidents()
    assert set(incident.hosts) == {"worker17", "worker18"}
    assert incident.title.startswith("worker17 and worker18 cannot reach ")


def test_symptoms_logged_before_the_cause_are_merged_into_the_cause_s_incident():
    lines = cut_off("worker17")
    lease, allocator = lines[3], lines[4]
    lease.trace = allocator.trace = ""  # the events arrived without their traces
    ingest([lease, allocator])
    (first,) = active_incidents()
    assert first.kind == Incident.Kind.HOST  # nothing names the peer yet
    ingest([lines[0], lines[5]])

    (incident,) = active_incidents()
    assert incident.kind == Incident.Kind.PEER
    codes = {f.fault_type.code: f.is_symptom for f in incident.faults.all()}
    assert codes["hdfs_lease_renew_failed"] is True
    assert codes["rm_contact_failed"] is True
    first.refresh_from_db()
    assert first.status == Incident.Status.MERGED and first.merged_into_id == incident.pk


def dead_datanode_lines() -> list:
    pipeline = (
        "[DatanodeInfoWithStorage[10.0.0.5:9866,DS-5f0c7a2e-1b7e-4a51-9d54-f2b1f4cbd6a1,DISK], "
        "DatanodeInfoWithStorage[10.0.0.6:9866,DS-0d2c55b9-6a63-4f1f-8a6e-0c8c5f3b0a11,DISK]]"
    )
    bad = "DatanodeInfoWithStorage[10.0.0.5:9866,DS-5f0c7a2e-1b7e-4a51-9d54-f2b1f4cbd6a1,DISK]"
    return [
        line(
            0,
            "INFO",
            STATE,
            "BLOCK* removeDeadDatanode: lost heartbeat from 10.0.0.5:9866, "
            "removeBlocksFromBlockMap true",
            host="nn1",
        ),
        line(
            5,
            "WARN",
            STREAMER,
            "Error Recovery for BP-1573287471-10.0.0.1-1445144160392:blk_1073742025_1201 in "
            f"pipeline {pipeline}: datanode 0({bad}) is bad.",
            host="worker17",
        ),
        line(12, "WARN", STREAMER, f"Excluding datanode {bad}", host="worker18"),
    ]


def test_a_dead_datanode_s_namenode_lines_client_pipeline_errors_and_missing_blocks_are_one():
    ingest(dead_datanode_lines())
    services.fault_metric_raise(
        code="hdfs_missing_blocks",
        key="cluster",
        host="",
        title="3 missing HDFS blocks",
        seen_at=T0 + timedelta(seconds=60),
        sample="MissingBlocks=3 CorruptBlocks=0 (NameNode nn1)",
        severity="critical",
    )

    (incident,) = active_incidents()
    assert incident.kind == Incident.Kind.DATANODE
    assert "10.0.0.5" in incident.subjects and "10.0.0.6" not in incident.subjects
    codes = {f.fault_type.code: f.is_symptom for f in incident.faults.all()}
    assert set(codes) == {"datanode_dead", "hdfs_pipeline_datanode_bad", "hdfs_missing_blocks"}
    assert codes["hdfs_missing_blocks"] is True
    assert incident.title.startswith("DataNode 10.0.0.5 down, seen by ")
    assert incident.severity == "critical"


def test_a_disk_that_fills_is_one_incident_about_that_host():
    ingest(
        [
            line(
                0,
                "WARN",
                "org.apache.hadoop.hdfs.server.datanode.DataNode",
                "IOException in BlockReceiver constructor :Possible disk error: Failed to create"
                " /data/1/dfs/dn/current/BP-1-10.0.0.1-1/tmp/blk_1073742026. Cause is",
                host="dn03",
                trace="org.apache.hadoop.util.DiskChecker$DiskOutOfSpaceException: Out of space:"
                " The volume with the most available space (=0 B) is less than the block size "
                "(=134217728 B).",
            ),
            line(
                20,
                "WARN",
                "org.apache.hadoop.yarn.server.nodemanager.DirectoryCollection",
                "Directory /data/1/yarn/local error, used space above threshold of 90.0%, "
                "removing from list of valid directories",
                host="dn03",
            ),
            line(
                21,
                "INFO",
                "org.apache.hadoop.yarn.server.nodemanager.LocalDirsHandlerService",
                "Disk(s) failed: 1/1 local-dirs usable space is below configured utilization "
                "percentage/no more usable space [ /data/1/yarn/local : used space above "
                "threshold of 90.0% ] ; ",
                host="dn03",
            ),
        ]
    )
    services.fault_metric_raise(
        code="nodemanagers_unhealthy",
        key="dn03",
        host="dn03",
        title="NodeManager dn03 is unhealthy",
        seen_at=T0 + timedelta(seconds=90),
        sample="1/1 local-dirs usable space is below configured utilization percentage",
    )

    (incident,) = active_incidents()
    assert incident.kind == Incident.Kind.HOST
    assert incident.subjects == ["dn03"]
    assert incident.title.startswith("dn03: DataNode volumes full (+")
    codes = sorted(incident.faults.values_list("fault_type__code", flat=True))
    assert codes == [
        "datanode_out_of_space",
        "nodemanager_unhealthy_disks",
        "nodemanager_unhealthy_disks",
        "nodemanagers_unhealthy",
    ]


def test_two_unrelated_faults_at_the_same_minute_on_different_hosts_stay_two_incidents():
    ingest(
        [
            line(
                0,
                "ERROR",
                "org.apache.hadoop.hdfs.server.datanode.DataNode",
                "dn01:9866:DataXceiverServer: Exiting due to: java.lang.OutOfMemoryError: Java "
                "heap space",
                host="dn01",
            ),
            line(
                10,
                "ERROR",
                "org.apache.hadoop.hdfs.server.datanode.DataNode",
                "dn02:9866:DataXceiverServer: Exiting due to: java.net.SocketException: Too many "
                "open files",
                host="dn02",
            ),
        ]
    )
    incidents = active_incidents()
    assert len(incidents) == 2
    assert {tuple(i.subjects) for i in incidents} == {("dn01",), ("dn02",)}


def test_a_fault_long_after_the_window_opens_a_new_incident(settings):
    settings.INCIDENT_WINDOW_MINUTES = 5
    ingest(cut_off("worker17"))
    ingest(cut_off("worker18", start=3600))
    assert len(active_incidents()) == 2


def test_the_incident_resolves_when_its_faults_are_resolved_and_reopens_with_them():
    ingest(cut_off("worker17"))
    (incident,) = active_incidents()
    for fault in incident.faults.all():
        services.fault_resolve(fault=fault, actor="alice")
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    services.fault_reopen(fault=incident.faults.first(), actor="alice")
    incident.refresh_from_db()
    assert incident.status == Incident.Status.OPEN


# --- Diagnosis per incident (must show 1a's top cause, must show 2) ---------------------------


def diagnose(incident: Incident) -> dict:
    from rca.run import incident_diagnose

    incident.refresh_from_db()
    return incident_diagnose(incident=incident, actor="alice").result


def test_the_top_cause_of_a_cut_off_host_is_the_network_to_the_peer_above_every_other():
    ingest(cut_off("worker17"))
    (incident,) = active_incidents()
    result = diagnose(incident)

    causes = result["probable_causes"]
    assert causes[0]["title"] == "network: master1 unreachable"
    assert all(causes[0]["confidence"] > c["confidence"] for c in causes[1:])
    # The explanation cites the evidence; the steps are concrete to the peer and the host.
    assert "worker17 reports master1 unreachable" in causes[0]["explanation"]
    assert "From worker17: nc -zv master1 8030  (RM scheduler)" in result["remediation"]
    assert "From worker17: nc -zv master1 9000  (NameNode RPC)" in result["remediation"]
    assert any("getent hosts master1" in step for step in result["remediation"])
    # The lease and allocator faults are symptoms, never causes of their own.
    symptom_types = {s["fault_type"] for s in result["symptoms"]}
    assert {"hdfs_lease_renew_failed", "rm_contact_failed"} <= symptom_types
    cause_types = {c["fault_type"] for c in causes}
    assert not cause_types & {"hdfs_lease_renew_failed", "rm_contact_failed", "hdfs_lease_expired"}
    incident.refresh_from_db()
    assert incident.diagnosis["probable_causes"][0]["title"] == "network: master1 unreachable"


def test_one_more_corroborating_signal_raises_the_confidence():
    ingest(cut_off("worker17"))
    (incident,) = active_incidents()
    alone = diagnose(incident)["probable_causes"][0]

    # A second host that cannot reach master1 either: an independent witness.
    ingest(cut_off("worker18", start=20))
    incident.refresh_from_db()
    two_hosts = diagnose(incident)["probable_causes"][0]
    assert two_hosts["title"] == alone["title"] == "network: master1 unreachable"
    assert two_hosts["confidence"] > alone["confidence"]

    # The portal's own collector cannot reach master1's NameNode: cluster_status agrees.
    services.fault_metric_raise(
        code="namenode_unreachable",
        key="master1",
        host="master1",
        title="NameNode master1 unreachable",
        seen_at=T0 + timedelta(seconds=50),
        sample="GET http://master1:9870/jmx: [Errno 113] No route to host",
    )
    incident.refresh_from_db()
    assert incident.faults.filter(fault_type__code="namenode_unreachable").exists()
    with_metric = diagnose(incident)["probable_causes"][0]
    assert with_metric["confidence"] > two_hosts["confidence"]


def test_a_peer_that_still_logs_makes_host_down_less_likely_and_the_network_more():
    from logs.models import SystemLog

    ingest(cut_off("worker17"))
    (incident,) = active_incidents()
    before = {c["title"]: c["confidence"] for c in diagnose(incident)["probable_causes"]}
    SystemLog.objects.create(
        host="master1",
        logtype="hadoop",
        log_time=T0 + timedelta(seconds=20),
        level="INFO",
        component="org.apache.hadoop.hdfs.server.namenode.FSNamesystem",
        message="Roll Edit Log from 10.0.0.2",
        raw="… INFO … Roll Edit Log from 10.0.0.2",
        received_at=T0 + timedelta(seconds=21),
    )
    after = {c["title"]: c["confidence"] for c in diagnose(incident)["probable_causes"]}
    down = "master1 down (the host or its daemons stopped)"
    assert after["network: master1 unreachable"] > before["network: master1 unreachable"]
    assert after.get(down, 0) < before[down]


def test_a_dead_datanode_is_diagnosed_as_down_with_the_missing_blocks_as_symptom():
    ingest(dead_datanode_lines())
    services.fault_metric_raise(
        code="hdfs_missing_blocks",
        key="cluster",
        host="",
        title="3 missing HDFS blocks",
        seen_at=T0 + timedelta(seconds=60),
        sample="MissingBlocks=3 CorruptBlocks=0 (NameNode nn1)",
        severity="critical",
    )
    (incident,) = active_incidents()
    result = diagnose(incident)
    assert result["probable_causes"][0]["title"] == "DataNode 10.0.0.5 down"
    assert "hdfs_missing_blocks" in {s["fault_type"] for s in result["symptoms"]}
