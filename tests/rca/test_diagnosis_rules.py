"""The offline rule engine on realistic context: log lines around the fault, the cluster
snapshot, and faults before it on the same hosts (must-show 1: ≥ 10 catalogue types, with
precursor correlation)."""

from datetime import timedelta

import pytest

from rca.context import context_for_excerpt, context_for_fault
from rca.result import result_validate
from rca.rules import rules_diagnose
from tests.diagnosis.scenario import (
    cause_titled,
    fault,
    lines_cited,
    log_line,
    metric_named,
    snapshot,
)

pytestmark = pytest.mark.django_db

NN = "org.apache.hadoop.hdfs.server.namenode.FSNamesystem"
STATE_CHANGE = "org.apache.hadoop.hdfs.StateChange"
DN = "org.apache.hadoop.hdfs.server.datanode.DataNode"
PAUSE = "org.apache.hadoop.util.JvmPauseMonitor"
ZKFC = "org.apache.hadoop.ha.ActiveStandbyElector"
GC_PAUSE = (
    "Detected pause in JVM or host machine (eg GC): pause of approximately 52130ms\n"
    "GC pool 'ConcurrentMarkSweep' had collection(s): count=1 time=51874ms"
)
HOST_PAUSE = (
    "Detected pause in JVM or host machine (eg GC): pause of approximately 41000ms\nNo GCs detected"
)


def diagnose(record):
    result = rules_diagnose(context_for_fault(fault=record))
    assert result_validate(result) is result  # one schema, always valid
    assert result["engine"] == "rules" and result["llm_error"] is None
    assert result["subject"] == {
        "kind": "fault",
        "fault_id": record.pk,
        "fault_type": record.fault_type.code,
        "fault_types": [record.fault_type.code],
        "title": record.title,
        "host": record.host,
    }
    confidences = [c["confidence"] for c in result["probable_causes"]]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0 <= c <= 1 for c in confidences)
    return result


def refs_of(result, cause):
    by_ref = {
        item["ref"]: item
        for key in ("log_lines", "metrics", "related_faults")
        for item in result["evidence"][key]
    }
    return [by_ref[ref] for ref in cause["evidence_refs"]]


# --- precursor correlation ------------------------------------------------------------------


def zk_expiry_on_nn01():
    log_line("nn01", -300, "INFO", NN, "Roll Edit Log from 10.0.0.2")
    line = log_line(
        "nn01", 0, "WARN", ZKFC, "Session expired. Entering neutral mode and rejoining..."
    )
    log_line("nn01", 5, "INFO", ZKFC, "Checking for any old active which needs to be fenced...")
    return fault("ha_zk_session_expired", "nn01", line)


def test_a_long_gc_pause_just_before_a_zookeeper_expiry_becomes_the_leading_cause():
    pause_line = log_line("nn01", -40, "WARN", PAUSE, GC_PAUSE)
    pause = fault("jvm_long_pause", "nn01", pause_line)
    expiry = zk_expiry_on_nn01()
    snapshot(
        cluster={"live_datanodes": 5, "active_namenode": "nn02"},
        nodes=[
            {"host": "nn01", "role": "namenode", "state": "standby"},
            {"host": "nn02", "role": "namenode", "state": "active"},
        ],
    )

    result = diagnose(expiry)

    top = result["probable_causes"][0]
    assert top["title"] == "Long JVM or host pause (GC) shortly before"
    assert top["fault_type"] == "jvm_long_pause"
    assert top["confidence"] >= 0.85  # base + same host + came first
    assert "40 s before the fault" in top["explanation"]
    cited = refs_of(result, top)
    assert {"fault_id": pause.pk, "relation": "precursor"}.items() <= next(
        item for item in cited if "fault_id" in item
    ).items()
    assert any("pause of approximately 52130ms" in item.get("text", "") for item in cited)
    # The GC figures in the pause line narrow it down to the collector.
    gc = cause_titled(result, "A long garbage collection")
    assert gc is not None and gc["fault_type"] == "jvm_long_pause"
    # Exactly one active NameNode now: the failover completed.
    assert metric_named(result, "active NameNodes")["verdict"] == "context"
    # Steps start with fixing the pause, then the catalogue's own.
    assert result["remediation"][0].startswith("Tune heap and GC")
    assert any("haadmin -getServiceState" in step for step in result["remediation"])
    assert (
        "Long JVM or host pause (GC) was seen on nn01 40 s before the fault." in (result["summary"])
    )


def test_without_the_pause_the_same_expiry_gets_no_precursor_cause():
    expiry = zk_expiry_on_nn01()
    log_line("nn02", -40, "WARN", PAUSE, GC_PAUSE)  # another host's pause explains nothing here
    fault("jvm_long_pause", "nn02", seconds=-40)

    result = diagnose(expiry)

    assert cause_titled(result, "shortly before") is None
    top = result["probable_causes"][0]
    assert top["title"] == "HA ZooKeeper session lost / failover: one of its usual causes"
    assert top["confidence"] == 0.5
    assert "No precursor (Long JVM or host pause (GC)) was seen" in top["explanation"]


def test_a_pause_long_after_the_fault_is_not_its_precursor():
    expiry = zk_expiry_on_nn01()
    fault("jvm_long_pause", "nn01", seconds=3600)  # an hour later
    result = diagnose(expiry)
    assert cause_titled(result, "shortly before") is None
    related = result["evidence"]["related_faults"]
    assert related == []  # outside the window: not even context


def test_a_dead_datanode_named_by_ip_is_correlated_with_the_pause_on_that_datanode():
    """The NameNode names the DataNode by ip:port; the pause is in dn03's own log."""
    dn_pause = log_line("dn03", -700, "WARN", PAUSE, HOST_PAUSE)
    fault("jvm_long_pause", "dn03", dn_pause)
    log_line("dn03", -705, "WARN", DN, "IOException in offerService")
    dead = log_line(
        "nn01",
        0,
        "INFO",
        STATE_CHANGE,
        "BLOCK* removeDeadDatanode: lost heartbeat from 10.0.0.13:9866, "
        "removeBlocksFromBlockMap true",
    )
    record = fault("datanode_dead", "nn01", dead)
    snapshot(
        cluster={"live_datanodes": 4, "dead_datanodes": 1, "under_replicated_blocks": 1812},
        nodes=[
            {
                "host": "dn03",
                "role": "datanode",
                "state": "dead",
                "last_contact_seconds": 1400,
                "details": {"xferaddr": "10.0.0.13:9866"},
            },
            {"host": "dn04", "role": "datanode", "state": "live"},
        ],
    )

    result = diagnose(record)

    top = result["probable_causes"][0]
    assert top["title"] == "Long JVM or host pause (GC) shortly before"
    assert top["confidence"] >= 0.85
    assert "dn03" in top["explanation"]
    # "No GCs detected": the host stalled, not the heap.
    host_stall = cause_titled(result, "The host stalled")
    assert host_stall is not None and host_stall["confidence"] >= 0.6
    assert metric_named(result, "NumDeadDataNodes")["verdict"] == "confirms"
    assert metric_named(result, "state", "datanode dn03")["verdict"] == "confirms"
    assert metric_named(result, "lastContact (s)")["value"] == 1400
    # The dead DataNode's own last lines are evidence too.
    assert lines_cited(result, "IOException in offerService")
    assert result["runbook_script"] == "restart_datanode.sh"
    catalogue = cause_titled(result, "DataNode heartbeat lost (dead): one of its usual causes")
    assert catalogue["confidence"] == 0.8  # 0.5 + three confirming figures


def test_low_namenode_disk_explains_safe_mode():
    low = log_line(
        "nn01",
        -120,
        "WARN",
        "org.apache.hadoop.hdfs.server.namenode.NameNodeResourceChecker",
        "NameNode low on available disk space. Entering safe mode.",
    )
    fault("namenode_low_disk_safemode", "", low)
    refused = log_line(
        "nn01",
        0,
        "ERROR",
        "org.apache.hadoop.ipc.Server",
        "org.apache.hadoop.hdfs.server.namenode.SafeModeException: Cannot create directory "
        "/user/etl/out. Name node is in safe mode. Resources are low on NN.",
    )
    record = fault("namenode_safemode", "", refused)
    snapshot(
        cluster={"safe_mode": True, "live_datanodes": 6, "dead_datanodes": 0},
        nodes=[
            {"host": "nn01", "role": "namenode", "state": "active"},
            {"host": "nn01", "role": "host", "disk_used_pct": 98.5},
        ],
    )

    result = diagnose(record)

    top = result["probable_causes"][0]
    assert top["title"] == "NameNode metadata disk low (safe mode) shortly before"
    assert metric_named(result, "FSState")["verdict"] == "confirms"
    assert result["remediation"][0].startswith("Free space on the name-dir volumes")


# --- one fault type after another ---------------------------------------------------------------


def test_datanode_volume_failure_confirmed_by_volume_metrics():
    line = log_line(
        "dn02",
        0,
        "ERROR",
        DN,
        "Exception in secureMain",
        trace="org.apache.hadoop.util.DiskChecker$DiskErrorException: Too many failed volumes - "
        "current valid volumes: 3, volumes configured: 4, volumes failed: 1, volume failures "
        "tolerated: 0\n\tat org.apache.hadoop.hdfs.server.datanode.fsdataset.impl."
        "FsDatasetImpl.<init>(FsDatasetImpl.java:302)",
    )
    record = fault("datanode_volume_failure", "dn02", line)
    snapshot(
        cluster={"volume_failures": 1, "live_datanodes": 5, "dead_datanodes": 1},
        nodes=[{"host": "dn02", "role": "datanode", "state": "dead", "details": {"volfails": 1}}],
    )

    result = diagnose(record)

    top = result["probable_causes"][0]
    assert top["title"] == "DataNode disk (volume) failure: one of its usual causes"
    assert top["confidence"] == 0.8
    assert "VolumeFailuresTotal = 1" in top["explanation"]
    assert metric_named(result, "volumes failed (message)") is None  # read from the line:
    assert any("volumes failed" in line["why"] for line in result["evidence"]["log_lines"])
    assert result["runbook_script"] == "check_datanode_disks.sh"
    assert result["remediation"][0] == "Check dmesg/SMART and the mount."


def test_datanode_out_of_space_on_an_unbalanced_cluster_with_non_dfs_files():
    line = log_line(
        "dn05",
        0,
        "WARN",
        DN,
        "org.apache.hadoop.util.DiskChecker$DiskOutOfSpaceException: Out of space: The volume "
        "with the most available space (=1048576 B) is less than the block size "
        "(=134217728 B).",
    )
    record = fault("datanode_out_of_space", "dn05", line)
    tb = 1024**4
    snapshot(
        cluster={"capacity_used_pct": 61.0, "live_datanodes": 6},
        nodes=[
            {
                "host": "dn05",
                "role": "datanode",
                "state": "live",
                "capacity_total_bytes": 4 * tb,
                "capacity_used_non_dfs_bytes": int(1.4 * tb),
                "capacity_used_pct": 97.2,
            }
        ],
    )

    result = diagnose(record)

    non_dfs = cause_titled(result, "Non-HDFS files fill the DataNode disks")
    unbalanced = cause_titled(result, "Data unevenly spread")
    assert non_dfs["confidence"] == 0.7 and unbalanced["confidence"] == 0.6
    assert "35%" in non_dfs["explanation"]
    assert metric_named(result, "capacity used %", "datanode dn05")["verdict"] == "confirms"
    assert result["remediation"][0].startswith("Find and remove non-HDFS files")
    assert result["runbook_script"] == "clean_node_disk.sh"


def test_write_failure_with_live_datanodes_points_at_the_network():
    line = log_line(
        "edge01",
        0,
        "ERROR",
        "org.apache.hadoop.hdfs.DataStreamer",
        "org.apache.hadoop.ipc.RemoteException(java.io.IOException): File /tmp/etl/part-0 could "
        "only be written to 0 of the 1 minReplication nodes. There are 3 datanode(s) running and "
        "3 node(s) are excluded in this operation.",
    )
    record = fault("hdfs_write_no_datanodes", "", line)
    snapshot(cluster={"live_datanodes": 3, "capacity_used_pct": 40.0})

    result = diagnose(record)

    top = result["probable_causes"][0]
    assert top["title"].startswith("The client cannot reach the DataNodes' transfer port")
    assert top["confidence"] == 0.75
    assert cause_titled(result, "HDFS is full") is None
    assert "nc -zv" in result["remediation"][0]


def test_write_failure_during_safe_mode_is_put_on_the_cluster_level_fault():
    safe = fault("namenode_safemode", "", seconds=-60, last_seconds=120)
    line = log_line(
        "edge01",
        0,
        "ERROR",
        "org.apache.hadoop.hdfs.DataStreamer",
        "File /tmp/a could only be written to 0 of the 1 minReplication nodes. There are 0 "
        "datanode(s) running and 0 node(s) are excluded in this operation.",
    )
    record = fault("hdfs_write_no_datanodes", "edge01", line)
    snapshot(cluster={"live_datanodes": 0, "safe_mode": True})

    result = diagnose(record)

    upstream = cause_titled(result, "A cluster-level fault: NameNode in safe mode")
    assert upstream is not None and upstream["confidence"] == 0.75
    assert f"fault #{safe.pk}" in upstream["explanation"]
    assert cause_titled(result, "No live DataNode")["confidence"] == 0.85
    assert metric_named(result, "NumLiveDataNodes")["verdict"] == "confirms"


def test_missing_blocks_with_dead_datanodes():
    line = log_line(
        "edge02",
        0,
        "WARN",
        "org.apache.hadoop.hdfs.DFSClient",
        "Could not obtain block: BP-526805057-10.0.0.5-1411980876842:blk_1073741825_1001 "
        "file=/data/events/2026/11/28/part-00000",
        trace="org.apache.hadoop.hdfs.BlockMissingException: Could not obtain block: "
        "BP-526805057-10.0.0.5-1411980876842:blk_1073741825_1001",
    )
    record = fault("hdfs_block_missing", "", line)
    snapshot(cluster={"missing_blocks": 12, "dead_datanodes": 2, "corrupt_blocks": 0})

    result = diagnose(record)

    assert metric_named(result, "MissingBlocks")["verdict"] == "confirms"
    dead = cause_titled(result, "The replicas sit on dead DataNodes")
    assert dead["confidence"] == 0.7
    catalogue = cause_titled(result, "HDFS block missing (no replica readable)")
    # MissingBlocks and NumDeadDataNodes confirm; the narrower cause still ranks first.
    assert catalogue["confidence"] == 0.65
    # The block pool id embeds an IP: it is not taken for a host.
    assert result["evidence"]["related_faults"] == []


def test_missing_blocks_gone_from_the_snapshot_lower_the_confidence():
    line = log_line(
        "edge02",
        0,
        "WARN",
        "org.apache.hadoop.hdfs.DFSClient",
        "org.apache.hadoop.hdfs.BlockMissingException: Could not obtain block: "
        "BP-1-10.0.0.5-1:blk_1_1 file=/x",
    )
    record = fault("hdfs_block_missing", "", line)
    snapshot(cluster={"missing_blocks": 0, "dead_datanodes": 0})

    result = diagnose(record)

    catalogue = cause_titled(result, "HDFS block missing (no replica readable)")
    assert catalogue["confidence"] == 0.35  # MissingBlocks = 0 contradicts: recovered since
    assert "no longer shows it" in result["summary"]


def test_a_stale_snapshot_weighs_less():
    line = log_line(
        "edge02",
        0,
        "WARN",
        "org.apache.hadoop.hdfs.DFSClient",
        "org.apache.hadoop.hdfs.BlockMissingException: Could not obtain block: x",
    )
    record = fault("hdfs_block_missing", "", line)
    snapshot(cluster={"missing_blocks": 12}, age=timedelta(hours=2))

    result = diagnose(record)

    catalogue = cause_titled(result, "HDFS block missing (no replica readable)")
    assert catalogue["confidence"] == 0.55  # half the weight of a fresh confirmation
    assert result["evidence"]["cluster_snapshot"]["stale"] is True
    assert "The cluster snapshot is 120 min old." in result["summary"]


def test_out_of_memory_for_native_threads_is_the_process_limit():
    line = log_line(
        "dn04",
        0,
        "FATAL",
        "org.apache.hadoop.yarn.server.nodemanager.NodeManager",
        "Error starting NodeManager",
        trace="java.lang.OutOfMemoryError: unable to create new native thread\n"
        "\tat java.lang.Thread.start0(Native Method)",
    )
    record = fault("jvm_out_of_memory", "dn04", line)

    result = diagnose(record)

    top = result["probable_causes"][0]
    assert top["title"] == "The process/thread limit (nproc) was reached, not the heap"
    assert top["confidence"] == 0.8
    assert result["remediation"][0].startswith("Raise nproc")
    assert "No cluster status snapshot was available." in result["summary"]


def test_container_over_physical_memory_shows_its_usage():
    line = log_line(
        "dn06",
        0,
        "WARN",
        "org.apache.hadoop.yarn.server.nodemanager.containermanager.monitor.ContainersMonitorImpl",
        "Container [pid=4242,containerID=container_e07_1700000000000_0042_01_000007] is running "
        "180355072B beyond the 'PHYSICAL' memory limit. Current usage: 2.2 GB of 2 GB physical "
        "memory used; 3.9 GB of 4.2 GB virtual memory used. Killing container.",
    )
    record = fault("container_killed_pmem", "dn06", line)

    result = diagnose(record)

    cited = lines_cited(result, "beyond the 'PHYSICAL' memory limit")
    assert any("container physical memory: 2.2 GB" in line["why"] for line in cited)
    top = result["probable_causes"][0]
    assert top["fault_type"] == "container_killed_pmem"
    assert "2.2 GB" in top["explanation"] and "2 GB" in top["explanation"]
    assert any("mapreduce.map/reduce.memory.mb" in s for s in result["remediation"])


def test_connection_refused_to_an_unset_resourcemanager_address():
    line = log_line(
        "client01",
        0,
        "WARN",
        "org.apache.hadoop.ipc.Client",
        "Call From client01/10.0.0.50 to 0.0.0.0:8032 failed on connection exception: "
        "java.net.ConnectException: Connection refused; For more details see:  "
        "http://wiki.apache.org/hadoop/ConnectionRefused",
    )
    record = fault("rpc_connection_refused", "client01", line)
    snapshot(
        cluster={"nodemanagers_total": 4},
        nodes=[{"host": "rm01", "role": "resourcemanager", "state": "active"}],
    )

    result = diagnose(record)

    top = result["probable_causes"][0]
    assert top["title"] == "The client has no ResourceManager address configured"
    assert top["confidence"] == 0.85
    client_side = cause_titled(result, "The client's configuration")
    assert client_side is not None  # the RM answers the collector: not a dead daemon


def test_connection_refused_while_the_namenode_is_down():
    line = log_line(
        "dn01",
        0,
        "WARN",
        "org.apache.hadoop.ipc.Client",
        "Call From dn01/10.0.0.11 to nn01.example.com:8020 failed on connection exception: "
        "java.net.ConnectException: Connection refused; For more details see:  "
        "http://wiki.apache.org/hadoop/ConnectionRefused",
    )
    record = fault("rpc_connection_refused", "dn01", line)
    snapshot(
        cluster={"state": "critical"},
        nodes=[
            {
                "host": "nn01.example.com",
                "role": "namenode",
                "state": "unreachable",
                "reachable": False,
                "error": "NameNode unreachable: connection refused",
            }
        ],
    )

    result = diagnose(record)

    top = result["probable_causes"][0]
    assert top["title"] == "The NameNode on nn01.example.com is down"
    assert metric_named(result, "reachable")["verdict"] == "confirms"
    assert cause_titled(result, "The client's configuration") is None


def test_nodemanager_lost_with_its_state():
    line = log_line(
        "rm01",
        0,
        "INFO",
        "org.apache.hadoop.yarn.util.AbstractLivelinessMonitor",
        "Expired:dn07.example.com:45454 Timed out after 600 secs",
    )
    record = fault("nodemanager_lost", "rm01", line)
    snapshot(
        cluster={"nodemanagers_lost": 1, "nodemanagers_active": 5},
        nodes=[{"host": "dn07.example.com", "role": "nodemanager", "state": "LOST"}],
    )

    result = diagnose(record)

    top = result["probable_causes"][0]
    assert top["title"] == "NodeManager lost (heartbeat expired): one of its usual causes"
    assert top["confidence"] == 0.7
    assert metric_named(result, "lostNodes")["verdict"] == "confirms"
    assert metric_named(result, "state", "nodemanager dn07.example.com")["value"] == "LOST"
    assert result["runbook_script"] == "restart_nodemanager.sh"


def test_nodemanager_unhealthy_because_its_disk_is_full():
    line = log_line(
        "rm01",
        0,
        "INFO",
        "org.apache.hadoop.yarn.server.resourcemanager.rmnode.RMNodeImpl",
        "Node dn05.example.com:45454 reported UNHEALTHY with details: 1/1 local-dirs are bad: "
        "/hadoop/yarn/local; 1/1 log-dirs are bad: /hadoop/yarn/log",
    )
    record = fault("nodemanager_unhealthy_disks", "rm01", line)
    snapshot(
        cluster={"nodemanagers_unhealthy": 1},
        nodes=[
            {
                "host": "dn05.example.com",
                "role": "nodemanager",
                "state": "UNHEALTHY",
                "health_report": "1/1 local-dirs usable space is below configured utilization "
                "percentage/no more usable space",
            },
            {"host": "dn05.example.com", "role": "host", "disk_used_pct": 96.0},
        ],
    )

    result = diagnose(record)

    top = result["probable_causes"][0]
    assert top["title"] == "YARN local/log directories full"
    assert "96 %" in top["explanation"]
    assert metric_named(result, "healthReport")["verdict"] == "context"
    assert result["remediation"][0].startswith("On dn05.example.com find the big directories")


def test_pipeline_failure_on_a_small_cluster():
    line = log_line(
        "edge01",
        0,
        "WARN",
        "org.apache.hadoop.hdfs.DataStreamer",
        "DataStreamer Exception",
        trace="java.io.IOException: Failed to replace a bad datanode on the existing pipeline "
        "due to no more good datanodes being available to try. (Nodes: "
        "current=[DatanodeInfoWithStorage[10.0.0.11:9866,DS-1,DISK]], "
        "original=[DatanodeInfoWithStorage[10.0.0.11:9866,DS-1,DISK]]).",
    )
    record = fault("hdfs_pipeline_failure", "edge01", line)
    snapshot(cluster={"live_datanodes": 3})

    result = diagnose(record)

    top = result["probable_causes"][0]
    assert top["title"] == "Too few DataNodes for the replication factor"
    assert "replace-datanode-on-failure.policy=NEVER" in result["remediation"][0]


def test_too_many_open_files_with_the_default_limit():
    line = log_line(
        "dn08",
        0,
        "ERROR",
        DN,
        "dn08:9866:DataXceiverServer: IOException",
        trace="java.io.IOException: Too many open files",
    )
    record = fault("too_many_open_files", "dn08", line)
    snapshot(
        cluster={"live_datanodes": 8},
        nodes=[
            {
                "host": "dn08",
                "role": "datanode",
                "state": "live",
                "details": {"OpenFileDescriptorCount": 1019, "MaxFileDescriptorCount": 1024},
            }
        ],
    )

    result = diagnose(record)

    top = result["probable_causes"][0]
    assert top["title"] == "The open-file limit is too low"
    assert metric_named(result, "OpenFileDescriptorCount/Max")["verdict"] == "confirms"


def test_an_unclassified_error_gets_a_low_confidence_and_its_lines():
    line = log_line("dn09", 0, "ERROR", "com.example.Custom", "Widget frobnication failed: code 17")
    log_line("dn09", -30, "ERROR", "com.example.Custom", "Widget queue stalled")
    record = fault("unclassified", "dn09", line)

    result = diagnose(record)

    assert result["probable_causes"][0]["confidence"] == 0.2
    assert lines_cited(result, "Widget queue stalled")[0]["why"].startswith("ERROR on dn09 30 s")
    assert result["runbook_script"] is None


# --- excerpts -------------------------------------------------------------------------------------


def test_an_excerpt_with_a_pause_and_an_expiry_is_read_as_one_story():
    excerpt = (
        "2026-11-28 10:14:05,311 WARN org.apache.hadoop.util.JvmPauseMonitor: Detected pause in "
        "JVM or host machine (eg GC): pause of approximately 48211ms\n"
        "GC pool 'G1 Old Generation' had collection(s): count=1 time=48002ms\n"
        "2026-11-28 10:14:06,002 INFO org.apache.zookeeper.ClientCnxn: Client session timed out\n"
        "2026-11-28 10:14:06,120 INFO org.apache.hadoop.ha.ActiveStandbyElector: Session "
        "expired. Entering neutral mode and rejoining...\n"
    )
    result = rules_diagnose(context_for_excerpt(log_text=excerpt, host="nn01"))

    assert result["subject"]["kind"] == "log_text"
    assert result["subject"]["fault_type"] == "ha_zk_session_expired"
    assert result["subject"]["fault_types"] == ["jvm_long_pause", "ha_zk_session_expired"]
    top = result["probable_causes"][0]
    assert top["title"] == "Long JVM or host pause (GC) shortly before"
    assert "1 s before the fault" in top["explanation"]
    assert cause_titled(result, "A long garbage collection") is not None


def test_an_excerpt_that_matches_nothing_says_so():
    excerpt = "2026-11-28 10:14:05,311 ERROR com.example.App: the widget exploded\n"
    result = rules_diagnose(context_for_excerpt(log_text=excerpt, host=""))
    assert result["subject"]["fault_types"] == []
    assert result["probable_causes"][0]["title"] == "No known fault signature"
    assert lines_cited(result, "the widget exploded")
