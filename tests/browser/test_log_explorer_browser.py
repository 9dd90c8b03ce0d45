"""The log explorer in a real browser: search from the box, open a line's context, follow the
live tail while lines are posted to the ingest API; hostile log text stays text throughout."""

import urllib.request
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone

from faultportal.services import api_token_create
from tests.browser.conftest import expect, save_screenshot
from tests.browser.test_admin_browser import assert_inert
from tests.dashboard.pages_data import IMG, SCRIPT, add_line

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HOST = "dn07.example.com"


def post_lines(live_server, token: str, text: str) -> None:
    request = urllib.request.Request(
        f"{live_server.url}/api/log/auto-upload?host={HOST}&logtype=hdfs&token={quote(token)}",
        data=text.encode(),
        headers={"Content-Type": "text/plain"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def messages(page) -> list[str]:
    return page.locator("[data-lines] [data-message]").all_text_contents()


def test_search_context_and_live_tail(logged_in_page, live_server, dialogs):
    start = timezone.now() - timedelta(minutes=20)
    for k in range(6):
        add_line(host=HOST, log_time=start + timedelta(seconds=k), message=f"heartbeat {k}")
    add_line(
        host=HOST,
        level="ERROR",
        log_time=start + timedelta(seconds=3, milliseconds=500),
        message=f"Exception in createBlockOutputStream {SCRIPT}",
        trace=f"java.net.NoRouteToHostException: No route to host {IMG}\n\tat a.B.c(B.java:1)",
    )
    add_line(host="dn08.example.com", message="java.net.NoRouteToHostException elsewhere")
    page = logged_in_page

    # Search from the box.
    page.goto(f"{live_server.url}{reverse('dashboard-logs')}")
    page.fill("input[name=q]", "NoRouteTo*")
    page.fill("input[name=host]", "dn07*")
    page.click("form[role=search] button[type=submit]")
    expect(page.locator("[data-lines] [data-line-id]")).to_have_count(1)
    assert_inert(page, dialogs)
    assert messages(page) == [f"Exception in createBlockOutputStream {SCRIPT}"]
    trace = page.locator("[data-lines] details[data-trace]")
    expect(trace.locator("pre")).to_be_hidden()  # folded
    trace.locator("summary").click()
    expect(trace.locator("pre")).to_contain_text(f"No route to host {IMG}")
    expect(page.locator("svg[data-chart=log-matches]")).to_be_visible()
    save_screenshot(page, "log-explorer")

    # A click on the line opens its context: the neighbours on its host and stream.
    page.locator("[data-lines] a.fp-logtime").first.click()
    expect(page.locator("h1")).to_contain_text("in context")
    assert_inert(page, dialogs)
    context = page.locator("[data-context] [data-message]").all_text_contents()
    assert context == [
        "heartbeat 0",
        "heartbeat 1",
        "heartbeat 2",
        "heartbeat 3",
        f"Exception in createBlockOutputStream {SCRIPT}",
        "heartbeat 4",
        "heartbeat 5",
    ]
    expect(page.locator("[data-context] [aria-current=true] [data-message]")).to_have_text(
        f"Exception in createBlockOutputStream {SCRIPT}"
    )

    # Live tail: new matching lines appear on top as they are posted; others do not.
    page.go_back()
    expect(page.locator("[data-lines] [data-line-id]")).to_have_count(1)
    page.click("[data-tail-toggle]")
    expect(page.locator("[data-tail-toggle]")).to_have_text("Stop following")
    _, token = api_token_create(name="browser-flume", scopes="ingest")
    now = timezone.localtime()
    post_lines(live_server, token, f"{now:%Y-%m-%d %H:%M:%S},001 INFO a.B: unrelated line")
    post_lines(
        live_server,
        token,
        f"{now:%Y-%m-%d %H:%M:%S},002 WARN org.apache.hadoop.ipc.Client: "
        f"NoRouteToHostException while connecting {SCRIPT} {IMG} onerror=alert(4)",
    )
    expect(page.locator("[data-lines] [data-line-id]")).to_have_count(2, timeout=20_000)
    post_lines(
        live_server,
        token,
        f"{now:%Y-%m-%d %H:%M:%S},003 ERROR a.B: NoRouteToHostException again",
    )
    expect(page.locator("[data-lines] [data-line-id]")).to_have_count(3, timeout=20_000)
    assert messages(page) == [
        "NoRouteToHostException again",
        f"NoRouteToHostException while connecting {SCRIPT} {IMG} onerror=alert(4)",
        f"Exception in createBlockOutputStream {SCRIPT}",
    ]
    assert_inert(page, dialogs)
    # A tailed line opens its context too.
    page.locator("[data-lines] a.fp-logtime").first.click()
    expect(page.locator("[data-context] [aria-current=true] [data-message]")).to_have_text(
        "NoRouteToHostException again"
    )
