"""Issue 13 in a real browser: from the dashboard's count of lines in no known layout, through
the layout preview, to a saved layout that ingestion reads at once."""

import urllib.request

import pytest
from django.utils import timezone

from faultportal.services import api_token_create
from logs.models import LogLayout, SystemLog
from logs.parsing import preprocess_log
from logs.services import system_logs_ingest
from tests.browser.conftest import expect, save_screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

KAFKA = "[2026-11-28 10:15:37,000] ERROR [KafkaApi-1] Error when handling request (kafka.server.X)"
HOSTILE = (
    "[2026-11-28 10:15:38,000] WARN <script>alert(1)</script> (kafka.<img/src=x/onerror=alert(2)>)"
)


def test_an_operator_goes_from_unreadable_lines_to_a_layout_ingestion_reads(
    logged_in_page, live_server, dialogs
):
    from logs.layout_cache import log_layouts_invalidate
    from logs.selectors import log_unreadable_forget

    log_layouts_invalidate()
    log_unreadable_forget()
    now = timezone.now()
    system_logs_ingest(
        lines=[
            preprocess_log(line, host="kafka01", logtype="kafka", received_at=now)
            for line in (KAFKA, HOSTILE)
        ]
    )
    page = logged_in_page
    page.goto(f"{live_server.url}/dashboard/")
    card = page.locator("#unreadable-lines")
    expect(card.locator("[data-unreadable-total]")).to_have_text("2")
    expect(card.locator("#unreadable-hosts tr[data-host='kafka01'] td.num")).to_have_text("2")
    save_screenshot(page, "dashboard-unreadable-lines")

    card.get_by_role("link", name="Add their layout").click()
    page.fill("textarea[name=pattern]", "[%d] %p %m (%c)%n")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-summary")).to_contain_text("2 of 2 recent unreadable lines")
    cells = page.locator("#preview-lines tr.preview-read td")
    expect(cells.nth(4)).to_have_text("kafka.<img/src=x/onerror=alert(2)>")  # text, not markup
    save_screenshot(page, "log-layout-preview")

    page.locator("#preview-add").click()
    page.fill("#id_name", "kafka")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#result_list")).to_contain_text("kafka")
    assert LogLayout.objects.get().pattern == "[%d] %p %m (%c)%n"
    assert dialogs == []  # no hostile text ran anywhere on the way

    # the next line is read with it, without a restart
    _, token = api_token_create(name="kafka-sink", scopes="ingest")
    request = urllib.request.Request(
        f"{live_server.url}/api/log/auto-upload?token={token}&host=kafka01&logtype=kafka",
        data=KAFKA.encode(),
        headers={"Content-Type": "text/plain"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    newest = SystemLog.objects.order_by("-id").first()
    assert (newest.level, newest.component) == ("ERROR", "kafka.server.X")
