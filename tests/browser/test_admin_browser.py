"""The admin in a real browser: log in, filter system logs, hostile log text stays text."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from logs.models import SystemLog
from tests.browser.conftest import expect, save_screenshot

pytestmark = [
    pytest.mark.browser,
    # Each test starts from the migrated data (fault catalogue, groups): a transactional
    # test empties every table when it ends.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"


def add_line(**fields) -> SystemLog:
    values = {
        "host": "dn01",
        "logtype": "hadoop",
        "level": "INFO",
        "component": "org.apache.hadoop.hdfs.server.datanode.DataNode",
        "message": "heartbeat ok",
        "raw": "raw",
        "log_time": timezone.now(),
        "received_at": timezone.now(),
    }
    values.update(fields)
    return SystemLog.objects.create(**values)


def visible_messages(page) -> list[str]:
    return page.locator("#result_list td.field-message_short").all_inner_texts()


def test_an_operator_logs_in_through_the_admin_form(logged_in_page):
    page = logged_in_page
    assert page.locator("#site-name").is_visible()
    assert page.get_by_role("link", name="System log lines").is_visible()
    assert page.get_by_role("link", name="API tokens").is_visible()


def test_filtering_system_logs_by_level_and_host(logged_in_page, live_server):
    add_line(host="dn01", level="ERROR", message="DiskErrorException: Too many failed volumes")
    add_line(host="dn01", level="INFO", message="heartbeat ok")
    add_line(host="dn02", level="ERROR", message="Connection refused to nn01:8020")
    page = logged_in_page
    page.get_by_role("link", name="System log lines").click()
    expect(page.locator("#result_list td.field-message_short")).to_have_count(3)

    level_filter = page.locator("details[data-filter-title='level']")
    level_filter.get_by_role("link", name="ERROR").click()
    page.wait_for_url("**level__exact=ERROR**")
    assert sorted(visible_messages(page)) == [
        "Connection refused to nn01:8020",
        "DiskErrorException: Too many failed volumes",
    ]

    host_filter = page.locator("details[data-filter-title='host']")
    host_filter.locator("input[name=host]").fill("dn01")
    host_filter.get_by_role("button", name="Apply").click()
    page.wait_for_url("**host=dn01**")
    assert visible_messages(page) == ["DiskErrorException: Too many failed volumes"]
    query = parse_qs(urlsplit(page.url).query)
    assert query["host"] == ["dn01"] and query["level__exact"] == ["ERROR"]  # kept both
    assert "more than" not in page.locator(".paginator").inner_text()
    assert page.locator(".paginator").inner_text().startswith("1 system log line")
    save_screenshot(page, "admin-system-logs-filtered")


def assert_inert(page, dialogs) -> None:
    page.wait_for_load_state("networkidle")  # a broken <img> would have fired onerror by now
    assert dialogs == []
    assert page.locator("img[src=x]").count() == 0
    injected = page.evaluate(
        "() => [...document.scripts].filter(s => s.textContent.includes('alert(')).length"
    )
    assert injected == 0


def test_hostile_log_text_renders_as_text_on_the_list_and_the_detail_page(
    logged_in_page, live_server, dialogs
):
    line = add_line(
        level="ERROR",
        message=f"{SCRIPT} {IMG}",
        trace="java.io.IOException: <img src=x onerror=alert(3)>\n\tat Foo.bar(Foo.java:1)",
        raw=f"2026-11-28 10:15:32,123 ERROR DataNode: {SCRIPT} {IMG}",
    )
    page = logged_in_page
    page.goto(f"{live_server.url}/admin/logs/systemlog/")
    assert_inert(page, dialogs)
    assert visible_messages(page) == [f"{SCRIPT} {IMG}"]

    page.goto(f"{live_server.url}/admin/logs/systemlog/{line.pk}/change/")
    assert_inert(page, dialogs)
    texts = page.locator("pre.fp-log-text").all_inner_texts()
    assert texts == [
        f"{SCRIPT} {IMG}",
        "java.io.IOException: <img src=x onerror=alert(3)>\n\tat Foo.bar(Foo.java:1)",
        f"2026-11-28 10:15:32,123 ERROR DataNode: {SCRIPT} {IMG}",
    ]
    assert page.get_by_text(SCRIPT).first.is_visible()
