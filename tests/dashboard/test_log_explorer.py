"""The log explorer page and a line's context page: search results, filters kept in the form,
the histogram, folded traces, bad input, hostile text, and the links from host and fault pages."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from dashboard.pages.logs import log_explorer_url
from tests.dashboard.pages_data import HOSTILE, add_fault, add_line

# Committed rows: InnoDB adds a row to its FULLTEXT index at commit.
pytestmark = pytest.mark.django_db(transaction=True)

HOST = "dn01.example.com"


@pytest.fixture
def staff_client(client):
    client.force_login(User.objects.create_user("oncall", is_staff=True))
    return client


def get(client, url, status=200) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == status, response.content[:500]
    return BeautifulSoup(response.content, "html.parser")


def text(node) -> str:
    return " ".join(node.get_text(" ").split())


def test_search_shows_matching_lines_newest_first_with_traces_folded(staff_client):
    add_line(
        minutes_ago=30,
        message="Exception in createBlockOutputStream",
        trace="java.net.NoRouteToHostException: No route to host\n\tat a.b.C.d(C.java:1)",
        level="ERROR",
    )
    add_line(minutes_ago=10, message="java.net.NoRouteToHostException again", level="WARN")
    add_line(minutes_ago=5, message="unrelated line")
    add_line(minutes_ago=20, message="NoRouteToHostException elsewhere", host="dn02.example.com")
    soup = get(staff_client, log_explorer_url(q="NoRouteTo*", host=HOST))
    lines = soup.select("[data-lines] [data-line-id]")
    assert [text(line.select_one("[data-message]")) for line in lines] == [
        "java.net.NoRouteToHostException again",
        "Exception in createBlockOutputStream",
    ]
    folded = lines[1].select_one("details[data-trace]")
    assert folded is not None and not folded.has_attr("open")
    assert text(folded.select_one("summary")) == "trace (2 lines)"
    # The form keeps what was searched; each line links to its context.
    assert soup.select_one("input[name=q]")["value"] == "NoRouteTo*"
    assert soup.select_one("input[name=host]")["value"] == HOST
    context_link = lines[0].select_one("a.fp-logtime")["href"]
    assert context_link == reverse("dashboard-log-context", args=[int(lines[0]["data-line-id"])])
    # The histogram counts the two matches.
    chart = soup.select_one("svg[data-chart=log-matches]")
    assert chart is not None
    assert "matching lines 2" in text(soup.select_one("svg[data-chart=log-matches] + .fp-legend"))
    # The live tail starts after the newest line there was when the page was drawn.
    tail = soup.select_one("[data-tail-toggle]")
    assert parse_qs(tail["data-query"]) == {"q": ["NoRouteTo*"], "host": [HOST]}
    assert int(tail["data-after"]) >= int(lines[0]["data-line-id"])


def test_older_pages_follow_the_cursor(staff_client):
    for k in range(60):
        add_line(minutes_ago=60 - k, message=f"PacketResponder {k} terminating")
    soup = get(staff_client, log_explorer_url(q="PacketResponder"))
    first = [text(n) for n in soup.select("[data-lines] [data-message]")]
    assert first == [f"PacketResponder {k} terminating" for k in range(59, 9, -1)]
    older = soup.select_one("a[data-older]")["href"]
    soup = get(staff_client, older)
    assert [text(n) for n in soup.select("[data-lines] [data-message]")] == [
        f"PacketResponder {k} terminating" for k in range(9, -1, -1)
    ]
    assert soup.select_one("a[data-older]") is None


def test_bad_input_is_a_400_page_that_says_what_to_change(staff_client):
    soup = get(staff_client, log_explorer_url(q='"unclosed', level="LOUD"), status=400)
    errors = text(soup.select_one("[data-search-errors]"))
    assert "q: A phrase is not closed" in errors and "level: One of" in errors, errors
    assert soup.select_one("input[name=q]")["value"] == '"unclosed'


def test_hostile_log_text_stays_text(staff_client):
    add_line(message=f"bad {HOSTILE}", trace=HOSTILE, host=f"dn/{HOSTILE}")
    response = staff_client.get(log_explorer_url(q="onerror=alert(2)"))
    html = response.content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    soup = BeautifulSoup(html, "html.parser")
    assert text(soup.select_one("[data-lines] [data-message]")) == f"bad {HOSTILE}"
    line_id = soup.select_one("[data-lines] [data-line-id]")["data-line-id"]
    html = staff_client.get(reverse("dashboard-log-context", args=[line_id])).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html


def test_context_page_shows_the_neighbours_with_the_line_marked(staff_client):
    start = timezone.now() - timedelta(minutes=30)
    rows = [
        add_line(log_time=start + timedelta(seconds=k), message=f"stream {k}", source_file="/a")
        for k in range(8)
    ]
    add_line(log_time=start + timedelta(seconds=3), message="other file", source_file="/b")
    soup = get(staff_client, reverse("dashboard-log-context", args=[rows[4].id]))
    assert [text(n) for n in soup.select("[data-context] [data-message]")] == [
        f"stream {k}" for k in range(8)
    ]
    current = soup.select("[data-context] [aria-current=true]")
    assert [text(n.select_one("[data-message]")) for n in current] == ["stream 4"]
    assert get(staff_client, reverse("dashboard-log-context", args=[10**9]), status=404)


@pytest.mark.django_db  # in a transaction: the fault types loaded by the migration stay
def test_host_and_fault_pages_link_into_the_explorer_with_the_filter_filled_in(staff_client):
    add_line(message="x")
    fault = add_fault(host=HOST)
    soup = get(staff_client, reverse("dashboard-host", args=[HOST]))
    link = urlsplit(soup.select_one("a[data-explore]")["href"])
    assert link.path == reverse("dashboard-logs")
    assert parse_qs(link.query) == {"host": [HOST], "since": ["24h"]}

    soup = get(staff_client, reverse("dashboard-fault", args=[fault.pk]))
    link = urlsplit(soup.select_one("a[data-explore]")["href"])
    query = parse_qs(link.query)
    assert query["host"] == [HOST] and query["level"] == ["WARN"]
    assert query["from"] == [
        (fault.first_seen - timedelta(minutes=5)).replace(microsecond=0).isoformat()
    ]
    # The link's page opens with those filters.
    soup = get(staff_client, soup.select_one("a[data-explore]")["href"])
    assert soup.select_one("select[name=level] option[selected]")["value"] == "WARN"


def test_the_explorer_is_for_staff_only(client):
    response = client.get(reverse("dashboard-logs"))
    assert response.status_code == 302 and "/login/" in response["Location"]
