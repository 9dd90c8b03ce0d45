"""The "viewer" and "operator" groups the migration creates, as staff users experience them."""

import importlib
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from diagnosis.models import FaultRecord, FaultType
from faultportal.api.permissions import request_has_scope
from logs.models import SystemLog

pytestmark = pytest.mark.django_db

PORTAL_LISTS = [
    "admin:logs_systemlog_changelist",
    "admin:runs_execlog_changelist",
    "admin:cluster_clusterstatus_changelist",
    "admin:diagnosis_faultrecord_changelist",
    "admin:diagnosis_faulttype_changelist",
    "admin:diagnosis_diagnosis_changelist",
    "admin:cluster_metricthreshold_changelist",
    "admin:logs_loglayout_changelist",
]


def staff_in(group: str) -> User:
    user = User.objects.create_user(f"{group}-user", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def fault(db) -> FaultRecord:
    now = timezone.now()
    return FaultRecord.objects.create(
        fault_type=FaultType.objects.get(code="datanode_volume_failure"),
        fingerprint="f" * 64,
        host="dn01",
        title="DataNode volume failed on dn01",
        severity="critical",
        first_seen=now,
        last_seen=now,
        occurrences=1,
    )


def test_both_groups_exist_with_their_permissions():
    def perms(name):
        return set(
            Group.objects.get(name=name).permissions.values_list(
                "content_type__app_label", "codename"
            )
        )

    viewer = perms("viewer")
    assert viewer == {
        ("logs", "view_systemlog"),
        ("runs", "view_execlog"),
        ("cluster", "view_clusterstatus"),
        ("diagnosis", "view_faultrecord"),
        ("diagnosis", "view_faulttype"),
        ("diagnosis", "view_faultevent"),
        ("diagnosis", "view_diagnosis"),
        ("cluster", "view_metricthreshold"),
        ("diagnosis", "view_incident"),
        ("oncall", "view_silence"),
        ("oncall", "view_maintenancewindow"),
        ("oncall", "view_faultsnooze"),
        ("logs", "view_loglayout"),
    }
    # Operators mute what they work on: silences, maintenance windows, snoozes (issue 15).
    muting = {
        ("oncall", f"{verb}_{model}")
        for model in ("silence", "maintenancewindow", "faultsnooze")
        for verb in ("add", "change", "delete")
    }
    # Operators tune the metric thresholds as they tune the fault-type catalogue.
    assert perms("operator") == viewer | {
        ("diagnosis", "change_incident"),
        ("diagnosis", "change_faultrecord"),
        ("diagnosis", "add_faulttype"),
        ("diagnosis", "change_faulttype"),
        ("cluster", "change_metricthreshold"),
        # ... and the log layouts their clusters write (issue 13)
        ("logs", "add_loglayout"),
        ("logs", "change_loglayout"),
        *muting,
    }


@pytest.mark.parametrize("group", ["viewer", "operator"])
def test_staff_in_either_group_can_browse_every_portal_list(client, group):
    SystemLog.objects.create(
        host="dn01",
        logtype="hadoop",
        level="INFO",
        message="m",
        raw="r",
        received_at=timezone.now(),
    )
    client.force_login(staff_in(group))
    for name in PORTAL_LISTS:
        assert client.get(reverse(name)).status_code == 200, name
    index = client.get(reverse("admin:index")).content.decode()
    assert "API tokens" not in index  # tokens are for superusers
    assert client.get(reverse("admin:faultportal_apitoken_changelist")).status_code == 403


def test_a_viewer_can_open_a_fault_but_not_change_it(client, fault):
    client.force_login(staff_in("viewer"))
    url = reverse("admin:diagnosis_faultrecord_change", args=[fault.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(url, {"status": "resolved"}).status_code == 403
    fault.refresh_from_db()
    assert fault.status == "open"
    assert client.get(reverse("admin:diagnosis_faulttype_add")).status_code == 403


def test_an_operator_can_change_faults_and_fault_types(client, fault):
    operator = staff_in("operator")
    client.force_login(operator)
    page = client.get(reverse("admin:diagnosis_faultrecord_change", args=[fault.pk]))
    assert 'name="_save"' in page.content.decode()
    assert client.get(reverse("admin:diagnosis_faulttype_add")).status_code == 200
    fault_type = FaultType.objects.get(code="datanode_volume_failure")
    type_page = client.get(reverse("admin:diagnosis_faulttype_change", args=[fault_type.pk]))
    assert 'name="_save"' in type_page.content.decode()
    # Neither group deletes anything: history and the catalogue stay whole.
    assert not operator.has_perm("diagnosis.delete_faultrecord")
    assert not operator.has_perm("diagnosis.delete_faulttype")


def test_the_api_treats_operators_as_diagnosers_and_viewers_as_readers():
    request = RequestFactory().get("/api/faults")
    request.auth = None
    request.user = staff_in("operator")
    assert request_has_scope(request, "diagnose") and request_has_scope(request, "read")
    request.user = staff_in("viewer")
    assert request_has_scope(request, "read") and not request_has_scope(request, "diagnose")


def test_running_the_migration_again_keeps_what_an_administrator_added():
    migration = importlib.import_module("faultportal.migrations.0002_operator_groups")
    move = importlib.import_module("runs.migrations.0002_execlog_content_type")
    viewer = Group.objects.get(name="viewer")
    extra = Permission.objects.get(content_type__app_label="logs", codename="view_ingestrequest")
    viewer.permissions.add(extra)
    before = set(viewer.permissions.all())

    # As a re-run happens: the exec log's content type back in logs (runs' 0002 reversed), the
    # groups migration on the models of its time, then the content type forward to runs again.
    # The migrations read only the connection from their schema editor.
    loader = MigrationLoader(connection)
    editor = SimpleNamespace(connection=connection)
    runs_apps = loader.project_state(("runs", "0002_execlog_content_type")).apps
    move.backwards(runs_apps, editor)
    migration.create_groups(
        loader.project_state(("faultportal", "0002_operator_groups")).apps, editor
    )
    move.forwards(runs_apps, editor)

    assert set(Group.objects.get(name="viewer").permissions.all()) == before
    assert ("runs", "view_execlog") in {
        (p.content_type.app_label, p.codename) for p in Permission.objects.filter(group=viewer)
    }
    assert Group.objects.filter(name__in=["viewer", "operator"]).count() == 2
