"""A host's page: its daemons and metrics, its faults, its recent WARN+ lines, its runs."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.urls import reverse

from logs.admin.links import system_logs_admin_url
from tests.dashboard.pages_data import HOSTILE, add_fault, add_line, add_run, populate

pytestmark = pytest.mark.django_db

HOST = "dn01.example.com"


@pytest.fixture
def staff_client(client):
    client.force_login(User.objects.create_user("oncall", is_staff=True))
    return client


def url(host=HOST) -> str:
    return reverse("dashboard-host", args=[host])


def page(client, host=HOST) -> BeautifulSoup:
    response = client.get(url(host))
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "html.parser")


def text(node) -> str:
    return " ".join(node.get_text(" ").split())


def test_its_daemons_states_and_latest_metrics(staff_client):
    populate(datanodes=3)
    soup = page(staff_client)
    assert [text(s) for s in soup.select(".fp-head [data-role]")] == [
        "DataNode live",
        "NodeManager RUNNING",
    ]
    cards = {card["data-role-card"]: text(card) for card in soup.select("[data-role-card]")}
    assert set(cards) == {"datanode", "nodemanager", "host"}
    assert "HDFS used 400.0 GB" in cards["datanode"]
    assert "memory allocated 2.0 GB" in cards["nodemanager"]
    assert "CPU 40.0 %" in cards["host"] and "disk used 61.5 %" in cards["host"]
    legend = text(soup.select_one("svg[data-chart=host-metrics] + .fp-legend"))
    assert "CPU now 40 %" in legend and "disk now 61.5 %" in legend
    assert "HDFS used (DataNode)" in legend
    assert len(soup.select("svg[data-chart=host-metrics] path")) == 2  # CPU and disk have data


def test_its_faults_active_first_then_the_most_recent(staff_client):
    resolved = add_fault(status="resolved", minutes_ago=1)
    older_open = add_fault(status="open", minutes_ago=600)
    acknowledged = add_fault(status="acknowledged", minutes_ago=30)
    add_fault(host="dn02.example.com", minutes_ago=1)  # another host's
    soup = page(staff_client)
    listed = [int(row["data-fault"]) for row in soup.select("#host-faults tbody tr")]
    assert listed == [acknowledged.pk, older_open.pk, resolved.pk]
    assert text(soup.select_one("#faults-title")) == "Faults (2 active)"
    link = soup.select_one(f"#host-faults tr[data-fault='{resolved.pk}'] a")
    assert link["href"] == reverse("dashboard-fault", args=[resolved.pk])


def test_its_recent_warn_and_worse_lines_newest_first(staff_client):
    error = add_line(level="ERROR", minutes_ago=5, message="DiskErrorException")
    warn = add_line(level="WARN", minutes_ago=10)
    fatal = add_line(level="FATAL", minutes_ago=20)
    add_line(level="INFO", minutes_ago=1)
    add_line(level="ERROR", minutes_ago=1, host="dn02.example.com")
    add_line(level="ERROR", minutes_ago=25 * 60)  # older than the 24 h shown
    soup = page(staff_client)
    listed = [int(row["data-line"]) for row in soup.select("#host-lines tbody tr")]
    assert listed == [error.pk, warn.pk, fatal.pk]
    first = soup.select_one(f"#host-lines tr[data-line='{error.pk}']")
    assert first.a["href"] == reverse("admin:logs_systemlog_change", args=[error.pk])
    assert text(first.select_one(".fp-log")) == "DiskErrorException"


def test_a_quiet_hosts_old_warnings_show_past_its_newer_info_lines(staff_client):
    # The (host, level, log_time) index finds WARN+ lines however many INFO lines came after.
    older = add_line(level="WARN", minutes_ago=600)
    for minute in range(1, 30):
        add_line(level="INFO", minutes_ago=minute)
    soup = page(staff_client)
    assert [int(row["data-line"]) for row in soup.select("#host-lines tbody tr")] == [older.pk]


def test_its_script_runs_and_links_into_the_admin(staff_client):
    fault = add_fault()
    run = add_run(fault=fault, exit_code=1)
    add_run(host="dn02.example.com")
    soup = page(staff_client)
    rows = soup.select("#host-runs tbody tr")
    assert len(rows) == 1
    assert rows[0].a["href"] == reverse("admin:runs_execlog_change", args=[run.pk])
    assert "Failed" in text(rows[0])
    assert rows[0].select("a")[-1]["href"] == reverse("dashboard-fault", args=[fault.pk])
    links = [a["href"] for a in soup.select(".fp-links a")]
    assert system_logs_admin_url(host=HOST) in links
    assert reverse("admin:diagnosis_faultrecord_changelist") + f"?q={HOST}" in links


def test_an_unknown_host_is_404_a_host_known_only_by_its_lines_is_shown(staff_client):
    assert staff_client.get(url("nowhere.example.com")).status_code == 404
    add_line(host="edge01.example.com", level="INFO", minutes_ago=3000)
    soup = page(staff_client, "edge01.example.com")
    assert "no status reported" in text(soup.select_one(".fp-head"))
    assert "No WARN or worse line" in text(soup.select_one("#host-lines"))


def test_any_host_name_gets_a_page_and_is_shown_as_text(staff_client):
    weird = f"dn/{HOSTILE}"
    add_line(host=weird, level="ERROR", message=HOSTILE)
    add_fault(host=weird, title=HOSTILE)
    response = staff_client.get(url(weird))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    soup = BeautifulSoup(html, "html.parser")
    assert text(soup.h1) == weird
    assert text(soup.select_one("#host-lines .fp-log")) == HOSTILE
    assert not soup.find("img")


# Queries: 1 session, 2 user, 3-5 the cluster status (cluster row, latest (role, host) groups,
# their rows), 6 the host's faults with their types, 7 the WARN+ lines, 8 its script runs, then
# one history query per charted metric: 9-11 CPU, memory and disk (pushed metrics), 12 HDFS
# used (DataNode).
HOST_PAGE_QUERIES = 12


def test_the_page_runs_a_fixed_number_of_queries(staff_client, settings, django_assert_num_queries):
    settings.CLUSTER_STATUS_CACHE_SECONDS = 0  # the status from the database in both modes
    populate(faults=36, datanodes=3)  # 12 faults and 3 lines on dn01, runs, 3 roles
    with django_assert_num_queries(HOST_PAGE_QUERIES):
        staff_client.get(url())
    populate(faults=60, datanodes=3)
    for _ in range(5):
        add_run(fault=add_fault())
    with django_assert_num_queries(HOST_PAGE_QUERIES):
        soup = page(staff_client)
    assert len(soup.select("#host-faults tbody tr")) > 30
    assert len(soup.select("#host-runs tbody tr")) == 7
