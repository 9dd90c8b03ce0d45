"""Lines in no known layout are visible: the dashboard's count per host (last 24 h) with links,
and the "Log layouts" admin page with its preview against recent unreadable lines."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from logs import layout_cache
from logs.models import LogLayout, SystemLog
from logs.parsing import preprocess_log
from logs.selectors import (
    log_unreadable_by_host,
    log_unreadable_forget,
    system_log_first_id_received_since,
)
from logs.services import system_logs_ingest

pytestmark = pytest.mark.django_db

KAFKA = "[2026-11-28 10:15:37,000] ERROR [KafkaApi-1] Error when handling request (kafka.server.X)"
HOSTILE = "[2026-11-28 10:15:38,000] WARN <script>alert(1)</script> (kafka.<b>x</b>)"
DEFAULT = "2026-11-28 10:15:32,123 INFO org.a.B: a line in a known layout"
FRAME = "\tat org.a.B.c(B.java:1)"


def store(lines, *, host, hours_ago=0.0):
    received = timezone.now() - timedelta(hours=hours_ago)
    system_logs_ingest(
        lines=[
            preprocess_log(line, host=host, logtype="kafka", received_at=received) for line in lines
        ]
    )


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.content[:300]
    return BeautifulSoup(response.content, "html.parser")


@pytest.fixture(autouse=True)
def _no_layouts():
    layout_cache.log_layouts_invalidate()
    log_unreadable_forget()


def test_the_first_line_received_since_is_found_by_a_binary_search_of_the_ids():
    for hours in (50, 30, 25, 23, 10, 1, 0):
        store([DEFAULT], host="dn01", hours_ago=hours)
    ids = list(SystemLog.objects.order_by("pk").values_list("pk", "received_at"))
    now = timezone.now()
    for hours in (60, 24, 12, 0.5):
        since = now - timedelta(hours=hours)
        expected = next(pk for pk, received in ids if received >= since)
        found = system_log_first_id_received_since(since=since)
        assert not SystemLog.objects.filter(pk__gte=found, received_at__lt=since).exists()
        assert found <= expected
    assert system_log_first_id_received_since(since=now + timedelta(hours=1)) is None


def test_unreadable_lines_of_the_last_24_hours_are_counted_per_host():
    store([KAFKA] * 5, host="kafka03", hours_ago=30)  # older than a day (ids grow with receipt)
    store([KAFKA, KAFKA, DEFAULT], host="kafka01")
    store([KAFKA, FRAME], host="kafka02")  # a lone stack-trace line is no unknown layout
    store([DEFAULT], host="dn01")
    since = timezone.now() - timedelta(hours=24)
    assert log_unreadable_by_host(since=since) == [("kafka01", 2), ("kafka02", 1)]


def test_the_dashboard_shows_them_per_host_linking_to_the_lines_and_the_layout_page(
    admin_client,
):
    store([KAFKA, KAFKA, HOSTILE], host="kafka01")
    store([KAFKA], host="<kafka02>")
    page = soup(admin_client.get(reverse("dashboard")))
    card = page.select_one("#unreadable-lines")
    assert card.select_one("[data-unreadable-total]").get_text() == "4"
    rows = card.select("#unreadable-hosts tbody tr")
    assert [(r["data-host"], r.select("td")[1].get_text()) for r in rows] == [
        ("kafka01", "3"),
        ("<kafka02>", "1"),
    ]
    assert b"<kafka02>" not in admin_client.get(reverse("dashboard")).content  # escaped
    link = rows[0].select_one("a")["href"]
    query = parse_qs(urlsplit(link).query)
    assert query == {"level__exact": ["UNKNOWN"], "host": ["kafka01"]}
    listed = soup(admin_client.get(link))
    assert len(listed.select("#result_list tbody tr")) == 3
    hrefs = [a["href"] for a in card.select("a")]
    assert reverse("admin:logs_loglayout_changelist") in hrefs
    assert reverse("admin:logs_loglayout_preview") in hrefs


def test_the_dashboard_says_so_when_every_line_was_read(admin_client):
    store([DEFAULT], host="dn01")
    page = soup(admin_client.get(reverse("dashboard")))
    assert page.select_one("#unreadable-none") is not None


def test_the_preview_reads_recent_unreadable_lines_and_offers_to_add_the_layout(admin_client):
    store([KAFKA, HOSTILE, "some other layout entirely", DEFAULT, FRAME], host="kafka01")
    url = reverse("admin:logs_loglayout_preview")
    page = soup(admin_client.get(url, {"pattern": "[%d] %p %m (%c)%n"}))
    assert page.select_one("#preview-summary").get_text().startswith("2 of 3 recent")
    read = page.select("#preview-lines tr.preview-read")
    cells = [[td.get_text() for td in row.select("td")] for row in read]
    assert [cells[1][i] for i in (0, 1, 3, 4)] == ["kafka01", "read", "ERROR", "kafka.server.X"]
    assert cells[0][3:5] == ["WARN", "kafka.<b>x</b>"]  # shown as text, never as markup
    assert page.select_one("#preview-lines script") is None
    assert [r.select("td")[-1].get_text() for r in page.select("tr.preview-unread")] == [
        "some other layout entirely"
    ]
    add = page.select_one("#preview-add")["href"]
    assert parse_qs(urlsplit(add).query) == {"pattern": ["[%d] %p %m (%c)%n"]}
    form = soup(admin_client.get(add))
    assert form.select_one("textarea[name=pattern]").get_text().strip() == "[%d] %p %m (%c)%n"


def test_the_preview_refuses_a_bad_pattern_naming_the_part(admin_client):
    page = soup(admin_client.get(reverse("admin:logs_loglayout_preview"), {"pattern": "%d %q"}))
    assert "%q at character 4: unknown conversion character" in page.get_text()
    assert page.select_one("#preview-summary") is None


def test_saving_a_layout_in_the_admin_refuses_what_cannot_be_read(admin_client):
    url = reverse("admin:logs_loglayout_add")
    data = {"name": "kafka", "pattern": "[%d] %p %m (%c", "enabled": "on", "position": "100"}
    data["pattern"] = "[%d] %p %m (%c{2)%n"
    page = soup(admin_client.post(url, data))
    assert "the option opened by { is not closed by }" in page.get_text()
    assert not LogLayout.objects.exists()


def test_a_layout_saved_in_the_admin_is_read_by_ingestion_without_a_restart(
    admin_client, make_token
):
    from rest_framework.test import APIClient

    token = make_token("ingest")
    api = APIClient()

    def send(line):
        response = api.generic(
            "POST",
            f"/api/log/auto-upload?token={token}&host=kafka01&logtype=kafka",
            line.encode(),
            content_type="text/plain",
        )
        assert response.status_code == 200

    send(KAFKA)
    assert SystemLog.objects.get().level == "UNKNOWN"
    pasted = "log4j.appender.kafkaAppender.layout.ConversionPattern=[%d] %p %m (%c)%n"
    response = admin_client.post(
        reverse("admin:logs_loglayout_add"),
        {"name": "kafka", "pattern": pasted, "enabled": "on", "position": "100"},
    )
    assert response.status_code == 302, response.content[:500]
    assert LogLayout.objects.get().pattern == "[%d] %p %m (%c)%n"
    send(KAFKA)
    newest = SystemLog.objects.order_by("-id").first()
    assert (newest.level, newest.component) == ("ERROR", "kafka.server.X")
    assert newest.message == "[KafkaApi-1] Error when handling request"


def test_the_layout_list_shows_the_built_ins_and_the_hosts_with_unreadable_lines(admin_client):
    store([KAFKA], host="kafka01")
    LogLayout.objects.create(name="zk-trace", pattern="%d{ISO8601} - %-5p [%t:%C{1}@%L][%x] - %m%n")
    page = soup(admin_client.get(reverse("admin:logs_loglayout_changelist")))
    built_in = page.select_one("#built-in-layouts").get_text()
    assert "%d{ISO8601} %-5p [%t] %c{2} (%F:%M(%L)) - %m%n" in built_in
    assert page.select_one("#unreadable-hosts").get_text().strip() == "kafka01: 1 line"
    assert "zk-trace" in page.select_one("#result_list").get_text()


def test_operators_add_layouts_and_viewers_only_see_them(client):
    from django.contrib.auth.models import Group, User

    operator = User.objects.create_user("op", is_staff=True)
    operator.groups.add(Group.objects.get(name="operator"))
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.groups.add(Group.objects.get(name="viewer"))
    add = reverse("admin:logs_loglayout_add")
    preview = reverse("admin:logs_loglayout_preview")

    client.force_login(viewer)
    assert client.get(reverse("admin:logs_loglayout_changelist")).status_code == 200
    assert client.get(preview, {"pattern": "[%d] %p %m%n"}).status_code == 200
    assert client.get(add).status_code == 403

    client.force_login(operator)
    response = client.post(add, {"name": "k", "pattern": "[%d] %p %m%n", "position": "100"})
    assert response.status_code == 302
    assert LogLayout.objects.get().name == "k"
