"""Log search: each query form finds exactly the lines that contain it, by every plan.

Rows are committed (transactional tests): InnoDB adds a row to its FULLTEXT index at commit, so a
search inside an open test transaction would not see the index at all. Each search is run three
ways that must agree: the newest-rows window alone, the full-text index (window of one row), and
the scan that runs when the index is off.
"""

from datetime import UTC, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from logs import selectors
from logs.models import SystemLog
from logs.search import SearchQueryError, parse_query
from logs.search_index import search_index_forget, search_index_state
from logs.selectors import LogFilters, system_log_context, system_log_search

pytestmark = pytest.mark.django_db(transaction=True)

NOW = timezone.now().astimezone(UTC).replace(microsecond=0)

# (key, host, level, logtype, source_file, minutes ago, message, trace)
LINES = [
    (
        "blk",
        "dn01",
        "INFO",
        "hdfs",
        "/var/log/hadoop/hdfs/datanode.log",
        5,
        "Receiving BP-1-10.0.0.1-1700000000000:blk_-1073741825_1001 src: /10.0.1.5:50010 "
        "dest: /10.0.1.57:50010",
        "",
    ),
    (
        "blk_near",
        "dn02",
        "INFO",
        "hdfs",
        "/var/log/hadoop/hdfs/datanode.log",
        6,
        "Deleted BP-1-10.0.0.1-1700000000000 blk_-1073741825_10012 file /data/1/current",
        "",
    ),
    (
        "container",
        "dn03",
        "WARN",
        "yarn",
        "/var/log/hadoop/yarn/nodemanager.log",
        7,
        "Container [pid=4242,containerID=container_e17_1700000000000_0001_01_000002] is running "
        "beyond physical memory limits",
        "",
    ),
    (
        "container_near",
        "dn03",
        "INFO",
        "yarn",
        "/var/log/hadoop/yarn/nodemanager.log",
        8,
        "Stopping container container_e17_1700000000000_0001_01_0000021",
        "",
    ),
    (
        "ip_near",
        "dn04",
        "ERROR",
        "hdfs",
        "/var/log/hadoop/hdfs/datanode.log",
        9,
        "Failed to connect to /10.0.1.57:50010 for block, add to deadNodes",
        "",
    ),
    (
        "trace",
        "dn05",
        "ERROR",
        "hdfs",
        "/var/log/hadoop/hdfs/datanode.log",
        10,
        "Exception in createBlockOutputStream",
        "java.net.NoRouteToHostException: No route to host\n"
        "\tat org.apache.hadoop.ipc.Client.call(Client.java:1474)",
    ),
    (
        "class",
        "dn06",
        "WARN",
        "hdfs",
        "/var/log/hadoop/hdfs/datanode.log",
        11,
        "org.apache.hadoop.hdfs.server.datanode.DataNode: Slow BlockReceiver write packet to "
        "mirror took 400ms",
        "",
    ),
    (
        "class_near",
        "dn07",
        "INFO",
        "hdfs",
        "/var/log/hadoop/hdfs/datanode.log",
        12,
        "org.apache.hadoop.hdfs.server.datanodeX.Starter: started",
        "",
    ),
    (
        "phrase",
        "nn01",
        "ERROR",
        "hadoop",
        "/var/log/hadoop/hdfs/namenode.log",
        13,
        "IPC Server handler 3 on 8020: Connection reset by peer",
        "",
    ),
    (
        "words",
        "nn01",
        "INFO",
        "hadoop",
        "/var/log/hadoop/hdfs/namenode.log",
        14,
        "peer asked to reset the connection; retry handler",
        "",
    ),
    (
        "hostile",
        "rm01",
        "FATAL",
        "yarn",
        "/var/log/hadoop/yarn/rm.log",
        15,
        "<script>alert(1)</script> <img src=x onerror=alert(2)> for the win",
        "",
    ),
    (
        "old",
        "dn01",
        "ERROR",
        "hdfs",
        "/var/log/hadoop/hdfs/datanode.log",
        3 * 24 * 60,
        "Exception in createBlockOutputStream blk_-1073741825_1001 java.io.IOException",
        "",
    ),
]

QUERIES = [
    ("blk_-1073741825_1001", {"blk"}),
    ("container_e17_1700000000000_0001_01_000002", {"container"}),
    ("container_e17*", {"container", "container_near"}),
    ("10.0.1.5", {"blk"}),
    ("10.0.1.57", {"blk", "ip_near"}),
    ("10.0.1.57:50010 -blk_-1073741825_1001", {"ip_near"}),
    ("/10.0.1.5:50010", {"blk"}),
    ("NoRouteTo*", {"trace"}),
    ("noroutetohostexception", {"trace"}),
    ("NoRouteToHost", set()),  # a whole word, not the start of one
    ("org.apache.hadoop.ipc.Client", {"trace"}),
    ("Client.java:1474", {"trace"}),
    ("DataNode", {"class"}),
    ("org.apache.hadoop.hdfs.server.datanode.DataNode", {"class"}),
    ("hadoop.hdfs.server", {"class", "class_near"}),
    ('"Connection reset by peer"', {"phrase"}),
    ('"connection   RESET by  peer"', {"phrase"}),
    ("connection peer reset", {"phrase", "words"}),
    ('connection -"reset by peer"', {"words"}),
    ("createBlockOutputStream", {"trace"}),  # "old" is outside the 24 h range
    ("for the win", {"hostile"}),  # no stopwords
    ("<script>", {"hostile"}),
    ("onerror=alert(2)", {"hostile"}),
    ("alert", {"hostile"}),
    ("handler", {"phrase", "words"}),
    ("4242", {"container"}),
    ("a", set()),
    ("BP-1-10.0.0.1-1700000000000", {"blk", "blk_near"}),
]


def store_lines(lines=LINES) -> dict[str, int]:
    ids = {}
    for key, host, level, logtype, source_file, ago, message, trace in lines:
        row = SystemLog.objects.create(
            host=host,
            level=level,
            logtype=logtype,
            source_file=source_file,
            log_time=NOW - timedelta(minutes=ago),
            component="org.apache.hadoop.Test",
            message=message,
            trace=trace,
            raw=message + ("\n" + trace if trace else ""),
            received_at=NOW,
        )
        ids[key] = row.id
    return ids


@pytest.fixture(params=["window", "index", "scan"])
def plan(request, monkeypatch):
    """Run the test's searches by one plan; the index is off for `scan` (and back after)."""
    if request.param != "window":
        monkeypatch.setattr(selectors, "SEARCH_WINDOW_ROWS", 1)
        monkeypatch.setattr(selectors, "SEARCH_SCAN_WINDOW_ROWS", 2)
    if request.param == "scan":
        call_command("log_search_index", "off", verbosity=0)
    search_index_forget()
    yield request.param
    if request.param == "scan":
        call_command("log_search_index", "on", verbosity=0)
    search_index_forget()


def search(q="", limit=100, **filters):
    filters.setdefault("since", NOW - timedelta(hours=24))
    page = system_log_search(filters=LogFilters(query=parse_query(q), **filters), limit=limit)
    return page


def keys_of(page, ids) -> set[str]:
    by_id = {value: key for key, value in ids.items()}
    return {by_id[row.id] for row in page.lines}


def test_every_query_form_finds_exactly_its_lines(plan):
    assert search_index_state().present is (plan != "scan")
    ids = store_lines()
    wrong = {}
    for q, expected in QUERIES:
        page = search(q)
        found = keys_of(page, ids)
        if found != expected:
            wrong[q] = (sorted(found), sorted(expected))
        if plan == "index" and expected:
            assert page.plan in ("window", "index", "scan")
    assert wrong == {}


def test_the_index_answers_rare_terms_and_scans_only_unindexed_words(plan):
    ids = store_lines()
    if plan == "index":
        assert search("NoRouteTo*").plan == "index"
        # Every word of an IP is shorter than InnoDB's minimum token (3): nothing to look up.
        expected = "scan" if search_index_state().min_token > 2 else "index"
        assert search("10.0.1.5").plan == expected
    elif plan == "scan":
        assert search("NoRouteTo*").plan == "scan"
    assert keys_of(search("NoRouteTo*"), ids) == {"trace"}


def test_filters_combine_with_terms(plan):
    ids = store_lines()
    assert keys_of(search("blk_-1073741825_1001", host="dn01"), ids) == {"blk"}
    assert keys_of(search("blk_-1073741825_1001", host="dn02"), ids) == set()
    assert keys_of(search("50010", host="dn0*"), ids) == {"blk", "ip_near"}
    assert keys_of(search("50010", host="dn0?", level="ERROR"), ids) == {"ip_near"}
    assert keys_of(search(level="ERROR"), ids) == {"ip_near", "trace", "phrase", "hostile"}
    assert keys_of(search(level="FATAL"), ids) == {"hostile"}
    assert keys_of(search("container_e17*", level="WARN"), ids) == {"container"}
    assert keys_of(search("container*", logtype="yarn"), ids) == {"container", "container_near"}
    assert keys_of(search("handler", source_file="*/namenode.log"), ids) == {"phrase", "words"}
    assert keys_of(search("handler", source_file="/var/log/hadoop/hdfs/namenode.log"), ids) == {
        "phrase",
        "words",
    }
    assert keys_of(search("handler", source_file="namenode.log"), ids) == set()
    # A time range: the 3-day-old line only with a range that reaches it.
    week = NOW - timedelta(days=7)
    assert keys_of(search("createBlockOutputStream", since=week), ids) == {"trace", "old"}
    assert keys_of(
        search("createBlockOutputStream", since=week, until=NOW - timedelta(days=1)), ids
    ) == {"old"}
    # A glob's LIKE wildcards in the value itself are literal.
    assert keys_of(search(host="dn_1*"), ids) == set()
    assert keys_of(search(host="dn%*"), ids) == set()
    assert keys_of(search(host="dn!1*"), ids) == set()


def test_results_are_newest_first_and_cursor_pages_are_stable_while_lines_arrive(plan):
    base = NOW - timedelta(hours=2)
    rows = [
        SystemLog(
            host="dn09",
            level="INFO",
            logtype="hdfs",
            log_time=base + timedelta(seconds=k // 2),  # pairs share a log time: id breaks ties
            message=f"PacketResponder blk_{k}_1 terminating",
            raw="x",
            received_at=NOW,
        )
        for k in range(30)
    ]
    SystemLog.objects.bulk_create(rows)
    SystemLog.objects.create(
        host="dn09",
        level="INFO",
        logtype="hdfs",
        log_time=base,
        message="other",
        raw="x",
        received_at=NOW,
    )
    expected = list(
        SystemLog.objects.filter(message__startswith="PacketResponder")
        .order_by("-log_time", "-id")
        .values_list("id", flat=True)
    )
    seen = []
    filters = LogFilters(since=NOW - timedelta(hours=24), query=parse_query("PacketResponder"))
    page = system_log_search(filters=filters, limit=7)
    seen += [row.id for row in page.lines]
    arrivals = 0
    while page.next is not None:
        # New matching lines keep arriving between pages: they never shift the later pages.
        SystemLog.objects.create(
            host="dn09",
            level="INFO",
            logtype="hdfs",
            log_time=NOW - timedelta(seconds=arrivals),
            message="PacketResponder late arrival",
            raw="x",
            received_at=NOW,
        )
        arrivals += 1
        page = system_log_search(filters=filters, after=page.next, limit=7)
        seen += [row.id for row in page.lines]
    assert seen == expected
    assert arrivals == 4


def test_context_returns_the_neighbours_on_the_same_host_and_stream():
    start = NOW - timedelta(hours=1)
    stream = []
    for k in range(20):
        stream.append(
            SystemLog.objects.create(
                host="dn10",
                level="INFO",
                logtype="hdfs",
                source_file="/var/log/dn.log",
                log_time=start + timedelta(seconds=k),
                message=f"stream line {k}",
                raw="x",
                received_at=NOW,
            )
        )
        # Interleaved: another host, and another stream of the same host, at the same moments.
        SystemLog.objects.create(
            host="dn11",
            level="INFO",
            logtype="hdfs",
            source_file="/var/log/dn.log",
            log_time=start + timedelta(seconds=k),
            message="other host",
            raw="x",
            received_at=NOW,
        )
        SystemLog.objects.create(
            host="dn10",
            level="INFO",
            logtype="yarn",
            source_file="/var/log/nm.log",
            log_time=start + timedelta(seconds=k),
            message="other stream",
            raw="x",
            received_at=NOW,
        )
    before, after = system_log_context(line=stream[10], before=3, after=4)
    assert [row.message for row in before] == ["stream line 7", "stream line 8", "stream line 9"]
    assert [row.message for row in after] == [f"stream line {k}" for k in (11, 12, 13, 14)]
    before, after = system_log_context(line=stream[1], before=50, after=0)
    assert [row.message for row in before] == ["stream line 0"]
    assert after == []


@pytest.mark.parametrize(
    "text, message",
    [
        ('"unclosed', "not closed"),
        ("-only", "exclusions only"),
        ("No*Route", "only at the end"),
        ("*", "matches everything"),
        ('""', "empty phrase"),
        ("x" * 1001, "longer than"),
    ],
)
def test_queries_that_cannot_run_say_why(text, message):
    with pytest.raises(SearchQueryError, match=message):
        parse_query(text)


def test_an_index_lookup_stopped_at_its_time_limit_still_gives_exact_results(
    on_mariadb, monkeypatch
):
    ids = store_lines()
    monkeypatch.setattr(selectors, "SEARCH_WINDOW_ROWS", 1)
    # A MATCH stopped at the limit falls back to the scan (one this small may also finish).
    monkeypatch.setattr(selectors, "SEARCH_INDEX_SECONDS", 0.000001)
    page = search("NoRouteTo*")
    assert page.plan in ("scan", "index") and keys_of(page, ids) == {"trace"}


def filler(count: int) -> None:
    """Lines enough that reading them takes longer than a microsecond."""
    SystemLog.objects.bulk_create(
        SystemLog(
            host="dn99",
            level="INFO",
            logtype="hdfs",
            log_time=NOW - timedelta(minutes=1),
            message=f"filler line {k} " + "x" * 200,
            raw="x",
            received_at=NOW,
        )
        for k in range(count)
    )


def test_a_search_past_the_statement_limit_is_stopped_not_left_running(on_mariadb, monkeypatch):
    store_lines()
    filler(5000)
    monkeypatch.setattr(selectors, "SEARCH_STATEMENT_SECONDS", 0.000001)
    with pytest.raises(selectors.SearchTooSlow):
        search("NoRouteTo*")
    # The connection's own limit is restored for whatever it runs next.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT @@SESSION.max_statement_time")
        assert float(cursor.fetchone()[0]) == 0
