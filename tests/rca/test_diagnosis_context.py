"""Context gathering: which lines, faults and status rows a diagnosis looks at, and its bounds."""

from datetime import timedelta

import pytest

from diagnosis.catalogue import catalogue_current
from diagnosis.models import FaultType
from logs.models import SystemLog
from rca import context as ctx_module
from rca.context import (
    context_for_excerpt,
    context_for_fault,
    hosts_match,
    hosts_named_in,
)
from rca.excerpt import excerpt_parse
from rca.matching import catalogue_load
from tests.diagnosis.scenario import T0, fault, log_line, snapshot

pytestmark = pytest.mark.django_db

DN = "org.apache.hadoop.hdfs.server.datanode.DataNode"


def fd_fault(host="dn01"):
    line = log_line(host, 0, "ERROR", DN, "java.io.IOException: Too many open files")
    return fault("too_many_open_files", host, line)


def test_neighbouring_lines_are_the_hosts_own_within_the_window_and_bounded():
    for i in range(40):  # a flood of warnings before the fault: only the nearest are kept
        log_line("dn01", -600 + i, "WARN", DN, f"slow BlockReceiver write packet {i}")
    for i in range(20):
        log_line("dn01", -60 + i, "INFO", DN, f"Receiving block {i}")
    log_line("dn01", -3600, "ERROR", DN, "an hour earlier")  # outside the window
    log_line("dn02", -10, "ERROR", DN, "another host")  # not this host
    log_line("dn01", 60, "ERROR", DN, "right after the fault")
    record = fd_fault()

    context = context_for_fault(fault=record)

    texts = [line.text for line in context.lines]
    assert "an hour earlier" not in texts and "another host" not in texts
    assert "right after the fault" in texts
    warnings = [t for t in texts if t.startswith("slow BlockReceiver")]
    assert len(warnings) == ctx_module.MAX_SEVERE_BEFORE - 1  # + the fault's own ERROR line
    assert "slow BlockReceiver write packet 39" in warnings  # the nearest ones
    assert len([t for t in texts if t.startswith("Receiving block")]) == ctx_module.MAX_INFO
    assert [line.origin for line in context.lines].count("sample") == 1
    times = [line.time for line in context.lines]
    assert times == sorted(times)


def test_a_short_host_name_matches_the_fqdn_in_status_rows():
    record = fd_fault("dn01")
    snapshot(
        cluster={"live_datanodes": 2},
        nodes=[
            {"host": "dn01.example.com", "role": "datanode", "state": "live"},
            {"host": "dn02.example.com", "role": "datanode", "state": "live"},
            {"host": "nn01.example.com", "role": "namenode", "state": "active"},
        ],
    )
    view = context_for_fault(fault=record).cluster
    assert sorted((row.role, row.host) for row in view.nodes) == [
        ("datanode", "dn01.example.com"),
        ("namenode", "nn01.example.com"),
    ]
    assert view.value("live_datanodes") == 2 and view.stale is False


def test_only_the_latest_snapshot_and_the_latest_pushed_host_metrics_are_read():
    record = fd_fault("dn01")
    snapshot(cluster={"live_datanodes": 9}, age=timedelta(minutes=10))
    snapshot(cluster={"live_datanodes": 3})
    snapshot(
        nodes=[{"host": "dn01", "role": "host", "disk_used_pct": 10.0}], age=timedelta(hours=1)
    )
    snapshot(nodes=[{"host": "dn01", "role": "host", "disk_used_pct": 55.0}])

    view = context_for_fault(fault=record).cluster

    assert view.value("live_datanodes") == 3
    (host_row,) = view.nodes
    assert host_row.metrics["disk_used_pct"] == 55.0


def test_related_faults_are_classified_by_relation():
    pause = fault("jvm_long_pause", "nn01", seconds=-60)
    safe_mode = fault("namenode_safemode", "", seconds=-120)
    far_host = fault("too_many_open_files", "dn09", seconds=-30)
    line = log_line(
        "nn01",
        0,
        "WARN",
        "org.apache.hadoop.ha.ActiveStandbyElector",
        "Session expired. Entering neutral mode and rejoining...",
    )
    expiry = fault("ha_zk_session_expired", "nn01", line)

    related = {r.fault_id: r.relation for r in context_for_fault(fault=expiry).related}

    assert related == {pause.pk: "precursor", safe_mode.pk: "cluster"}
    assert far_host.pk not in related
    # Seen from the pause, the expiry is a consequence.
    from_pause = {r.fault_id: r.relation for r in context_for_fault(fault=pause).related}
    assert from_pause[expiry.pk] == "consequence"


def test_gathering_a_context_takes_a_bounded_number_of_queries(django_assert_max_num_queries):
    """Whatever the table sizes: the worst case is two anchors (first and last occurrence), a
    peer host named by IP, related faults and a snapshot (with the operator's thresholds)."""
    for i in range(200):
        log_line("nn01", -300 + i, "WARN", DN, f"warning {i}")
        log_line("dn03", -300 + i, "WARN", DN, f"peer warning {i}")
    line = log_line(
        "nn01",
        0,
        "INFO",
        "org.apache.hadoop.hdfs.StateChange",
        "BLOCK* removeDeadDatanode: lost heartbeat from 10.0.0.13:9866, "
        "removeBlocksFromBlockMap true",
    )
    record = fault("datanode_dead", "nn01", line, last_seconds=900)
    for i in range(50):
        fault("jvm_long_pause", "dn03", seconds=-20 - i)
    snapshot(
        cluster={"live_datanodes": 3},
        nodes=[{"host": "dn03", "role": "datanode", "details": {"xferaddr": "10.0.0.13:9866"}}],
    )
    catalogue_current()  # the process's compiled catalogue is warm in steady state
    with django_assert_max_num_queries(22):
        context = context_for_fault(fault=record)
    assert context.peers == ["dn03", "10.0.0.13"]
    assert len(context.lines) <= ctx_module.MAX_LINES
    assert len(context.related) <= ctx_module.MAX_RELATED


def test_a_fault_whose_lines_were_pruned_still_has_its_samples():
    record = fd_fault()
    SystemLog.objects.all().delete()
    (line,) = context_for_fault(fault=record).lines
    assert line.origin == "sample" and line.types == ("too_many_open_files",)
    assert "Too many open files" in line.text


def test_an_excerpt_is_tagged_with_the_types_its_lines_show():
    excerpt = (
        "2026-11-28 10:15:32,123 ERROR org.apache.hadoop.hdfs.server.datanode.DataNode: "
        "dn01:9866:DataXceiverServer:\n"
        "java.io.IOException: Xceiver count 4097 exceeds the limit of concurrent xcievers: 4096\n"
        "\tat org.apache.hadoop.hdfs.server.datanode.DataXceiverServer.run(DataXceiverServer.java:"
        "150)\n"
        "2026-11-28 10:15:33,000 INFO org.apache.hadoop.hdfs.server.datanode.DataNode: fine\n"
    )
    context = context_for_excerpt(log_text=excerpt, host="dn01")
    assert context.focus == ["datanode_xceiver_limit"]
    first, second = context.lines
    assert first.types == ("datanode_xceiver_limit",) and first.level == "ERROR"
    assert second.types == () and second.level == "INFO"
    assert context.start == context.end == first.time


def test_a_disabled_type_is_not_matched():
    FaultType.objects.filter(code="too_many_open_files").update(enabled=False)
    assert catalogue_load().match("java.io.IOException: Too many open files") == []


def test_min_level_and_component_are_respected_when_known():
    catalogue = catalogue_load()
    text = "Detected pause in JVM or host machine (eg GC): pause of approximately 1200ms"
    assert catalogue.match(text, level="INFO") == []  # JvmPauseMonitor's INFO: below WARN
    assert catalogue.match(text, level="WARN") == ["jvm_long_pause"]
    assert catalogue.match(text) == ["jvm_long_pause"]  # unknown level: matched


@pytest.mark.parametrize(
    ("text", "hosts"),
    [
        ("lost heartbeat from 10.0.0.13:9866, removeBlocksFromBlockMap", ["10.0.0.13"]),
        ("Call From dn01/10.0.0.11 to nn01.example.com:8020 failed", ["nn01.example.com"]),
        ("Expired:dn07.example.com:45454 Timed out after 600 secs", ["dn07.example.com"]),
        ("blk on BP-526805057-10.0.0.5-1411980876842:blk_1_1", []),
        ("to 0.0.0.0:8032 failed; localhost:8020 and 127.0.0.1:9000", []),
        ("at 2026-11-28 10:15:32,123 nothing", []),
    ],
)
def test_hosts_named_in_log_text(text, hosts):
    assert hosts_named_in(text, exclude=["dn01"]) == hosts


def test_hosts_match_short_names_and_fqdns_only():
    assert hosts_match("dn01", "DN01.example.com")
    assert not hosts_match("dn01.a.com", "dn01.b.com")
    assert not hosts_match("10.0.0.1", "10.0.0.2")
    assert not hosts_match("", "dn01")


def test_excerpt_layouts_and_continuations():
    events = excerpt_parse(
        "2026-11-28 10:15:32,123 WARN [main] org.apache.hadoop.mapred.YarnChild: Exception\n"
        "java.lang.OutOfMemoryError: Java heap space\n"
        "\tat java.util.Arrays.copyOf(Arrays.java:3332)\n"
        "141128 101533 4242 ERROR org.apache.hadoop.mapred.TaskTracker: old layout\n"
        "just some text with ERROR in it\n"
    )
    first, second = events
    assert first.level == "WARN" and first.component == "org.apache.hadoop.mapred.YarnChild"
    assert "OutOfMemoryError" in first.trace and first.time.minute == 15
    assert second.level == "ERROR" and second.component == "org.apache.hadoop.mapred.TaskTracker"
    assert "just some text" in second.trace  # after a timestamped event: its continuation
    plain = excerpt_parse("first ERROR line\nsecond WARNING line\n")
    assert [(e.level, e.time) for e in plain] == [("ERROR", None), ("WARN", None)]
    assert T0.tzinfo is not None


def test_an_excerpt_is_read_with_the_operators_layouts_too():
    from logs.layout_cache import log_layouts_invalidate
    from logs.models import LogLayout

    log_layouts_invalidate()
    line = "[2026-11-28 10:15:37,000] FATAL Fatal error during startup (kafka.server.KafkaServer)"
    assert excerpt_parse(line)[0].component == ""
    LogLayout.objects.create(name="kafka", pattern="[%d] %p %m (%c)%n")
    (event,) = excerpt_parse(line)
    assert (event.level, event.component, event.message) == (
        "FATAL",
        "kafka.server.KafkaServer",
        "Fatal error during startup",
    )
    assert event.time is not None
