"""The fault-type and fault admins: validation, preview, actions, filters, escaping, lines."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from diagnosis import services
from diagnosis.admin.fault_record import fault_lines_url
from diagnosis.detection import detect_faults
from diagnosis.models import FaultType
from diagnosis.services import Occurrence
from logs.models import SystemLog
from tests.diagnosis.loglines import log4j

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'
T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
OOM = (
    "2024-05-01 10:15:42,123 FATAL [main] org.apache.hadoop.mapred.YarnChild: Error running "
    "child : java.lang.OutOfMemoryError: Java heap space"
)


@pytest.fixture
def admin_client(client):
    user = User.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(user)
    return client


def log_row(message, *, host="dn01.example.com", level="WARN", at=T0, component="x.Y"):
    return SystemLog.objects.create(
        host=host,
        logtype="hadoop",
        log_time=at,
        level=level,
        component=component,
        message=message,
        raw=message,
        received_at=at,
    )


def fault(
    *,
    title="Too many open files on dn01",
    host="dn01.example.com",
    code="too_many_open_files",
    at=T0,
):
    (record,) = services.fault_occurrences_record(
        occurrences=[
            Occurrence(
                fault_type=FaultType.objects.get(code=code),
                fingerprint=services.fingerprint_for(code, host, title),
                host=host,
                title=title,
                seen_at=at,
                sample=title,
            )
        ]
    )
    return record


class TestFaultTypeAdmin:
    def form_data(self, **overrides):
        return {
            "code": "rpc_queue_full",
            "name": "RPC queue full",
            "category": "hdfs",
            "default_severity": "major",
            "enabled": "on",
            "patterns": r"Call queue is full",
            "component_pattern": "",
            "min_level": "WARN",
            "grouping": "host_message",
            **overrides,
        }

    def test_an_invalid_regex_is_refused_with_the_reason_on_the_form(self, admin_client):
        response = admin_client.post(
            "/admin/diagnosis/faulttype/add/",
            self.form_data(patterns="Call queue is full\nbroken (unclosed"),
        )
        assert response.status_code == 200
        assert "Line 2 is not a valid regular expression" in response.content.decode()
        assert not FaultType.objects.filter(code="rpc_queue_full").exists()

    def test_an_invalid_component_regex_and_level_are_refused(self, admin_client):
        response = admin_client.post(
            "/admin/diagnosis/faulttype/add/",
            self.form_data(component_pattern="[", min_level="LOUD"),
        )
        page = response.content.decode()
        assert "not a valid regular expression" in page and "LOUD is not one of" in page

    def test_a_saved_type_matches_at_once(self, admin_client):
        response = admin_client.post("/admin/diagnosis/faulttype/add/", self.form_data())
        assert response.status_code == 302
        line = log4j(
            "2024-05-01 10:15:42,123 WARN org.apache.hadoop.ipc.Server: Call queue is full on 8020"
        )
        assert [occ.fault_type.code for _, occ in detect_faults([line])] == ["rpc_queue_full"]

    def test_the_disable_action_stops_matching(self, admin_client):
        oom = FaultType.objects.get(code="jvm_out_of_memory")
        assert [o.fault_type.code for _, o in detect_faults([log4j(OOM)])] == ["jvm_out_of_memory"]
        admin_client.post(
            "/admin/diagnosis/faulttype/",
            {"action": "disable_types", "_selected_action": [oom.pk]},
        )
        oom.refresh_from_db()
        assert not oom.enabled
        assert [o.fault_type.code for _, o in detect_faults([log4j(OOM)])] == ["unclassified"]
        admin_client.post(
            "/admin/diagnosis/faulttype/",
            {"action": "enable_types", "_selected_action": [oom.pk]},
        )
        assert [o.fault_type.code for _, o in detect_faults([log4j(OOM)])] == ["jvm_out_of_memory"]

    def test_preview_shows_matching_recent_lines_escaped(self, admin_client):
        log_row(f"Call queue is full on 8020 {HOSTILE}", level="WARN")
        log_row("Call queue is full on 8021", level="INFO")  # below the minimum level
        log_row("all quiet", level="ERROR")
        response = admin_client.get(
            "/admin/diagnosis/faulttype/preview/",
            {"patterns": "Call queue is full", "min_level": "WARN", "limit": 1000},
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert "1 of 2 recent lines matched" in page
        assert HOSTILE not in page and "&lt;script&gt;alert" in page

    def test_preview_starts_from_a_types_patterns_and_reports_bad_ones(self, admin_client):
        oom = FaultType.objects.get(code="jvm_out_of_memory")
        page = admin_client.get(
            f"/admin/diagnosis/faulttype/preview/?type={oom.pk}"
        ).content.decode()
        assert "java\\.lang\\.OutOfMemoryError" in page
        bad = admin_client.get(
            "/admin/diagnosis/faulttype/preview/",
            {"patterns": "(", "min_level": "WARN", "limit": 1000},
        ).content.decode()
        assert "not a valid regular expression" in bad and "matched" not in bad

    def test_preview_reads_only_the_newest_lines_it_is_asked_for(self):
        from diagnosis.preview import pattern_preview

        for n in range(30):
            log_row(f"Call queue is full #{n}", at=T0 + timedelta(seconds=n))
        result = pattern_preview(patterns="Call queue is full", min_level="WARN", limit=10)
        assert result.scanned == 10 and result.matched == 10
        assert result.matches[0].message == "Call queue is full #29"

    def test_preview_needs_a_staff_login(self, client):
        response = client.get("/admin/diagnosis/faulttype/preview/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


class TestFaultRecordAdmin:
    def test_list_page_renders_badges_and_escapes_hostile_text(
        self, admin_client, django_assert_max_num_queries
    ):
        fault(title=f"Unclassified error on {HOSTILE}", host=HOSTILE, code="unclassified")
        fault(title="JVM out of memory on dn02", host="dn02", code="jvm_out_of_memory")
        with django_assert_max_num_queries(12):
            response = admin_client.get("/admin/diagnosis/faultrecord/")
        page = response.content.decode()
        assert response.status_code == 200
        assert HOSTILE not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
        assert ">Critical</span>" in page and ">Open</span>" in page

    def test_filters_and_search(self, admin_client):
        recent = fault(title="recent pause", code="jvm_long_pause", at=timezone.now())
        old = fault(title="old fds", at=timezone.now() - timedelta(days=30))

        def listed(qs):
            page = admin_client.get(f"/admin/diagnosis/faultrecord/?{qs}").content.decode()
            return {f for f in (recent, old) if f"/faultrecord/{f.pk}/change/" in page}

        assert listed("type=jvm_long_pause") == {recent}
        assert listed("seen=24h") == {recent}
        assert listed("seen=older") == {old}
        assert listed("status=open") == {recent, old}
        assert listed(f"q={old.pk}") == {old}
        assert listed("q=old") == {old}
        assert listed("q=dn01.example.com") == {recent, old}

    def test_bulk_actions_go_through_the_lifecycle_with_the_username(self, admin_client):
        a, b = fault(title="a"), fault(title="b")
        services.fault_resolve(fault=b, actor="alice")
        response = admin_client.post(
            "/admin/diagnosis/faultrecord/",
            {"action": "acknowledge", "_selected_action": [a.pk, b.pk]},
            follow=True,
        )
        page = response.content.decode()
        assert "1 fault(s) acknowledged." in page and "1 fault(s) skipped" in page
        a.refresh_from_db()
        assert a.status == "acknowledged" and a.acknowledged_by == "root"
        assert a.events.filter(action="acknowledged", actor="root").exists()
        admin_client.post(
            "/admin/diagnosis/faultrecord/", {"action": "resolve", "_selected_action": [a.pk]}
        )
        a.refresh_from_db()
        assert a.status == "resolved" and a.resolved_by == "root"

    def test_the_lines_link_shows_that_hosts_lines_around_the_fault(self, admin_client):
        record = fault(at=T0)
        inside = log_row("inside the window", at=T0 + timedelta(minutes=2))
        log_row("other host", host="dn02.example.com", at=T0)
        log_row("long before", at=T0 - timedelta(hours=2))
        listing = admin_client.get("/admin/diagnosis/faultrecord/").content.decode()
        assert f"/admin/diagnosis/faultrecord/{record.pk}/lines/" in listing
        response = admin_client.get(f"/admin/diagnosis/faultrecord/{record.pk}/lines/", follow=True)
        page = response.content.decode()
        assert response.redirect_chain[0][0].startswith("/admin/logs/systemlog/?")
        assert "inside the window" in page
        assert "other host" not in page and "long before" not in page
        assert f"/systemlog/{inside.pk}/" in page

    def test_the_lines_query_uses_the_host_time_index(self, on_mariadb):
        from django.contrib import admin as django_admin

        for n in range(400):
            log_row(f"line {n}", host=f"dn{n % 40:02d}.example.com", at=T0 + timedelta(seconds=n))
        # No ANALYZE TABLE: it commits implicitly, and this test's rows would outlive its
        # rollback. Range estimates come from index dives at plan time anyway.
        record = fault(host="dn07.example.com", at=T0 + timedelta(seconds=7))
        user = User.objects.create_superuser("r2", "r2@example.com", "pw")
        probe = RequestFactory().get("/admin/logs/systemlog/")
        probe.user = user
        request = RequestFactory().get(fault_lines_url(record, request=probe))
        request.user = user
        model_admin = django_admin.site._registry[SystemLog]
        changelist = model_admin.get_changelist_instance(request)
        sql, params = changelist.queryset[:100].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql, params)
            columns = [c[0] for c in cursor.description]
            plan = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        assert plan[0]["key"] == "system_logs_host_time", (sql, plan)
        assert "filesort" not in (plan[0].get("Extra") or ""), (sql, plan)


def test_change_pages_render(admin_client):
    oom = FaultType.objects.get(code="jvm_out_of_memory")
    page = admin_client.get(f"/admin/diagnosis/faulttype/{oom.pk}/change/")
    assert page.status_code == 200 and b"try on recent logs" in page.content
    record = fault(title=f"x {HOSTILE}")
    page = admin_client.get(f"/admin/diagnosis/faultrecord/{record.pk}/change/")
    assert page.status_code == 200 and HOSTILE.encode() not in page.content
    assert b"/lines/" in page.content
