"""The system-log admin: what operators see, and the queries it may run on a huge table."""

import re
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from faultportal.admin_pagination import EstimatedCountPaginator
from logs.admin.links import system_logs_admin_url, system_logs_around_url
from logs.admin.system_log import SystemLogAdmin
from logs.models import SystemLog

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:logs_systemlog_changelist")
NOW = timezone.now().replace(microsecond=0)


def make_line(*, minutes_ago: float = 0, **fields) -> SystemLog:
    values = {
        "host": "dn01",
        "logtype": "hadoop",
        "level": "INFO",
        "component": "org.apache.hadoop.hdfs.server.datanode.DataNode",
        "message": "Receiving block blk_1073741825_1001",
        "raw": "raw line",
        "received_at": NOW,
        "log_time": NOW - timedelta(minutes=minutes_ago),
    }
    values.update(fields)
    return SystemLog.objects.create(**values)


def make_lines(count: int, **fields) -> list[SystemLog]:
    return [make_line(minutes_ago=i, **fields) for i in range(count)]


def listed_ids(response) -> list[int]:
    """Line ids in the order the list shows them (the first column links to the line)."""
    return [
        int(pk)
        for pk in re.findall(
            r'<th class="field-id"><a href="[^"]*/(\d+)/change/', response.content.decode()
        )
    ]


# --- query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",  # unfiltered
        "?level__exact=ERROR",
        "?host=dn02",
        "?host=dn02&since=24h",
        "?q=dn02",  # search: exact host
        "?q=1",  # search: line id
        "?host=dn02&level__exact=ERROR",  # the (host, level, log_time) index
        "?q=dn02&level__exact=ERROR",
        "?level__exact=ERROR&_facets=True",  # facet counts (a COUNT per choice) stay off
    ],
)
def test_the_list_runs_five_queries_whatever_the_rows(
    admin_client, django_assert_num_queries, query
):
    for host in ("dn01", "dn02", "dn03"):
        make_lines(15, host=host, level="ERROR")
    # 1 session, 2 user, 3 host list for the filter (loose index scan), 4 capped count
    # (COUNT over a LIMITed subquery), 5 the page's rows. No full COUNT, no per-row query.
    with django_assert_num_queries(5):
        response = admin_client.get(LIST_URL + query)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "?logtype=hadoop",
        "?host=dn02&level__exact=ERROR&logtype=hadoop&since=24h",
    ],
)
@pytest.mark.parametrize("lines", [15, 250])
def test_filters_no_single_index_serves_run_four_queries(
    admin_client, django_assert_num_queries, query, lines
):
    make_lines(lines, host="dn01", level="ERROR", logtype="yarn")
    make_lines(lines, host="dn02", level="ERROR", logtype="hadoop")
    # 1 session, 2 user, 3 host list, 4 the page's rows plus one (tells whether a next page
    # exists). Counting would read every candidate line: no count query at all.
    with django_assert_num_queries(4):
        response = admin_client.get(LIST_URL + query)
    assert len(listed_ids(response)) == min(lines, 100)


def test_which_filters_one_index_serves_is_read_from_the_models_indexes(monkeypatch):
    params = {"host": "dn01", "level__exact": "ERROR", "since": "1h"}
    assert SystemLogAdmin.one_index_serves(params)
    assert not SystemLogAdmin.one_index_serves({**params, "logtype": "yarn"})
    without = [i for i in SystemLog._meta.indexes if i.name != "system_logs_host_level_time"]
    monkeypatch.setattr(SystemLog._meta, "indexes", without)
    assert not SystemLogAdmin.one_index_serves(params)


def test_past_the_count_limit_an_unfiltered_list_adds_one_estimate_query(
    admin_client, django_assert_num_queries, monkeypatch
):
    monkeypatch.setattr(EstimatedCountPaginator, "count_limit", 5)
    make_lines(12)
    # session, user, host list, capped count (6 > 5 rows), MIN/MAX(id) estimate, page rows.
    with django_assert_num_queries(6):
        response = admin_client.get(LIST_URL)
    assert "about 12 system log lines" in response.content.decode()


def test_no_query_counts_or_scans_the_whole_table(admin_client, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "count_limit", 5)
    make_lines(12)
    for query in ("", "?level__exact=INFO", "?host=dn01", "?q=dn01", "?since=1h"):
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(LIST_URL + query).status_code == 200
        statements = [q["sql"] for q in ctx.captured_queries if "system_logs" in q["sql"]]
        for sql in statements:
            if "COUNT(" in sql.upper():
                assert "LIMIT 6" in sql, f"uncapped count: {sql}"
            if "DISTINCT" in sql.upper():
                # Only the host list, which an index answers value by value, with a limit.
                assert re.match(r'SELECT DISTINCT [`"]system_logs[`"]\.[`"]host[`"]', sql), sql
                assert "LIMIT" in sql
            assert "LIKE" not in sql.upper(), f"search or filter by pattern: {sql}"


# --- counts and pages ------------------------------------------------------------------------


def test_counts_are_exact_below_the_limit_and_worded_honestly_above(admin_client, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "count_limit", 5)
    make_lines(8, host="dn01")
    make_lines(3, host="dn02")

    assert "3 system log lines" in admin_client.get(LIST_URL + "?host=dn02").content.decode()
    filtered = admin_client.get(LIST_URL + "?host=dn01").content.decode()
    assert "more than 5 system log lines" in filtered
    assert "about 11 system log lines" in admin_client.get(LIST_URL).content.decode()


def test_uncounted_lists_page_forward_until_the_last_line(admin_client, monkeypatch):
    monkeypatch.setattr(SystemLogAdmin, "list_per_page", 2)
    monkeypatch.setattr(SystemLogAdmin, "list_max_show_all", 2)
    lines = make_lines(5, host="dn01", level="ERROR")
    query = "?host=dn01&logtype=hadoop"  # no single index serves host with log type

    first = admin_client.get(LIST_URL + query).content.decode()
    assert "more than 2 system log lines" in first
    assert "not counted" in first and 'class="showall"' not in first
    escaped = query.replace("&", "&amp;")
    assert f'href="{escaped}&amp;p=2"' in first  # a next page is offered…
    assert f'href="{escaped}&amp;p=3"' not in first  # …but none it has not seen

    last = admin_client.get(LIST_URL + query + "&p=3")
    assert listed_ids(last) == [lines[4].pk]
    assert "5 system log lines" in last.content.decode()


def test_the_estimate_is_the_id_span_so_pruned_rows_drop_out(db):
    lines = make_lines(20)
    SystemLog.objects.filter(
        pk__in=[line.pk for line in lines[:5]]
    ).delete()  # prune the oldest ids
    paginator = EstimatedCountPaginator(SystemLog.objects.order_by("-id"), 10, count_limit=3)
    assert paginator.count == 15
    assert paginator.count_label == "about 15"
    assert paginator.num_pages == 1  # pages stop at count_limit rows


def test_pages_stop_at_the_count_limit(admin_client, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "count_limit", 6)
    monkeypatch.setattr(SystemLogAdmin, "list_per_page", 2)
    lines = make_lines(20)
    page3 = admin_client.get(LIST_URL + "?p=3")
    assert listed_ids(page3) == [lines[4].pk, lines[5].pk]
    # Page 4 would need an OFFSET past the limit: the admin says the page is invalid.
    page4 = admin_client.get(LIST_URL + "?p=4")
    assert page4.status_code == 302 and "e=1" in page4["Location"]


# --- filters, search, order --------------------------------------------------------------------


def test_filters_by_level_host_and_log_type(admin_client):
    error = make_line(host="dn01", level="ERROR")
    make_line(host="dn01", level="INFO")
    yarn_error = make_line(host="nm07", level="ERROR", logtype="yarn")

    # Same log time: the later line (higher id) first.
    assert listed_ids(admin_client.get(LIST_URL + "?level__exact=ERROR")) == [
        yarn_error.pk,
        error.pk,
    ]
    assert listed_ids(admin_client.get(LIST_URL + "?host=nm07")) == [yarn_error.pk]
    assert listed_ids(admin_client.get(LIST_URL + "?logtype=yarn")) == [yarn_error.pk]
    both = admin_client.get(LIST_URL + "?host=dn01&level__exact=ERROR")
    assert listed_ids(both) == [error.pk]


def test_the_host_filter_lists_hosts_and_keeps_a_typed_one(admin_client, monkeypatch):
    for host in ("dn01", "dn02", "dn03"):
        make_line(host=host)
    page = admin_client.get(LIST_URL).content.decode()
    assert all(f"?host={host}" in page for host in ("dn01", "dn02", "dn03"))

    monkeypatch.setattr("logs.admin.filters.HostFilter.max_listed", 2)
    page = admin_client.get(LIST_URL).content.decode()
    assert "?host=dn03" not in page
    assert "Only the first 2 hosts are listed" in page
    typed = admin_client.get(LIST_URL + "?host=dn03")
    assert len(listed_ids(typed)) == 1
    assert '<li class="selected">\n    <a href="?host=dn03">dn03</a>' in typed.content.decode()


def test_a_link_by_host_and_time_range_shows_exactly_that_window(admin_client):
    inside = [make_line(host="dn01", minutes_ago=m) for m in (10, 11, 12)]
    make_line(host="dn01", minutes_ago=20)  # before the window
    make_line(host="dn01", minutes_ago=2)  # after it
    make_line(host="dn02", minutes_ago=11)  # other host
    url = system_logs_admin_url(
        host="dn01",
        start=NOW - timedelta(minutes=12),
        end=NOW - timedelta(minutes=10),
    )
    assert "log_time__gte=" in url and "log_time__lte=" in url
    assert listed_ids(admin_client.get(url)) == [line.pk for line in inside]

    around = system_logs_around_url(host="dn01", moment=NOW - timedelta(minutes=11))
    oldest_first = [line.pk for line in reversed(inside)]
    assert listed_ids(admin_client.get(around)) == oldest_first


def test_a_naive_time_in_the_url_is_read_in_the_portal_time_zone(admin_client, settings):
    settings.TIME_ZONE = "Asia/Shanghai"  # UTC+8, as a cluster's log4j would write
    line = make_line(log_time=NOW.replace(hour=2, minute=0))  # 02:00 UTC = 10:00 in Shanghai
    day = NOW.strftime("%Y-%m-%d")
    hit = admin_client.get(LIST_URL + f"?log_time__gte={day}T09:59&log_time__lte={day}T10:01")
    assert listed_ids(hit) == [line.pk]
    miss = admin_client.get(LIST_URL + f"?log_time__gte={day}T01:59&log_time__lte={day}T02:01")
    assert listed_ids(miss) == []


def test_time_presets(admin_client):
    recent = make_line(minutes_ago=5)
    make_line(minutes_ago=90)
    assert listed_ids(admin_client.get(LIST_URL + "?since=1h")) == [recent.pk]


@pytest.mark.parametrize(
    "query", ["?log_time__gte=yesterday", "?log_time__lte=2026-13-45T99:00", "?since=3w"]
)
def test_a_bad_time_is_an_error_notice_not_a_crash(admin_client, query):
    response = admin_client.get(LIST_URL + query)
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


@pytest.mark.parametrize(
    "query", ["?message__contains=error", "?raw__icontains=x", "?component=Foo", "?id__gt=5"]
)
def test_lookups_that_would_scan_the_table_are_refused(admin_client, query):
    assert admin_client.get(LIST_URL + query).status_code == 400


def test_search_finds_an_exact_host_or_a_line_id_never_message_text(admin_client):
    line = make_line(host="dn01.example.com", message="DataXceiver error processing")
    make_line(host="dn01.example.com.backup")
    assert listed_ids(admin_client.get(LIST_URL + "?q=dn01.example.com")) == [line.pk]
    assert listed_ids(admin_client.get(LIST_URL + f"?q={line.pk}")) == [line.pk]
    assert listed_ids(admin_client.get(LIST_URL + "?q=DataXceiver")) == []


def test_newest_log_time_first_lines_without_time_last_and_oldest_first_on_request(
    admin_client,
):
    older = make_line(minutes_ago=30)
    newer = make_line(minutes_ago=1)
    untimed = make_line(log_time=None, is_continuation=True, message="\tat Foo.bar(Foo.java:1)")
    assert listed_ids(admin_client.get(LIST_URL)) == [newer.pk, older.pk, untimed.pk]
    oldest_first = admin_client.get(LIST_URL + f"?o={SystemLogAdmin.oldest_first_order_param()}")
    assert listed_ids(oldest_first)[-2:] == [older.pk, newer.pk]


def test_lines_of_the_same_moment_keep_their_arrival_order_both_ways(admin_client):
    """The id breaks ties in the direction of the time order: the order an index delivers
    without sorting, and the order the lines were written in."""
    first, second = make_line(minutes_ago=3), make_line(minutes_ago=3)
    assert listed_ids(admin_client.get(LIST_URL)) == [second.pk, first.pk]
    oldest_first = admin_client.get(LIST_URL + f"?o={SystemLogAdmin.oldest_first_order_param()}")
    assert listed_ids(oldest_first) == [first.pk, second.pk]


def test_log_time_shows_seconds_and_milliseconds_in_the_cluster_zone(admin_client, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    make_line(log_time=NOW.replace(hour=2, minute=15, second=32, microsecond=123000))
    page = admin_client.get(LIST_URL).content.decode()
    assert "10:15:32.123" in page


# --- read-only and escaped ---------------------------------------------------------------------


def test_lines_cannot_be_added_edited_or_bulk_deleted(admin_client):
    line = make_line()
    change_url = reverse("admin:logs_systemlog_change", args=[line.pk])
    assert admin_client.get(reverse("admin:logs_systemlog_add")).status_code == 403
    assert admin_client.post(change_url, {"host": "evil"}).status_code == 403
    line.refresh_from_db()
    assert line.host == "dn01"
    page = admin_client.get(LIST_URL).content.decode()
    assert 'name="action"' not in page and "delete_selected" not in page


HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(2)>"


def test_hostile_text_is_escaped_in_the_list(admin_client):
    make_line(message=HOSTILE, component="<b>Evil</b>")
    page = admin_client.get(LIST_URL).content.decode()
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(2)&gt;" in page


def test_the_detail_page_shows_message_trace_and_raw_escaped_in_pre(admin_client):
    line = make_line(
        message=HOSTILE,
        trace="java.io.IOException: <img src=x onerror=alert(3)>\n\tat Foo.bar(Foo.java:1)",
        raw=f"2026-11-28 10:15:32,123 ERROR x: {HOSTILE}",
    )
    page = admin_client.get(reverse("admin:logs_systemlog_change", args=[line.pk]))
    html = page.content.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    pres = re.findall(r'<pre class="fp-log-text">(.*?)</pre>', html, re.S)
    assert len(pres) == 3  # message, trace, raw
    assert pres[1] == (
        "java.io.IOException: &lt;img src=x onerror=alert(3)&gt;\n\tat Foo.bar(Foo.java:1)"
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pres[2]


def test_the_detail_page_links_to_the_lines_around_it(admin_client):
    line = make_line(host="dn04", minutes_ago=30)
    neighbour = make_line(host="dn04", minutes_ago=33)
    make_line(host="dn04", minutes_ago=40)
    html = admin_client.get(reverse("admin:logs_systemlog_change", args=[line.pk])).content
    around = re.search(r'<a href="([^"]+)">dn04, 5 minutes either side', html.decode()).group(1)
    assert listed_ids(admin_client.get(around.replace("&amp;", "&"))) == [neighbour.pk, line.pk]


def test_the_detail_page_shows_where_the_logging_call_is(admin_client):
    line = make_line(message="Failed to start namenode.", component="namenode.NameNode")
    SystemLog.objects.filter(pk=line.pk).update(
        thread="main", code_file="<b>NameNode.java</b>", code_line=1774
    )
    html = admin_client.get(reverse("admin:logs_systemlog_change", args=[line.pk])).content
    page = BeautifulSoup(html, "html.parser")
    assert page.select_one(".field-code_file .readonly").get_text() == "<b>NameNode.java</b>"
    assert page.select_one(".field-code_line .readonly").get_text() == "1774"
    assert page.select_one(".field-thread .readonly").get_text() == "main"
