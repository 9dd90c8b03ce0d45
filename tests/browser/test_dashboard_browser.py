"""The dashboard in a real browser: its numbers are the database's, a fault goes from the
dashboard to the admin and back, hostile log text stays text, the page refreshes itself."""

import re

import pytest
from django.db.models import Count
from django.urls import reverse

from cluster.cache import status_cache_invalidate
from cluster.models import ClusterStatus
from diagnosis.models import FaultRecord
from logs.volume import log_volume_forget
from tests.browser.conftest import ADMIN_USERNAME, expect, save_screenshot
from tests.browser.test_admin_browser import assert_inert
from tests.cluster.snapshots import GB, store_snapshot
from tests.dashboard.pages_data import HOSTILE, IMG, SCRIPT, add_fault, add_line, populate

pytestmark = [
    pytest.mark.browser,
    # Each test starts from the migrated data (fault catalogue, groups): a transactional
    # test empties every table when it ends.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _fresh_caches():
    status_cache_invalidate()
    log_volume_forget()
    yield


def open_dashboard(page, live_server):
    page.goto(f"{live_server.url}{reverse('dashboard')}")
    expect(page.locator("h1")).to_have_text("Cluster")


def test_the_dashboards_numbers_are_the_databases(logged_in_page, live_server):
    populate(faults=37, datanodes=6)
    store_snapshot(
        datanodes=6,
        live=5,
        capacity_used_pct=81.234,
        capacity_used_bytes=2437 * GB,
        capacity_total_bytes=3000 * GB,
        missing_blocks=3,
    )
    page = logged_in_page
    open_dashboard(page, live_server)

    latest = ClusterStatus.objects.filter(scope="cluster").latest("collected_at", "id")
    capacity = page.locator("[data-figure=capacity] [data-headline]")
    expect(capacity).to_have_text(f"{latest.capacity_used_pct:.1f} %")
    datanodes = page.locator("[data-figure=datanodes]")
    expect(datanodes.locator("[data-part=live] b")).to_have_text(str(latest.live_datanodes))
    expect(datanodes.locator("[data-part=dead] b")).to_have_text(str(latest.dead_datanodes))
    expect(page.locator("[data-figure=blocks] [data-part=missing] b")).to_have_text("3")

    expected = {
        (row["severity"], row["status"]): row["n"]
        for row in FaultRecord.objects.values("severity", "status").annotate(n=Count("id"))
    }
    for severity in ("critical", "major", "minor", "warning", "info"):
        row = page.locator(f"#fault-counts tr[data-severity={severity}]")
        for status in ("open", "acknowledged"):
            cell = row.locator(f"[data-status={status}]")
            expect(cell).to_have_text(str(expected.get((severity, status), 0)))

    hosts = set(
        ClusterStatus.objects.filter(scope="node").values_list("host", flat=True).distinct()
    )
    assert (
        set(
            page.locator("#node-table tbody tr").evaluate_all(
                "rows => rows.map(r => r.dataset.host)"
            )
        )
        == hosts
    )
    save_screenshot(page, "dashboard-test-data")


def test_open_a_fault_acknowledge_it_in_the_admin_and_see_it_on_the_dashboard(
    logged_in_page, live_server
):
    store_snapshot(datanodes=3)
    fault = add_fault(title="DataNode on dn02 out of file descriptors", host="dn02.example.com")
    add_fault(title="An older fault", minutes_ago=600)
    page = logged_in_page
    open_dashboard(page, live_server)

    page.locator("#newest-faults").get_by_role("link", name=fault.title).click()
    page.wait_for_url(f"**{reverse('dashboard-fault', args=[fault.pk])}")
    fault_page = page.url
    expect(page.locator("[data-status]")).to_have_text("Open")

    page.get_by_role("link", name="Open in the admin").click()
    page.wait_for_url(f"**{reverse('admin:diagnosis_faultrecord_change', args=[fault.pk])}")
    page.locator("button[data-transition=acknowledged]").click()
    expect(page.locator(".messagelist")).to_contain_text(f"Fault #{fault.pk} acknowledged.")

    page.get_by_role("link", name="View on site").click()
    page.wait_for_url(fault_page)
    expect(page.locator("[data-status]")).to_have_text("Acknowledged")
    expect(page.locator("[data-status-text]")).to_contain_text(f"by {ADMIN_USERNAME}")
    fault.refresh_from_db()
    assert fault.status == "acknowledged" and fault.acknowledged_by == ADMIN_USERNAME

    # The list's bulk action, reached from the fault page, does the same for the next step.
    page.get_by_role("link", name=re.compile("admin actions")).click()
    page.locator("input.action-select").check()
    page.select_option("select[name=action]", "resolve")
    page.click("button[name=index]")
    expect(page.locator(".messagelist")).to_contain_text("1 fault(s) resolved.")
    page.goto(fault_page)
    expect(page.locator("[data-status]")).to_have_text("Resolved")

    open_dashboard(page, live_server)
    expect(page.locator(f"#newest-faults tr[data-fault='{fault.pk}']")).to_have_count(0)


def test_hostile_log_text_renders_as_text_on_the_dashboard_host_and_fault_pages(
    logged_in_page, live_server, dialogs
):
    store_snapshot(datanodes=2, reachable=False, error=f"NameNode said {HOSTILE}")
    line = add_line(host="dn01.example.com", level="ERROR", message=HOSTILE, raw=HOSTILE)
    fault = add_fault(
        host="dn01.example.com",
        title=f"Fault {HOSTILE}",
        first_log=line,
        latest_log=line,
        first_sample=HOSTILE,
        latest_sample=HOSTILE,
    )
    page = logged_in_page
    for url in (
        reverse("dashboard"),
        reverse("dashboard-host", args=["dn01.example.com"]),
        reverse("dashboard-fault", args=[fault.pk]),
    ):
        page.goto(f"{live_server.url}{url}")
        assert_inert(page, dialogs)
        assert page.get_by_text(SCRIPT).first.is_visible(), url
        assert page.get_by_text(IMG).first.is_visible(), url
        assert page.locator("img").count() == 0, url


def test_the_dashboard_refreshes_itself_without_a_reload(logged_in_page, live_server, settings):
    settings.DASHBOARD_REFRESH_SECONDS = 1
    store_snapshot(datanodes=3)
    page = logged_in_page
    open_dashboard(page, live_server)
    page.evaluate("() => { window.notReloaded = true; }")
    expect(page.locator("#newest-faults")).to_have_count(0)

    fault = add_fault(title="Fault raised while the page was open")
    expect(page.locator(f"#newest-faults tr[data-fault='{fault.pk}']")).to_have_count(
        1, timeout=10_000
    )
    assert page.evaluate("() => window.notReloaded") is True  # the same document


def test_hostile_text_of_an_incident_stays_inert_on_its_page_the_dashboard_and_the_admin(
    logged_in_page, live_server, dialogs
):
    from diagnosis.models import Incident
    from rca.run import incident_diagnose
    from tests.diagnosis.ingest import ingest
    from tests.diagnosis.test_incidents import line

    ingest(
        [
            line(
                0,
                "ERROR",
                "org.apache.hadoop.hdfs.server.datanode.DataNode",
                "dn03:9866:DataXceiverServer: Exiting due to: java.lang.OutOfMemoryError: "
                f"Java heap space {HOSTILE}",
                host="dn03",
            )
        ]
    )
    incident = Incident.objects.get()
    Incident.objects.filter(pk=incident.pk).update(title=f"dn03 {HOSTILE}", components=[HOSTILE])
    incident.refresh_from_db()
    incident_diagnose(incident=incident, actor="oncall")
    page = logged_in_page
    for url in (
        reverse("dashboard-incident", args=[incident.pk]),
        reverse("dashboard"),
        reverse("admin:diagnosis_incident_changelist"),
        reverse("admin:diagnosis_incident_change", args=[incident.pk]),
    ):
        page.goto(f"{live_server.url}{url}")
        assert_inert(page, dialogs)
        assert page.get_by_text(SCRIPT).first.is_visible(), url
        assert page.get_by_text(IMG).first.is_visible(), url
        if url.startswith("/dashboard/"):  # the admin shows its own icons
            assert page.locator("img").count() == 0, url
