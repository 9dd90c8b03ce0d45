"""Every layout issue 13 lists, read by preprocess_log's built-ins; real ConversionPatterns from
Hadoop distributions' log4j.properties read as operator layouts (logs/layouts.py, on RE2); the
patterns that cannot be read, refused with the part named; `add_log_layout`.

The patterns and their sources are copied in docs/layouts.md (a test below keeps it true).
"""

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from logs import layout_cache
from logs.layouts import LayoutError, LayoutSet, compile_layout
from logs.models import LogLayout
from logs.parsing import preprocess_log

REPO = Path(__file__).resolve().parents[2]
DOCS = (REPO / "docs" / "layouts.md").read_text()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def parse(line: str, **kwargs):
    kwargs.setdefault("time_zone", "UTC")
    return preprocess_log(line, host="nn01", logtype="hadoop", **kwargs)


def fields(parsed) -> tuple:
    return (
        parsed.log_time,
        parsed.level,
        parsed.component,
        parsed.thread,
        parsed.code_file,
        parsed.code_line,
        parsed.message,
    )


# (what, line, (log_time, level, component, thread, code_file, code_line, message))
BUILT_IN = [
    (
        "HDP/Ambari  %d{ISO8601} %-5p [%t] %c{2} (%F:%M(%L)) - %m%n",
        "2026-11-28 10:15:34,517 ERROR [main] namenode.NameNode (NameNode.java:main(1774)) - "
        "Failed to start namenode.",
        (
            utc(2026, 11, 28, 10, 15, 34, 517000),
            "ERROR",
            "namenode.NameNode",
            "main",
            "NameNode.java",
            1774,
            "Failed to start namenode.",
        ),
    ),
    (
        "HDP/Ambari, a thread with spaces and a constructor",
        "2026-11-28 10:15:33,002 WARN  [IPC Server handler 3 on 8020] namenode.FSNamesystem "
        "(FSNamesystem.java:<init>(765)) - fsLock is fair: true - and a dash (in the message)",
        (
            utc(2026, 11, 28, 10, 15, 33, 2000),
            "WARN",
            "namenode.FSNamesystem",
            "IPC Server handler 3 on 8020",
            "FSNamesystem.java",
            765,
            "fsLock is fair: true - and a dash (in the message)",
        ),
    ),
    (
        "Ambari's hdfs-log4j RFA, no thread  %d{ISO8601} %-5p %c{2} (%F:%M(%L)) - %m%n",
        "2026-11-28 10:15:32,871 INFO  blockmanagement.BlockManager "
        "(BlockManager.java:processReport(2184)) - BLOCK* processReport 0x1b2ad9e0b5a4: from "
        "storage DS-4d1e node DatanodeRegistration(10.0.3.68:50010), blocks: 12",
        (
            utc(2026, 11, 28, 10, 15, 32, 871000),
            "INFO",
            "blockmanagement.BlockManager",
            "",
            "BlockManager.java",
            2184,
            "BLOCK* processReport 0x1b2ad9e0b5a4: from storage DS-4d1e node "
            "DatanodeRegistration(10.0.3.68:50010), blocks: 12",
        ),
    ),
    (
        "HDP/Ambari without location information: log4j writes ?",
        "2026-11-28 10:15:32,871 INFO  [main] hdfs.StateChange (?:?(?)) - STATE* Safe mode ON.",
        (
            utc(2026, 11, 28, 10, 15, 32, 871000),
            "INFO",
            "hdfs.StateChange",
            "main",
            "",
            None,
            "STATE* Safe mode ON.",
        ),
    ),
    (
        "Ambari's overridden RFA  %d{ISO8601} %-5p %c{2} - %m%n",
        "2026-11-28 10:15:32,871 INFO  datanode.DataNode - STARTUP_MSG: Starting DataNode",
        (
            utc(2026, 11, 28, 10, 15, 32, 871000),
            "INFO",
            "datanode.DataNode",
            "",
            "",
            None,
            "STARTUP_MSG: Starting DataNode",
        ),
    ),
    (
        "the Hadoop docker image  %d{yyyy-MM-dd HH:mm:ss} %-5p %c{1}:%L - %m%n",
        "2026-11-28 10:15:32 INFO  DataNode:420 - Starting DataNode with maxLockedMemory = 0",
        (
            utc(2026, 11, 28, 10, 15, 32),
            "INFO",
            "DataNode",
            "",
            "",
            420,
            "Starting DataNode with maxLockedMemory = 0",
        ),
    ),
    (
        "the docker image, a WARN",
        "2026-11-28 10:15:33 WARN  NativeCodeLoader:62 - Unable to load native-hadoop library "
        "for your platform... using builtin-java classes where applicable",
        (
            utc(2026, 11, 28, 10, 15, 33),
            "WARN",
            "NativeCodeLoader",
            "",
            "",
            62,
            "Unable to load native-hadoop library for your platform... using builtin-java "
            "classes where applicable",
        ),
    ),
    (
        "Cloudera Manager's server  %d{ISO8601} %p %t:%c: %m%n",
        "2017-05-12 01:54:06,803 INFO WebServerImpl:com.cloudera.server.cmf.WebServerImpl: "
        "Started Jetty server.",
        (
            utc(2017, 5, 12, 1, 54, 6, 803000),
            "INFO",
            "com.cloudera.server.cmf.WebServerImpl",
            "WebServerImpl",
            "",
            None,
            "Started Jetty server.",
        ),
    ),
    (
        "Cloudera Manager's server, main thread, a message with colons",
        "2017-05-12 01:52:42,200 INFO main:com.cloudera.server.cmf.Main: Starting SCM Server. "
        "JVM Args: [-Dlog4j.configuration=file:/etc/cloudera-scm-server/log4j.properties]",
        (
            utc(2017, 5, 12, 1, 52, 42, 200000),
            "INFO",
            "com.cloudera.server.cmf.Main",
            "main",
            "",
            None,
            "Starting SCM Server. JVM Args: "
            "[-Dlog4j.configuration=file:/etc/cloudera-scm-server/log4j.properties]",
        ),
    ),
    (
        "Cloudera Manager's roles: Hadoop's default  %d{ISO8601} %p %c: %m%n",
        "2026-11-28 10:15:32,481 ERROR org.apache.hadoop.hdfs.server.datanode.DataNode: "
        "Initialization failed for Block pool <registering> (Datanode Uuid unassigned)",
        (
            utc(2026, 11, 28, 10, 15, 32, 481000),
            "ERROR",
            "org.apache.hadoop.hdfs.server.datanode.DataNode",
            "",
            "",
            None,
            "Initialization failed for Block pool <registering> (Datanode Uuid unassigned)",
        ),
    ),
    (
        "Hadoop's console layout  %d{yy/MM/dd HH:mm:ss} %p %c{2}: %m%n",
        "26/11/28 10:15:40 INFO client.RMProxy: Connecting to ResourceManager at "
        "rm01/10.0.0.3:8032",
        (
            utc(2026, 11, 28, 10, 15, 40),
            "INFO",
            "client.RMProxy",
            "",
            "",
            None,
            "Connecting to ResourceManager at rm01/10.0.0.3:8032",
        ),
    ),
    (
        "HDFS audit log  %d{ISO8601} %p %c{2}: %m%n",
        "2026-11-28 10:00:00,067 INFO FSNamesystem.audit: allowed=true\tugi=etl (auth:SIMPLE)\t"
        "ip=/10.0.3.35\tcmd=open\tsrc=/data/raw/events-49051\tdst=null\tperm=null\tproto=rpc",
        (
            utc(2026, 11, 28, 10, 0, 0, 67000),
            "INFO",
            "FSNamesystem.audit",
            "",
            "",
            None,
            "allowed=true\tugi=etl (auth:SIMPLE)\tip=/10.0.3.35\tcmd=open\t"
            "src=/data/raw/events-49051\tdst=null\tperm=null\tproto=rpc",
        ),
    ),
    (
        "YARN ResourceManager audit log, a refused operation (logged at WARN)",
        "2026-11-28 10:16:02,301 WARN resourcemanager.RMAuditLogger: USER=bob\tIP=10.0.3.36\t"
        "OPERATION=Kill Application Request\tTARGET=ClientRMService\tRESULT=FAILURE\t"
        "DESCRIPTION=Unauthorized user\tPERMISSIONS=User bob cannot perform operation "
        "MODIFY_APP on application_1764324000000_8864\tAPPID=application_1764324000000_8864",
        (
            utc(2026, 11, 28, 10, 16, 2, 301000),
            "WARN",
            "resourcemanager.RMAuditLogger",
            "",
            "",
            None,
            "USER=bob\tIP=10.0.3.36\tOPERATION=Kill Application Request\tTARGET=ClientRMService"
            "\tRESULT=FAILURE\tDESCRIPTION=Unauthorized user\tPERMISSIONS=User bob cannot "
            "perform operation MODIFY_APP on application_1764324000000_8864\t"
            "APPID=application_1764324000000_8864",
        ),
    ),
    (
        "YARN NodeManager audit log, an operation holding ' - '",
        "2026-11-28 10:16:40,552 INFO nodemanager.NMAuditLogger: USER=etl\tOPERATION=Container "
        "Finished - Succeeded\tTARGET=ContainerImpl\tRESULT=SUCCESS\t"
        "APPID=application_1764324000000_8864\t"
        "CONTAINERID=container_1764324000000_8864_01_000002",
        (
            utc(2026, 11, 28, 10, 16, 40, 552000),
            "INFO",
            "nodemanager.NMAuditLogger",
            "",
            "",
            None,
            "USER=etl\tOPERATION=Container Finished - Succeeded\tTARGET=ContainerImpl\t"
            "RESULT=SUCCESS\tAPPID=application_1764324000000_8864\t"
            "CONTAINERID=container_1764324000000_8864_01_000002",
        ),
    ),
    (
        "MapReduce / YARN container  %d{ISO8601} %p [%t] %c: %m%n",
        "2026-11-28 10:16:05,873 INFO [AsyncDispatcher event handler] org.apache.hadoop."
        "mapreduce.v2.app.job.impl.JobImpl: job_1764324000000_8864Job Transitioned from "
        "INITED to SETUP",
        (
            utc(2026, 11, 28, 10, 16, 5, 873000),
            "INFO",
            "org.apache.hadoop.mapreduce.v2.app.job.impl.JobImpl",
            "AsyncDispatcher event handler",
            "",
            None,
            "job_1764324000000_8864Job Transitioned from INITED to SETUP",
        ),
    ),
    (
        "Ambari's ZooKeeper  %d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n",
        "2026-11-28 10:15:32,123 - INFO  [main:QuorumPeerConfig@136] - Reading configuration "
        "from: /etc/zookeeper/conf/zoo.cfg",
        (
            utc(2026, 11, 28, 10, 15, 32, 123000),
            "INFO",
            "QuorumPeerConfig",
            "main",
            "",
            136,
            "Reading configuration from: /etc/zookeeper/conf/zoo.cfg",
        ),
    ),
    (
        "Apache ZooKeeper  %d{ISO8601} [myid:%X{myid}] - %-5p [%t:%C{1}@%L] - %m%n",
        "2026-11-28 10:15:32,123 [myid:1] - WARN  [QuorumPeer[myid=1](plain=0.0.0.0:2181)"
        "(secure=disabled):Follower@129] - Exception when following the leader",
        (
            utc(2026, 11, 28, 10, 15, 32, 123000),
            "WARN",
            "Follower",
            "QuorumPeer[myid=1](plain=0.0.0.0:2181)(secure=disabled)",
            "",
            129,
            "Exception when following the leader",
        ),
    ),
    (
        "Ambari server  %d{ISO8601} %5p [%t] %c{1}:%L - %m%n",
        "2026-11-28 10:15:32,123 ERROR [main] AmbariServer:1120 - Failed to run the Ambari Server",
        (
            utc(2026, 11, 28, 10, 15, 32, 123000),
            "ERROR",
            "AmbariServer",
            "main",
            "",
            1120,
            "Failed to run the Ambari Server",
        ),
    ),
    (
        "Oozie  %d{ISO8601} %5p %c{1}:%L - %m%n (right-padded level)",
        "2026-11-28 10:15:32,123  WARN CallableQueueService:523 - SERVER[oozie01] queue full",
        (
            utc(2026, 11, 28, 10, 15, 32, 123000),
            "WARN",
            "CallableQueueService",
            "",
            "",
            523,
            "SERVER[oozie01] queue full",
        ),
    ),
]


@pytest.mark.parametrize(("what", "line", "expected"), BUILT_IN, ids=[b[0] for b in BUILT_IN])
def test_built_in_layouts_keep_time_level_logger_thread_file_and_line(what, line, expected):
    parsed = parse(line)
    assert fields(parsed) == expected
    assert parsed.raw == line and not parsed.is_continuation


def test_the_docker_layout_no_longer_keeps_the_line_number_in_the_message():
    parsed = parse("2026-11-28 10:15:32 INFO  DataNode:420 - msg")
    assert parsed.message == "msg" and parsed.code_line == 420


# Real ConversionPatterns of Hadoop distributions, each with a line written in it and what
# the portal must read from that line. (pattern, source, line, expected fields)
REAL_PATTERNS = [
    (
        "%d{ISO8601} %-5p %c{2} (%F:%M(%L)) - %m%n",
        "apache/ambari common-services/HDFS/2.1.0.2.0/configuration/hdfs-log4j.xml (RFA)",
        "2026-11-28 10:15:34,517 FATAL namenode.NameNode (NameNode.java:main(1774)) - "
        "Failed to start namenode.",
        (
            utc(2026, 11, 28, 10, 15, 34, 517000),
            "FATAL",
            "namenode.NameNode",
            "",
            "NameNode.java",
            1774,
            "Failed to start namenode.",
        ),
    ),
    (
        "%d{ISO8601} %p [%t] %c: %m%n",
        "apache/bigtop bigtop-deploy/puppet/modules/hadoop/files/log4j.properties (CLA)",
        "2026-11-28 10:16:01,552 INFO [main] org.apache.hadoop.mapred.MapTask: Processing split: "
        "hdfs://nn01:8020/data/raw/events-00042:0+134217728",
        (
            utc(2026, 11, 28, 10, 16, 1, 552000),
            "INFO",
            "org.apache.hadoop.mapred.MapTask",
            "main",
            "",
            None,
            "Processing split: hdfs://nn01:8020/data/raw/events-00042:0+134217728",
        ),
    ),
    (
        "%d{yy/MM/dd HH:mm:ss} %p %c{2}: %m%n",
        "apache/bigtop bigtop-deploy/puppet/modules/hadoop/files/log4j.properties (console)",
        "26/11/28 10:16:12 ERROR streaming.StreamJob: Job not successful!",
        (
            utc(2026, 11, 28, 10, 16, 12),
            "ERROR",
            "streaming.StreamJob",
            "",
            "",
            None,
            "Job not successful!",
        ),
    ),
    (
        "%d{ISO8601} %p %c{2}: %m%n",
        "apache/ambari common-services/YARN/2.1.0.2.0/configuration/yarn-log4j.xml (RMAUDIT)",
        "2026-11-28 10:16:00,114 INFO resourcemanager.RMAuditLogger: USER=etl\tIP=10.0.3.35\t"
        "OPERATION=Submit Application Request\tTARGET=ClientRMService\tRESULT=SUCCESS\t"
        "APPID=application_1764324000000_8864",
        (
            utc(2026, 11, 28, 10, 16, 0, 114000),
            "INFO",
            "resourcemanager.RMAuditLogger",
            "",
            "",
            None,
            "USER=etl\tIP=10.0.3.35\tOPERATION=Submit Application Request\t"
            "TARGET=ClientRMService\tRESULT=SUCCESS\tAPPID=application_1764324000000_8864",
        ),
    ),
    (
        "%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n",
        "apache/ambari common-services/ZOOKEEPER/3.4.5/configuration/zookeeper-log4j.xml",
        "2026-11-28 10:15:32,123 - ERROR [main:QuorumPeerMain@86] - Invalid config, exiting "
        "abnormally",
        (
            utc(2026, 11, 28, 10, 15, 32, 123000),
            "ERROR",
            "QuorumPeerMain",
            "main",
            "",
            86,
            "Invalid config, exiting abnormally",
        ),
    ),
    (
        "%d{ISO8601} - %-5p [%t:%C{1}@%L][%x] - %m%n",
        "apache/ambari common-services/ZOOKEEPER/3.4.5/configuration/zookeeper-log4j.xml "
        "(TRACEFILE)",
        "2026-11-28 10:15:32,123 - TRACE [NIOServerCxn.Factory:0.0.0.0/0.0.0.0:2181:"
        "NIOServerCnxn@1008][] - Closed socket connection for client /10.0.3.35:50322",
        (
            utc(2026, 11, 28, 10, 15, 32, 123000),
            "TRACE",
            "NIOServerCnxn",
            "NIOServerCxn.Factory:0.0.0.0/0.0.0.0:2181",
            "",
            1008,
            "Closed socket connection for client /10.0.3.35:50322",
        ),
    ),
    (
        "[%d] %p %m (%c)%n",
        "apache/ambari common-services/KAFKA/0.8.1/configuration/kafka-log4j.xml",
        "[2026-11-28 10:15:32,123] ERROR [KafkaApi-1] Error when handling request (kafka) "
        "Name: FetchRequest (kafka.server.KafkaApis)",
        (
            utc(2026, 11, 28, 10, 15, 32, 123000),
            "ERROR",
            "kafka.server.KafkaApis",
            "",
            "",
            None,
            "[KafkaApi-1] Error when handling request (kafka) Name: FetchRequest",
        ),
    ),
    (
        "%d{ISO8601} %5p [%t] %c{1}:%L - %m%n",
        "apache/ambari ambari-server/conf/unix/log4j.properties (file)",
        "2026-11-28 10:15:32,123  INFO [main] AmbariServer:1074 - Checking DB store version",
        (
            utc(2026, 11, 28, 10, 15, 32, 123000),
            "INFO",
            "AmbariServer",
            "main",
            "",
            1074,
            "Checking DB store version",
        ),
    ),
    (
        "%d{ISO8601} %5p - %m%n",
        "apache/ambari ambari-server/conf/unix/log4j.properties (dbcheck)",
        "2026-11-28 10:15:32,123 ERROR - Required config(s): hdfs-site is(are) not available",
        (
            utc(2026, 11, 28, 10, 15, 32, 123000),
            "ERROR",
            "",
            "",
            "",
            None,
            "Required config(s): hdfs-site is(are) not available",
        ),
    ),
    (
        "%d{ISO8601} %5p %c{1}:%L - SERVER[oozie01] %m%n",
        "apache/ambari common-services/OOZIE/4.0.0.2.0/configuration/oozie-log4j.xml (oozie; "
        "${oozie.instance.id} pasted as its value)",
        "2026-11-28 10:15:32,123  WARN ActionStartXCommand:523 - SERVER[oozie01] USER[etl] "
        "GROUP[-] Error starting action [mr-node]",
        (
            utc(2026, 11, 28, 10, 15, 32, 123000),
            "WARN",
            "ActionStartXCommand",
            "",
            "",
            523,
            "USER[etl] GROUP[-] Error starting action [mr-node]",
        ),
    ),
]


@pytest.mark.parametrize(
    ("pattern", "source", "line", "expected"), REAL_PATTERNS, ids=[p[0] for p in REAL_PATTERNS]
)
def test_real_distribution_patterns_read_as_operator_layouts(pattern, source, line, expected):
    layout = compile_layout(pattern, name="x")
    read = layout.read(line, "UTC")  # the operator path itself, not a built-in
    assert read is not None
    got = (read.log_time, read.level, read.component, read.thread, read.code_file)
    assert (*got, read.code_line, read.message) == expected
    # and through preprocess_log (a built-in may read it first: same time and level)
    parsed = parse(line, layouts=[layout])
    assert (parsed.log_time, parsed.level) == expected[:2]


@pytest.mark.parametrize(("pattern", "source"), [(p[0], p[1]) for p in REAL_PATTERNS])
def test_docs_layouts_md_copies_each_real_pattern_and_its_source(pattern, source):
    repo, path = source.split()[:2]
    assert f"`{pattern}`" in DOCS
    assert repo in DOCS and path in DOCS


def test_an_operator_layout_reads_lines_in_the_cluster_zone_and_its_own_offsets():
    layout = compile_layout("%d{yyyy-MM-dd'T'HH:mm:ss.SSSZ} %-5p [%t] %c - %m%n")
    line = "2026-11-28T10:15:32.123+0800 ERROR [main] a.B - boom"
    assert parse(line, layouts=[layout], time_zone="UTC").log_time == utc(
        2026, 11, 28, 2, 15, 32, 123000
    )
    layout = compile_layout("%d{dd MMM yyyy HH:mm:ss,SSS} %p %c - %m%n")
    line = "28 Nov 2026 10:15:32,123 INFO a.B - x"
    assert parse(line, layouts=[layout], time_zone="Asia/Shanghai").log_time == utc(
        2026, 11, 28, 2, 15, 32, 123000
    )


@pytest.mark.parametrize(
    ("pattern", "line", "expected"),
    [
        ("%d{ABSOLUTE} %p %m%n", "10:15:32,123 INFO x", ("INFO", None, "", "x")),  # no day
        ("%d{UNIX_MILLIS} %p %c %m%n", "1764324932123 WARN a.B x", ("WARN", 1, "a.B", "x")),
        ("%r [%t] %-5p %c %x - %m%n", "1234 [main] ERROR a.B ndc1 - x",
         ("ERROR", None, "a.B", "x")),
        ("%d %p %X{user} %l - %m%n", "2026-11-28 10:15:32,123 INFO bob a.B.c(B.java:12) - x",
         ("INFO", 1, "a.B", "x")),
        ("%d %.1p %C{1} %M - %m%n", "2026-11-28 10:15:32,123 E B run - x", ("ERROR", 1, "B", "x")),
        ("%date %-5level [%thread] %logger{36} - %msg%n",
         "2026-11-28 10:15:32,123 DEBUG [pool-1-thread-3] o.a.h.Foo - x",
         ("DEBUG", 1, "o.a.h.Foo", "x")),
    ],
)  # fmt: skip
def test_conversion_characters_hadoop_configurations_use(pattern, line, expected):
    parsed = parse(line, layouts=[compile_layout(pattern)])
    level, has_time, component, message = expected
    assert (parsed.level, parsed.component, parsed.message) == (level, component, message)
    assert (parsed.log_time is not None) == bool(has_time)


@pytest.mark.parametrize(
    ("pattern", "named"),
    [
        ("%d{HH:mm:ss} %q %m%n", "%q at character 14: unknown conversion character 'q'"),
        ("%d{yyyy-MM-qq} %p %m%n", "%d{yyyy-MM-qq} at character 1"),
        ("%d %p %c%n%m%n", "%n at character 9"),
        ("%d %c: %m%n", "no %p"),
        ("%d %p %c%n", "no %m"),
        ("%d %p %highlight{%c} %m", "%highlight{…} at character 7"),
        ("%d{ISO8601 %p %m", "not closed"),
        ("%d %p ${LOG_PATTERN} %m", "${LOG_PATTERN} at character 7"),
        ("%d %p %m%", "a % at the end"),
        ("%d{yyyy-MM-dd}{Mars/Olympus} %p %m", "unknown time zone 'Mars/Olympus'"),
        ("", "empty"),
        ("%p %m " + "x" * 1000, "longer than 1000"),
    ],
)
def test_a_pattern_that_cannot_be_read_is_refused_naming_the_part(pattern, named):
    with pytest.raises(LayoutError) as refused:
        compile_layout(pattern)
    assert named in str(refused.value)


@pytest.mark.parametrize(
    "pasted",
    [
        "log4j.appender.RFA.layout.ConversionPattern=%d{ISO8601} %-5p [%t] %c{2}: %m%n",
        "appender.rolling.layout.pattern = %d{ISO8601} %-5p [%t] %c{2}: %m%n",
        '<PatternLayout pattern="%d{ISO8601} %-5p [%t] %c{2}: %m%n"/>',
    ],
)
def test_a_whole_pasted_properties_line_or_xml_element_is_read_for_its_pattern(pasted):
    assert compile_layout(pasted).pattern == "%d{ISO8601} %-5p [%t] %c{2}: %m%n"


def test_built_ins_come_first_then_continuations_then_operator_layouts():
    anything = compile_layout("%m %p%n")  # would read many lines: it must only see leftovers
    default = "2026-11-28 10:00:00,000 INFO a.B: x"
    assert parse(default, layouts=[anything]).component == "a.B"
    frame = "\tat a.B.c(B.java:1) INFO"
    assert parse(frame, layouts=[anything]).is_continuation
    parsed = parse("leftover text INFO", layouts=[anything])
    assert (parsed.level, parsed.message) == ("INFO", "leftover text")


@pytest.mark.parametrize("as_set", [False, True])
def test_operator_layouts_are_tried_in_order(as_set):
    first = compile_layout("[%d] %p %c - %m%n", name="first")
    second = compile_layout("[%d] %p %m%n", name="second")
    other = compile_layout("%d{ISO8601} %p %m%n", name="other")

    def layouts(*items):
        return LayoutSet(items) if as_set else list(items)

    line = "[2026-11-28 10:00:00,000] WARN a.B - x"
    assert parse(line, layouts=layouts(other, first, second)).component == "a.B"
    if as_set:  # the same when RE2's set is past its memory budget and each layout runs alone
        one_by_one = LayoutSet([other, first, second])
        one_by_one._set = None
        assert parse(line, layouts=one_by_one).component == "a.B"
    assert parse(line, layouts=layouts(second, first, other)).message == "a.B - x"
    assert parse("[x] WARN y", layouts=layouts(other, first)).level == "UNKNOWN"
    assert parse("nothing", layouts=layouts(first, second)).level == "UNKNOWN"


def test_hostile_lines_against_an_operator_layout_are_kept_not_raised():
    layout = compile_layout("%d{ISO8601} %-5p [%t] %c{2} (%F:%M(%L)) - %m%n")
    for line in [
        "2026-11-28 10:00:00,000 INFO  [" + "] [" * 20_000,
        "2026-11-28 10:00:00,000 INFO  [t] a (" + "(" * 30_000,
        "2026-11-28 10:00:00,000 INFO  [t] a.B (B.java:m(99999999999999)) - huge line number",
        "2026-13-45 10:00:00,000 INFO  [t] a.B (B.java:m(1)) - impossible date",
    ]:
        parsed = parse(line, layouts=[layout])
        assert parsed.raw == line
    assert parsed.log_time is None and parsed.level == "INFO"
    huge = parse(
        "2026-11-28 10:00:00,000 INFO  [t] a.B (B.java:m(99999999999999)) - x",
        layouts=[compile_layout("%d %-5p [%t] %c (%F:%M(%L)) - %m%n")],
    )
    assert huge.code_line is None and huge.message == "x"


# --- the cache: a layout saved anywhere is read without a restart ---------------------------


@pytest.mark.django_db
def test_a_saved_layout_is_read_at_once_in_this_process_and_soon_in_others(monkeypatch):
    layout_cache.log_layouts_invalidate()
    line = "[2026-11-28 10:00:00,000] ERROR boom (kafka.server.KafkaServer)"
    assert parse(line, layouts=layout_cache.log_layouts_current()).level == "UNKNOWN"

    LogLayout.objects.create(name="kafka", pattern="[%d] %p %m (%c)%n")  # the admin's save
    assert parse(line, layouts=layout_cache.log_layouts_current()).level == "ERROR"

    # Another process's edit (no signal here): seen once the refresh interval has passed.
    now = [layout_cache.clock() + 1000]
    monkeypatch.setattr(layout_cache, "clock", lambda: now[0])
    layout_cache.log_layouts_current()
    LogLayout.objects.filter(name="kafka").update(enabled=False)
    assert [x.name for x in layout_cache.log_layouts_current()] == ["kafka"]
    now[0] += 60
    assert list(layout_cache.log_layouts_current()) == []


@pytest.mark.django_db
def test_a_row_that_does_not_compile_is_skipped_not_fatal():
    layout_cache.log_layouts_invalidate()
    LogLayout.objects.bulk_create(  # bulk_create: no signal, no validation (a database edit)
        [
            LogLayout(name="broken", pattern="%d %q %m", position=1),
            LogLayout(name="kafka", pattern="[%d] %p %m (%c)%n", position=2),
        ]
    )
    assert [x.name for x in layout_cache.log_layouts_current()] == ["kafka"]


# --- add_log_layout ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_add_log_layout_adds_then_replaces_by_name(capsys):
    call_command("add_log_layout", "hdp", "%d{ISO8601} %-5p [%t] %c{2} (%F:%M(%L)) - %m%n")
    assert "Added log layout 'hdp'" in capsys.readouterr().out
    call_command("add_log_layout", "hdp", "[%d] %p %m (%c)%n", "--position", "5")
    assert "Updated log layout 'hdp'" in capsys.readouterr().out
    row = LogLayout.objects.get()
    assert (row.pattern, row.position, row.enabled) == ("[%d] %p %m (%c)%n", 5, True)


@pytest.mark.django_db
def test_add_log_layout_refuses_a_bad_pattern_with_the_reason():
    with pytest.raises(CommandError, match=r"%q at character 4"):
        call_command("add_log_layout", "bad", "%d %q %m")
    assert not LogLayout.objects.exists()


def test_add_log_layout_with_a_bad_pattern_exits_non_zero_with_the_reason():
    # As configuration management runs it: a process, its exit status and its stderr.
    done = subprocess.run(
        [sys.executable, "manage.py", "add_log_layout", "bad", "%d{ISO8601} %-5p [%t] %z %m%n"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "faultportal.settings"},
        timeout=120,
    )
    assert done.returncode == 1
    assert "%z at character 23: unknown conversion character 'z'" in done.stderr


# --- over HTTP: stored fields, and unclassified errors in every readable layout ----------------


@pytest.mark.django_db
def test_errors_in_any_readable_layout_are_stored_with_their_fields_and_become_unclassified(
    make_token,
):
    from rest_framework.test import APIClient

    from diagnosis.models import FaultRecord
    from logs.models import SystemLog

    layout_cache.log_layouts_invalidate()
    call_command("add_log_layout", "kafka", "[%d] %p %m (%c)%n")
    token = make_token("ingest")
    lines = [
        "2026-11-28 10:15:34,517 ERROR [main] namenode.NameNode (NameNode.java:main(1774)) - "
        "Failed to start namenode.",
        "2026-11-28 10:15:35 ERROR DataNode:420 - Exception in secureMain",
        "2026-11-28 10:15:36,200 ERROR main:com.cloudera.server.cmf.Main: Server failed.",
        "[2026-11-28 10:15:37,000] FATAL Fatal error during KafkaServer startup. Prepare to "
        "shutdown (kafka.server.KafkaServer)",
    ]
    client = APIClient()
    for line in lines:  # one line per request, as Flume's HTTP sink sends them
        response = client.generic(
            "POST",
            f"/api/log/auto-upload?token={token}&host=dn01&logtype=hadoop",
            line.encode(),
            content_type="text/plain",
        )
        assert response.status_code == 200, response.content
    rows = list(SystemLog.objects.order_by("id"))
    assert [(r.level, r.component, r.thread, r.code_file, r.code_line) for r in rows] == [
        ("ERROR", "namenode.NameNode", "main", "NameNode.java", 1774),
        ("ERROR", "DataNode", "", "", 420),
        ("ERROR", "com.cloudera.server.cmf.Main", "main", "", None),
        ("FATAL", "kafka.server.KafkaServer", "", "", None),
    ]
    assert all(r.log_time is not None for r in rows)
    assert rows[1].message == "Exception in secureMain"
    faults = FaultRecord.objects.order_by("id")
    assert [f.fault_type.code for f in faults] == ["unclassified"] * 4
    assert {f.first_log_id for f in faults} == {r.id for r in rows}


@pytest.mark.parametrize(
    ("pattern", "line", "expected"),
    [
        # the zone the date is written in, as log4j2's second option says: not the cluster's
        ("%d{yyyy-MM-dd HH:mm:ss,SSS}{GMT+8} %p %m%n", "2026-11-28 10:15:32,123 INFO x",
         utc(2026, 11, 28, 2, 15, 32, 123000)),
        ("%d{ISO8601}{UTC} %p %m%n", "2026-11-28T10:15:32,123 INFO x",
         utc(2026, 11, 28, 10, 15, 32, 123000)),
        ("%d{UNIX} %p %m%n", "1764324932 INFO x", utc(2025, 11, 28, 10, 15, 32)),
        # no zone in the pattern or the date: the cluster's (Asia/Shanghai, UTC+8, here)
        ("%d{MMM dd, yyyy h:mm:ss a} %p %m%n", "Nov 28, 2026 3:05:09 PM INFO x",
         utc(2026, 11, 28, 7, 5, 9)),
        # a throwable after the end of the line writes nothing on it
        ("%d %-5p %c - %m%n%throwable", "2026-11-28 10:15:32,123 WARN  a.B - x",
         utc(2026, 11, 28, 2, 15, 32, 123000)),
    ],
)  # fmt: skip
def test_date_formats_and_zones(pattern, line, expected):
    parsed = parse(line, layouts=[compile_layout(pattern)], time_zone="Asia/Shanghai")
    assert parsed.log_time == expected and parsed.message == "x"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("1234 [main] ERROR a.B ndc-1 - x", ("ERROR", "main", "a.B", "x")),  # with the NDC
        ("1234 [main] WARN a.B - x", ("WARN", "main", "a.B", "x")),  # and without: nothing
    ],
)
def test_log4j2s_not_empty_wrapper_is_read_as_optional(line, expected):
    # log4j2's own TTCCLayout pattern (what its log4j 1.2 bridge makes of TTCCLayout)
    layout = compile_layout("%r [%t] %p %c %notEmpty{%x }- %m%n")
    read = layout.read(line, "UTC")
    assert (read.level, read.thread, read.component, read.message) == expected


@pytest.mark.parametrize(
    ("pattern", "named"),
    [
        ("%d %p %replace{%m}{\\s+}{ }%n", "%replace{…} at character 7"),
        ("%d %p %red{%m}%n", "%red{…} at character 7"),
        ("%d %p %notEmpty{[%X{a}] %m%n", "the { opened here is not closed"),
    ],
)
def test_wrappers_whose_output_cannot_be_read_back_are_refused(pattern, named):
    with pytest.raises(LayoutError) as refused:
        compile_layout(pattern)
    assert named in str(refused.value)
