"""preprocess_log on real Hadoop 2.x/3.x line shapes, and stack traces folded into their event."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from logs.parsing import attach_continuations, preprocess_log

SAMPLES = Path(__file__).parent / "samples"


def parse(line: str, **kwargs):
    kwargs.setdefault("time_zone", "UTC")
    return preprocess_log(line, host="dn03", logtype="hadoop", **kwargs)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# (line, log_time, level, component, thread, message)
LAYOUTS = [
    # Hadoop daemon layout, %d{ISO8601} %p %c: %m  (NameNode, DataNode, RM, NM)
    (
        "2026-11-28 10:15:32,123 INFO org.apache.hadoop.hdfs.server.datanode.DataNode: "
        "Receiving BP-1473820740-10.0.0.2-1764324000000:blk_1074841215_80377 "
        "src: /10.0.0.234:60210 dest: /10.0.3.68:9866",
        utc(2026, 11, 28, 10, 15, 32, 123000),
        "INFO",
        "org.apache.hadoop.hdfs.server.datanode.DataNode",
        "",
        "Receiving BP-1473820740-10.0.0.2-1764324000000:blk_1074841215_80377 "
        "src: /10.0.0.234:60210 dest: /10.0.3.68:9866",
    ),
    (
        "2026-11-28 10:15:34,517 FATAL org.apache.hadoop.hdfs.server.namenode.NameNode: "
        "Failed to start namenode.",
        utc(2026, 11, 28, 10, 15, 34, 517000),
        "FATAL",
        "org.apache.hadoop.hdfs.server.namenode.NameNode",
        "",
        "Failed to start namenode.",
    ),
    # the audit logger: a category with a lower-case last part, tab-separated message
    (
        "2026-11-28 10:00:00,067 INFO org.apache.hadoop.hdfs.server.namenode.FSNamesystem.audit: "
        "allowed=true\tugi=etl (auth:SIMPLE)\tip=/10.0.3.35\tcmd=open\t"
        "src=/data/raw/clickstream/2026/11/28/events-49051\tdst=null\tperm=null\tproto=rpc",
        utc(2026, 11, 28, 10, 0, 0, 67000),
        "INFO",
        "org.apache.hadoop.hdfs.server.namenode.FSNamesystem.audit",
        "",
        "allowed=true\tugi=etl (auth:SIMPLE)\tip=/10.0.3.35\tcmd=open\t"
        "src=/data/raw/clickstream/2026/11/28/events-49051\tdst=null\tperm=null\tproto=rpc",
    ),
    # a logger without a package, as BlockStateChange is
    (
        "2026-11-28 10:00:00,010 INFO BlockStateChange: BLOCK* addStoredBlock: 10.0.2.109:9866 "
        "is added to blk_1080215585_76238 (size=94196817)",
        utc(2026, 11, 28, 10, 0, 0, 10000),
        "INFO",
        "BlockStateChange",
        "",
        "BLOCK* addStoredBlock: 10.0.2.109:9866 is added to blk_1080215585_76238 (size=94196817)",
    ),
    # %-5p padding (two spaces after INFO) and WARNING spelled out
    (
        "2026-11-28 10:15:32,481 INFO  org.apache.hadoop.yarn.server.resourcemanager."
        "ResourceManager: Transitioned to active state",
        utc(2026, 11, 28, 10, 15, 32, 481000),
        "INFO",
        "org.apache.hadoop.yarn.server.resourcemanager.ResourceManager",
        "",
        "Transitioned to active state",
    ),
    (
        "2026-11-28 10:15:32,481 WARNING org.apache.hadoop.hdfs.server.blockmanagement."
        "BlockPlacementPolicy: Failed to place enough replicas, still in need of 1 to reach 3",
        utc(2026, 11, 28, 10, 15, 32, 481000),
        "WARN",
        "org.apache.hadoop.hdfs.server.blockmanagement.BlockPlacementPolicy",
        "",
        "Failed to place enough replicas, still in need of 1 to reach 3",
    ),
    # MapReduce / YARN container layout %d{ISO8601} %p [%t] %c: %m
    (
        "2026-11-28 10:16:01,552 INFO [main] org.apache.hadoop.mapred.MapTask: Processing split: "
        "hdfs://nn01:8020/data/raw/clickstream/2026/11/28/events-00042:0+134217728",
        utc(2026, 11, 28, 10, 16, 1, 552000),
        "INFO",
        "org.apache.hadoop.mapred.MapTask",
        "main",
        "Processing split: hdfs://nn01:8020/data/raw/clickstream/2026/11/28/events-00042:0+134217728",
    ),
    (
        "2026-11-28 10:00:00,003 INFO [IPC Server handler 7 on 45123] org.apache.hadoop.mapreduce."
        "v2.app.job.impl.TaskAttemptImpl: attempt_1764324000000_8864_r_000406_0 TaskAttempt "
        "Transitioned from UNASSIGNED to ASSIGNED",
        utc(2026, 11, 28, 10, 0, 0, 3000),
        "INFO",
        "org.apache.hadoop.mapreduce.v2.app.job.impl.TaskAttemptImpl",
        "IPC Server handler 7 on 45123",
        "attempt_1764324000000_8864_r_000406_0 TaskAttempt Transitioned from UNASSIGNED to "
        "ASSIGNED",
    ),
    (
        "2026-11-28 10:00:00,452 WARN [LeaseRenewer:etl@nn01:8020] org.apache.hadoop.hdfs."
        "LeaseRenewer: Failed to renew lease for [DFSClient_NONMAPREDUCE_950736649_1] for "
        "130 seconds.  Will retry shortly ...",
        utc(2026, 11, 28, 10, 0, 0, 452000),
        "WARN",
        "org.apache.hadoop.hdfs.LeaseRenewer",
        "LeaseRenewer:etl@nn01:8020",
        "Failed to renew lease for [DFSClient_NONMAPREDUCE_950736649_1] for 130 seconds.  "
        "Will retry shortly ...",
    ),
    # a DataNode thread name that holds brackets and colons itself
    (
        "2026-11-28 10:17:45,001 ERROR [DataXceiver for client "
        "DFSClient_NONMAPREDUCE_-1193611183_1 at /10.0.2.41:55369 "
        "[Receiving block BP-1473820693-10.0.0.2-1764324000000:"
        "blk_1079024573_3628]] org.apache.hadoop.hdfs.server.datanode.DataNode: "
        "dn03:9866:DataXceiver error processing WRITE_BLOCK operation",
        utc(2026, 11, 28, 10, 17, 45, 1000),
        "ERROR",
        "org.apache.hadoop.hdfs.server.datanode.DataNode",
        "DataXceiver for client DFSClient_NONMAPREDUCE_-1193611183_1 at /10.0.2.41:55369 "
        "[Receiving block BP-1473820693-10.0.0.2-1764324000000:blk_1079024573_3628]",
        "dn03:9866:DataXceiver error processing WRITE_BLOCK operation",
    ),
    # log4j2's ISO8601 with a T (Hive, Hadoop 3.5) and %5p right-padding
    (
        "2026-11-28T10:15:32,123  INFO [main] conf.HiveConf: Found configuration file "
        "file:/etc/hive/conf/hive-site.xml",
        utc(2026, 11, 28, 10, 15, 32, 123000),
        "INFO",
        "conf.HiveConf",
        "main",
        "Found configuration file file:/etc/hive/conf/hive-site.xml",
    ),
    # the older yyMMdd HHmmss pid LEVEL class: message
    (
        "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block "
        "blk_38865049064139660 terminating",
        utc(2008, 11, 9, 20, 36, 15),
        "INFO",
        "dfs.DataNode$PacketResponder",
        "148",
        "PacketResponder 1 for block blk_38865049064139660 terminating",
    ),
    (
        "081111 101621 24902 WARN dfs.DataNode$DataXceiver: 10.251.194.213:50010:Got exception "
        "while serving blk_-7724713468912166542 to /10.251.203.80:",
        utc(2008, 11, 11, 10, 16, 21),
        "WARN",
        "dfs.DataNode$DataXceiver",
        "24902",
        "10.251.194.213:50010:Got exception while serving blk_-7724713468912166542 to "
        "/10.251.203.80:",
    ),
    # Hadoop's console appender %d{yy/MM/dd HH:mm:ss} %p %c{2}: %m; the message keeps its
    # own leading space (Job progress lines have two after the colon)
    (
        "26/11/28 10:16:10 INFO mapreduce.Job:  map 100% reduce 0%",
        utc(2026, 11, 28, 10, 16, 10),
        "INFO",
        "mapreduce.Job",
        "",
        " map 100% reduce 0%",
    ),
    (
        "26/11/28 10:16:12 ERROR streaming.StreamJob: Job not successful!",
        utc(2026, 11, 28, 10, 16, 12),
        "ERROR",
        "streaming.StreamJob",
        "",
        "Job not successful!",
    ),
    # ZooKeeper, which HA NameNodes and ResourceManagers depend on
    (
        "2026-11-28 10:15:32,123 [myid:1] - INFO  [QuorumPeer[myid=1](plain=0.0.0.0:2181)"
        "(secure=disabled):Follower@75] - FOLLOWING - LEADER ELECTION TOOK - 12 MS",
        utc(2026, 11, 28, 10, 15, 32, 123000),
        "INFO",
        "Follower",
        "QuorumPeer[myid=1](plain=0.0.0.0:2181)(secure=disabled)",
        "FOLLOWING - LEADER ELECTION TOOK - 12 MS",
    ),
]


@pytest.mark.parametrize(("line", "log_time", "level", "component", "thread", "message"), LAYOUTS)
def test_it_parses_each_layout(line, log_time, level, component, thread, message):
    parsed = parse(line)
    assert parsed.log_time == log_time
    assert parsed.level == level
    assert parsed.component == component
    assert parsed.thread == thread
    assert parsed.message == message
    assert parsed.raw == line
    assert not parsed.is_continuation
    assert (parsed.host, parsed.logtype) == ("dn03", "hadoop")


def test_the_message_is_everything_after_the_first_colon_space_untouched():
    line = "2026-11-28 10:00:00,000 INFO org.a.B: key: value:  spaced  <b>&amp;</b> '; DROP --  "
    assert parse(line).message == "key: value:  spaced  <b>&amp;</b> '; DROP --  "


def test_an_empty_message_is_empty():
    assert parse("2026-11-28 10:00:00,000 INFO org.a.B: ").message == ""
    assert parse("2026-11-28 10:00:00,000 INFO org.a.B:").message == ""


@pytest.mark.parametrize(
    ("zone", "line", "expected"),
    [
        (
            "Asia/Shanghai",
            "2026-11-28 10:15:32,123 INFO a.B: x",
            utc(2026, 11, 28, 2, 15, 32, 123000),
        ),
        # summer time (EDT, UTC-4) and winter time (EST, UTC-5) in the same zone
        ("America/New_York", "2026-07-01 12:00:00,000 INFO a.B: x", utc(2026, 7, 1, 16)),
        ("America/New_York", "2026-01-15 12:00:00,000 INFO a.B: x", utc(2026, 1, 15, 17)),
        ("America/New_York", "26/01/15 12:00:00 INFO a.B: x", utc(2026, 1, 15, 17)),
        ("Europe/Berlin", "081109 203615 148 INFO dfs.X: y", utc(2008, 11, 9, 19, 36, 15)),
    ],
)
def test_times_are_read_in_the_cluster_zone_and_returned_in_utc(zone, line, expected):
    assert parse(line, time_zone=zone).log_time == expected


def test_the_zone_defaults_to_the_cluster_time_zone_setting(settings):
    line = "2026-11-28 10:15:32,123 INFO a.B: x"
    settings.CLUSTER_TIME_ZONE = "Asia/Kolkata"  # UTC+5:30
    assert preprocess_log(line, host="h", logtype="t").log_time == utc(
        2026, 11, 28, 4, 45, 32, 123000
    )
    settings.CLUSTER_TIME_ZONE = "UTC"  # the same second again: no stale conversion reused
    assert preprocess_log(line, host="h", logtype="t").log_time == utc(
        2026, 11, 28, 10, 15, 32, 123000
    )


@pytest.mark.parametrize(
    "line",
    [
        "2026-13-01 10:00:00,000 ERROR org.a.B: month thirteen",
        "2026-02-30 10:00:00,000 ERROR org.a.B: no such day",
        "0999-01-01 10:00:00,000 ERROR org.a.B: before MySQL's DATETIME range",
        "9999-12-31 23:59:59,999 ERROR org.a.B: at the end of time",
    ],
)
def test_an_impossible_timestamp_keeps_the_line_without_a_time(line):
    parsed = parse(line, time_zone="America/New_York")
    assert parsed.log_time is None
    assert (parsed.level, parsed.component) == ("ERROR", "org.a.B")


@pytest.mark.parametrize(
    "line",
    [
        "\tat org.apache.hadoop.ipc.Client.call(Client.java:1476)",
        "        at org.apache.hadoop.ipc.Client.call(Client.java:1476)",
        "\t... 12 more",
        "Caused by: java.net.SocketTimeoutException: 60000 millis timeout while waiting for "
        "channel to be ready for read",
        "\tSuppressed: java.io.IOException: Stream closed",
        "java.io.IOException: Premature EOF from inputStream",
        "java.lang.NullPointerException",
        "java.lang.OutOfMemoryError: Java heap space",
        "org.apache.hadoop.ipc.RemoteException(java.io.IOException): File /tmp/x could only be "
        "written to 0 of the 1 minReplication nodes.",
        "org.apache.hadoop.util.ExitUtil$ExitException: java.io.IOException: No FileSystem",
    ],
)
def test_stack_trace_lines_are_continuations(line):
    parsed = parse(line)
    assert parsed.is_continuation
    assert (parsed.level, parsed.log_time, parsed.component) == ("UNKNOWN", None, "")
    assert parsed.message == parsed.raw == line


@pytest.mark.parametrize(
    "line",
    [
        "STARTUP_MSG: Starting NameNode",
        "ulimit -a for user hdfs",
        "core file size          (blocks, -c) 0",
        "<script>alert(1)</script>",
        "2026-11-28 10:15:32,123 NOTICE org.a.B: a level log4j does not have",
        "2026-11-28 10:15:32 INFO no logger here",
        "",
        'Exception in thread "main" is prose, not a class name',
    ],
)
def test_an_unknown_layout_is_kept_raw_as_unknown(line):
    parsed = parse(line)
    assert (parsed.level, parsed.log_time, parsed.component, parsed.thread) == (
        "UNKNOWN",
        None,
        "",
        "",
    )
    assert parsed.message == parsed.raw == line
    assert not parsed.is_continuation


def test_an_overlong_logger_or_thread_is_clipped_to_its_column():
    line = f"2026-11-28 10:00:00,000 INFO [{'t' * 400}] {'c' * 400}: msg"
    parsed = parse(line)
    assert (len(parsed.component), len(parsed.thread), parsed.message) == (255, 255, "msg")


def test_the_ingestion_fields_pass_through():
    received = utc(2026, 11, 28, 11)
    parsed = preprocess_log(
        "x",
        host="h",
        logtype="yarn",
        source_file="/var/log/x.log",
        truncated=True,
        decode_errors=3,
        received_at=received,
    )
    assert (parsed.source_file, parsed.truncated, parsed.decode_errors, parsed.received_at) == (
        "/var/log/x.log",
        True,
        3,
        received,
    )


# A DataNode write failure and a client's DataStreamer failure, with their traces, as a log
# file holds them (one event, its trace lines, the next event).
DATANODE_TRACE = (SAMPLES / "datanode_trace.log").read_text().rstrip("\n")


def test_trace_lines_in_one_request_join_the_event_they_follow():
    lines = DATANODE_TRACE.split("\n")
    rows = attach_continuations([parse(line) for line in lines])
    assert len(rows) == 3
    error, info, warn = rows
    assert error.level == "ERROR" and not error.is_continuation
    assert error.message.startswith("dn03:9866:DataXceiver error processing WRITE_BLOCK")
    assert error.trace == "\n".join(lines[1:7])
    assert error.raw == "\n".join(lines[0:7])
    assert info.trace == "" and info.raw == lines[7]
    assert warn.thread == "DataStreamer for file /tmp/x"
    assert warn.trace.splitlines()[0].startswith("org.apache.hadoop.ipc.RemoteException(")
    assert warn.trace.splitlines()[-1] == "\t... 12 more"
    assert warn.raw == "\n".join(lines[8:])
    # every input line is in exactly one row
    assert sum(row.raw.count("\n") + 1 for row in rows) == len(lines)


def test_a_trace_arriving_alone_is_stored_as_marked_continuations():
    # Flume's sink posts each line alone: each request holds one continuation line.
    for line in DATANODE_TRACE.split("\n")[1:3]:
        (row,) = attach_continuations([parse(line)])
        assert row.is_continuation and row.trace == "" and row.raw == line


def test_a_trace_at_the_start_of_a_batch_groups_under_its_first_line():
    lines = DATANODE_TRACE.split("\n")[1:8]  # header + frames, then the next event
    rows = attach_continuations([parse(line) for line in lines])
    assert [r.is_continuation for r in rows] == [True, False]
    assert rows[0].raw == "\n".join(lines[:6]) and rows[0].trace == "\n".join(lines[1:6])


def test_attached_lines_carry_their_flags_to_the_row():
    head = parse("2026-11-28 10:00:00,000 ERROR a.B: boom")
    frame = parse("\tat a.B.c(B.java:1)", truncated=True, decode_errors=2)
    (row,) = attach_continuations([head, frame])
    assert row.truncated and row.decode_errors == 2


def test_a_huge_trace_is_split_into_bounded_rows():
    from logs.parsing import MAX_TRACE_CHARS

    frame = "\tat " + "x" * 1000
    count = 3 * MAX_TRACE_CHARS // len(frame)
    rows = attach_continuations(
        [parse("2026-11-28 10:00:00,000 ERROR a.B: deep")] + [parse(frame) for _ in range(count)]
    )
    assert 3 <= len(rows) <= 5
    assert all(len(r.raw) <= MAX_TRACE_CHARS + len(frame) + 1 for r in rows)
    assert sum(r.raw.count("\n") + 1 for r in rows) == count + 1
    assert all(r.is_continuation for r in rows[1:])
