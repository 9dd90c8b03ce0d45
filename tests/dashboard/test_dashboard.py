"""The dashboard: what an operator sees first, and what it costs the database."""

import re
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from diagnosis.models import FaultRecord
from rca.run import fault_diagnose
from tests.cluster.snapshots import GB, store_snapshot
from tests.dashboard.pages_data import HOSTILE, add_fault, add_line, populate

pytestmark = pytest.mark.django_db

URL = reverse("dashboard")


@pytest.fixture
def staff_client(client):
    client.force_login(User.objects.create_user("oncall", is_staff=True))
    return client


def page(client, url=URL) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "html.parser")


def text(node) -> str:
    return " ".join(node.get_text(" ").split())


def part(soup, figure: str, key: str) -> str:
    return text(soup.select_one(f"[data-figure={figure}] [data-part={key}] b"))


# --- access -------------------------------------------------------------------------------------


def test_the_root_url_leads_to_the_dashboard(staff_client):
    response = staff_client.get("/")
    assert response.status_code == 302 and response["Location"] == URL


@pytest.mark.parametrize(
    "url", [URL, reverse("dashboard-host", args=["dn01"]), reverse("dashboard-fault", args=[1])]
)
def test_pages_send_anonymous_and_non_staff_users_to_the_admin_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={url}"
    client.force_login(User.objects.create_user("visitor"))  # logged in, not staff
    assert client.get(url)["Location"].startswith(reverse("admin:login"))


def test_a_viewer_sees_the_dashboard(client):
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.groups.add(Group.objects.get(name="viewer"))  # read-only staff
    client.force_login(viewer)
    assert client.get(URL).status_code == 200


# --- the cluster summary ------------------------------------------------------------------------


def test_the_summary_shows_the_latest_snapshot(staff_client):
    store_snapshot(at=timezone.now() - timedelta(hours=1), datanodes=9, capacity_used_pct=10.0)
    store_snapshot(
        datanodes=9,
        live=7,
        stale_datanodes=1,
        capacity_used_pct=77.79,
        capacity_used_bytes=2300 * GB,
        capacity_total_bytes=3000 * GB,
        capacity_remaining_bytes=650 * GB,
        missing_blocks=2,
        corrupt_blocks=1,
        under_replicated_blocks=1234,
        pending_deletion_blocks=5,
        safe_mode=True,
        memory_total_mb=100 * 1024,
        memory_allocated_mb=25 * 1024,
        vcores_total=200,
        vcores_allocated=150,
        apps_running=15,
        apps_pending=3,
        apps_failed=672,
        nodemanagers_active=8,
        nodemanagers_lost=1,
        nodemanagers_unhealthy=0,
    )
    soup = page(staff_client)
    capacity = soup.select_one("[data-figure=capacity]")
    assert text(capacity.select_one("[data-headline]")) == "77.8 %"
    assert "tone-warn" in capacity["class"]  # Ambari: warning from 75 %, critical from 80 %
    assert "2.2 TB of 2.9 TB used" in text(capacity)
    assert part(soup, "datanodes", "live") == "7"
    assert part(soup, "datanodes", "dead") == "2"
    assert part(soup, "datanodes", "stale") == "1"
    assert part(soup, "blocks", "missing") == "2"
    assert part(soup, "blocks", "corrupt") == "1"
    assert part(soup, "blocks", "under_replicated") == "1,234"
    assert part(soup, "namenode", "safe_mode") == "ON"
    assert text(soup.select_one("[data-figure=namenode] [data-headline]")) == "nn1.example.com"
    assert text(soup.select_one("[data-figure=yarn_memory] [data-headline]")) == "25.0 %"
    assert text(soup.select_one("[data-figure=yarn_vcores] [data-headline]")) == "75.0 %"
    assert part(soup, "apps", "running") == "15"
    assert part(soup, "apps", "pending") == "3"
    assert part(soup, "apps", "failed") == "672"
    assert part(soup, "nodemanagers", "active") == "8"
    assert part(soup, "nodemanagers", "lost") == "1"
    assert soup.select("[data-banner]") == []


def test_no_snapshot_yet_says_how_to_run_the_collector(staff_client):
    soup = page(staff_client)
    banner = text(soup.select_one("[data-banner]"))
    assert "No cluster snapshot yet" in banner
    assert "manage.py collect_cluster_status --namenode" in banner
    assert soup.select("[data-figure]") == []


def test_old_data_gets_a_stale_banner_computed_at_render_time(staff_client, settings):
    settings.CLUSTER_STATUS_STALE_SECONDS = 300
    store_snapshot(at=timezone.now() - timedelta(minutes=4))
    assert page(staff_client).select("[data-banner]") == []
    # The same snapshot (with Redis, the same cached answer) judged against a shorter limit:
    # staleness is decided when the page is drawn, never cached with the data.
    settings.CLUSTER_STATUS_STALE_SECONDS = 200
    banner = text(page(staff_client).select_one("[data-banner]"))
    assert "stale" in banner and "4 min" in banner and "200 s" in banner


def test_an_unreachable_namenode_or_resourcemanager_gets_a_banner(staff_client):
    store_snapshot(
        reachable=False,
        error="NameNode nn2.example.com:9870 unreachable: connection refused",
        details={
            "namenodes": {"nn1.example.com": "active", "nn2.example.com": "unreachable"},
            "resourcemanagers": {"rm1.example.com": "unreachable"},
        },
    )
    banner = page(staff_client).select_one("[data-banner]")
    assert "tone-bad" in banner["class"]
    assert "NameNode nn2.example.com, ResourceManager rm1.example.com unreachable." in text(banner)
    assert "connection refused" in text(banner)


def test_the_node_table_lists_each_host_with_its_roles_states_and_metrics(staff_client):
    populate(datanodes=3)
    soup = page(staff_client)
    rows = {row["data-host"]: row for row in soup.select("#node-table tbody tr")}
    assert list(rows) == [
        "nn1.example.com",
        "nn2.example.com",
        "dn01.example.com",
        "dn02.example.com",
        "dn03.example.com",
    ]
    dn03 = rows["dn03.example.com"]
    assert [text(s) for s in dn03.select("[data-role]")] == [
        "DataNode dead",
        "NodeManager RUNNING",
    ]
    assert "tone-bad" in dn03.select_one("[data-role=datanode]")["class"]
    assert "61.5 %" in text(dn03)  # pushed disk use
    link = dn03.select_one("a")["href"]
    assert link == reverse("dashboard-host", args=["dn03.example.com"])


# --- faults ---------------------------------------------------------------------------------------


def test_open_faults_are_counted_by_severity_and_linked(staff_client):
    populate(faults=36)
    soup = page(staff_client)
    for severity in ("critical", "major", "minor", "warning", "info"):
        row = soup.select_one(f"#fault-counts tr[data-severity={severity}]")
        for status in ("open", "acknowledged"):
            expected = FaultRecord.objects.filter(severity=severity, status=status).count()
            cell = row.select_one(f"[data-status={status}]")
            assert text(cell) == str(expected)
            if expected:
                assert cell.a["href"] == (
                    reverse("admin:diagnosis_faultrecord_changelist")
                    + f"?severity__exact={severity}&status__exact={status}"
                )


def test_the_newest_active_faults_link_to_their_pages(staff_client):
    old = add_fault(title="Old fault", minutes_ago=300)
    new = add_fault(title="New fault", minutes_ago=1)
    add_fault(title="Resolved fault", status="resolved", minutes_ago=0)
    soup = page(staff_client)
    listed = [int(row["data-fault"]) for row in soup.select("#newest-faults tbody tr")]
    assert listed == [new.pk, old.pk]
    link = soup.select_one(f"#newest-faults tr[data-fault='{new.pk}'] td:nth-of-type(4) a")
    assert link["href"] == reverse("dashboard-fault", args=[new.pk])
    assert text(link) == "New fault"


# --- log volume -----------------------------------------------------------------------------------


def test_the_log_volume_chart_counts_lines_per_level_and_hour(staff_client):
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    for at, level in [
        (hour + timedelta(seconds=10), "ERROR"),  # the current hour
        (hour + timedelta(seconds=20), "ERROR"),
        (hour - timedelta(minutes=90), "WARN"),  # a completed hour
        (hour - timedelta(minutes=90), "INFO"),
        (hour - timedelta(hours=25), "ERROR"),  # before the 24 h window
    ]:
        add_line(level=level, log_time=at)
    add_line(level="UNKNOWN", log_time=None)  # no time: on no time axis
    soup = page(staff_client)
    assert text(soup.select_one("#log-volume .fp-legend")) == "ERROR 2 WARN 1 INFO 1"
    bars = [bar.title.string for bar in soup.select("svg[data-chart=volume-all] rect")]
    assert len(bars) == 3
    assert bars[0].endswith(": 1 WARN") and bars[1].endswith(": 1 INFO")
    assert bars[2].endswith("(so far): 2 ERROR")
    severe = [bar.title.string for bar in soup.select("svg[data-chart=volume-severe] rect")]
    assert [b.rsplit(": ", 1)[1] for b in severe] == ["1 WARN", "2 ERROR"]


# --- no request leaves the portal; hostile text stays text ---------------------------------------


def test_the_pages_reference_nothing_outside_the_portal(staff_client):
    populate()
    fault = FaultRecord.objects.filter(host="dn01.example.com").first()
    fault_diagnose(fault=fault, actor="oncall", use_llm=False)
    for url in (
        URL,
        reverse("dashboard-host", args=["dn01.example.com"]),
        reverse("dashboard-fault", args=[fault.pk]),
    ):
        html = staff_client.get(url).content.decode()
        assert re.findall(r"https?://", html) == [], url  # inline SVG needs no xmlns either
        soup = BeautifulSoup(html, "html.parser")
        for tag, attribute in (("script", "src"), ("link", "href"), ("img", "src")):
            for node in soup.find_all(tag):
                if node.get(attribute):
                    assert node[attribute].startswith("/static/"), node
        assert not soup.select("[onload], [onclick], [onerror]")  # no inline handlers (CSP)
        assert [s for s in soup.find_all("script") if s.string] == []  # no inline script


def test_hostile_text_from_logs_is_escaped(staff_client):
    store_snapshot(error=HOSTILE, reachable=False)
    add_fault(title=HOSTILE, host=HOSTILE)
    html = staff_client.get(URL).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find("img")
    assert HOSTILE in text(soup.select_one("#newest-faults"))


# --- queries --------------------------------------------------------------------------------------

# Every render: 1 session, 2 user, the cluster status (3 the latest cluster row, 4 the latest
# (role, host) groups, 5 those rows), 6 the capacity history, 7 active faults by severity and
# status, 8 the newest active faults with their types (one join), 9 the HDFS capacity threshold
# (colours and chart guides: the operator's edit shows at once), 10 the incidents with their
# fault counts and top causes (one GROUP BY), then the log volume: one query per hour not in the
# cache, always the current hour.
RENDER_QUERIES = 10


def unreadable_count_queries() -> int:
    """What the cold count of lines in no known layout costs: the newest and oldest ids, a
    binary search of the primary key for the first line received in the last 24 h (a point
    read per step, ~log2 of the ids), one GROUP BY host. Cached for a minute afterwards."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from logs.selectors import log_unreadable_by_host, log_unreadable_forget

    log_unreadable_forget()
    with CaptureQueriesContext(connection) as probe:
        log_unreadable_by_host(since=timezone.now() - timedelta(hours=24))
    log_unreadable_forget()
    assert len(probe) <= 3 + 64  # a 64-bit id space halves at most 64 times
    return len(probe)


def test_the_dashboard_runs_a_fixed_number_of_queries(
    staff_client, settings, django_assert_num_queries
):
    settings.CLUSTER_STATUS_CACHE_SECONDS = 0  # the status from the database in both modes
    populate(faults=36, datanodes=5)  # 5 hosts x 3 roles, 36 faults: a query per row would show
    # cold: 23 completed hours + this one, and the count of lines in no known layout (issue 13)
    with django_assert_num_queries(RENDER_QUERIES + 24 + unreadable_count_queries()):
        staff_client.get(URL)
    with django_assert_num_queries(RENDER_QUERIES + 1):  # warm: the current hour only
        staff_client.get(URL)
    populate(faults=40, datanodes=8)  # more of everything: the same queries
    with django_assert_num_queries(RENDER_QUERIES + 1):
        response = staff_client.get(URL)
    assert len(BeautifulSoup(response.content, "html.parser").select("#node-table tbody tr")) == 10


@pytest.mark.redis
def test_with_a_shared_cache_the_status_costs_no_query(
    staff_client, real_redis_cache, django_assert_num_queries
):
    populate(faults=36, datanodes=5)
    staff_client.get(URL)  # builds and caches the status answer (and the log volume)
    # session, user, capacity history, threshold, fault counts, newest faults, incidents, current
    # hour: the three status queries are answered by the cache GET /api/cluster/status also reads.
    with django_assert_num_queries(RENDER_QUERIES - 3 + 1):
        staff_client.get(URL)


def test_figures_a_snapshot_lacks_are_shown_as_dashes_not_zero(staff_client):
    # A collector with no ResourceManager configured, and a NameNode without an active one.
    nulls = dict.fromkeys(
        [
            "capacity_total_bytes",
            "capacity_used_bytes",
            "capacity_remaining_bytes",
            "capacity_used_pct",
            "live_datanodes",
            "dead_datanodes",
            "stale_datanodes",
            "missing_blocks",
            "corrupt_blocks",
            "under_replicated_blocks",
            "safe_mode",
            "apps_running",
            "memory_total_mb",
            "memory_allocated_mb",
            "vcores_total",
            "nodemanagers_active",
            "nodemanagers_lost",
        ]
    )
    store_snapshot(active_namenode="", **nulls)
    soup = page(staff_client)
    assert text(soup.select_one("[data-figure=capacity] [data-headline]")) == "—"
    assert part(soup, "datanodes", "dead") == "—"
    assert part(soup, "namenode", "safe_mode") == "—"
    assert text(soup.select_one("[data-figure=namenode] [data-headline]")) == "none"
    assert text(soup.select_one("[data-figure=yarn_memory] [data-headline]")) == "—"
    assert part(soup, "nodemanagers", "lost") == "—"
