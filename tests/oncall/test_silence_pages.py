"""The fault page's "silence 2 h" (operators, POST with CSRF), its "silenced until …", and the
admin pages of silences, maintenance windows and snoozes."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from oncall.models import FaultSnooze, MaintenanceWindow, Silence
from oncall.silences import (
    SUPPRESSOR_CACHE_SECONDS,
    fault_snooze,
    maintenance_window_create,
    silence_create,
)
from oncall.suppression import suppression_for
from tests.oncall.silence_data import HOSTILE, add_fault, entry_for, outbox_entry

pytestmark = pytest.mark.django_db


def recheck_time():
    """When the dispatcher looks again at what an ended silence held: within one period of the
    worker's copy of the silences (oncall.silences._SuppressorCache)."""
    return timezone.now() + timedelta(seconds=SUPPRESSOR_CACHE_SECONDS)


def user_in(group: str, name: str | None = None) -> User:
    user = User.objects.create_user(name or f"{group}-user", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def browser(user: User) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def fault_page(client, fault) -> BeautifulSoup:
    response = client.get(reverse("dashboard-fault", args=[fault.pk]))
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def text(node) -> str:
    return " ".join(node.get_text(" ").split())


def click_silence(client, soup) -> object:
    form = soup.select_one("[data-silence-form]")
    fields = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
    return client.post(form["action"], fields)


def test_an_operator_silences_a_fault_for_2_hours_in_one_click():
    fault = add_fault(host="dn07.example.com", code="too_many_open_files")
    operator = browser(user_in("operator", "olga"))
    soup = fault_page(operator, fault)
    assert text(soup.select_one("[data-silence-form] button")) == "Silence 2 h"
    assert not soup.select("[data-muted] [data-hold]")  # not muted yet

    before = timezone.now()
    response = click_silence(operator, soup)
    assert response.status_code == 303
    assert response["Location"] == reverse("dashboard-fault", args=[fault.pk]) + "#muted"

    silence = Silence.objects.get()
    assert (silence.host_glob, silence.fault_type_code) == (fault.host, "too_many_open_files")
    assert silence.author == "olga"
    assert timedelta(hours=2) - timedelta(seconds=5) < silence.ends_at - before
    assert silence.ends_at - before <= timedelta(hours=2, seconds=5)
    assert suppression_for(entry_for(fault)).id == silence.pk

    muted = fault_page(operator, fault).select_one("[data-muted]")
    until = timezone.localtime(silence.ends_at).strftime("%Y-%m-%d %H:%M")
    assert f"Silenced until {until}" in text(muted)
    hold = muted.select_one("[data-hold=silence]")
    assert hold.a["href"] == reverse("admin:oncall_silence_change", args=[silence.pk])
    assert "olga" in text(hold)


def test_a_viewer_sees_no_button_and_cannot_post_one():
    fault = add_fault(host="dn07")
    viewer = browser(user_in("viewer"))
    soup = fault_page(viewer, fault)
    assert soup.select_one("[data-silence-form]") is None
    client = Client()
    client.force_login(User.objects.get(username="viewer-user"))
    response = client.post(reverse("dashboard-fault-silence", args=[fault.pk]), {"hours": "2"})
    assert response.status_code == 403
    assert not Silence.objects.exists()


def test_the_silence_needs_post_csrf_a_known_fault_and_an_offered_duration():
    fault = add_fault(host="dn07")
    operator = browser(user_in("operator"))
    url = reverse("dashboard-fault-silence", args=[fault.pk])
    assert operator.post(url, {"hours": "2"}).status_code == 403  # no CSRF token
    assert operator.get(url).status_code == 405
    lenient = Client()
    lenient.force_login(User.objects.get(username="operator-user"))
    assert lenient.post(url, {"hours": "3"}).status_code == 400
    assert lenient.post(url, {"hours": "two"}).status_code == 400
    missing = reverse("dashboard-fault-silence", args=[999999])
    assert lenient.post(missing, {"hours": "2"}).status_code == 404
    assert not Silence.objects.exists()
    anonymous = Client().post(url, {"hours": "2"})
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]


def test_hostile_text_on_the_muted_banner_is_escaped():
    fault = add_fault(host="dn07", title=HOSTILE)
    silence_create(author=HOSTILE, comment=HOSTILE, host_glob="dn07", duration=timedelta(hours=1))
    maintenance_window_create(
        name=HOSTILE,
        host_glob="dn07",
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=3),
    )
    response = browser(user_in("operator")).get(reverse("dashboard-fault", args=[fault.pk]))
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    soup = BeautifulSoup(html, "html.parser")
    muted = soup.select_one("[data-muted]")
    assert not muted.select("script, img")
    assert "<script>alert(1)</script>" in text(muted)  # shown as text
    # The window ends last: the headline names its end.
    assert len(muted.select("[data-hold]")) == 2


def test_a_snoozed_fault_says_so():
    fault = add_fault(host="dn07", occurrences=4)
    fault_snooze(fault=fault, occurrences=10, author="sam", comment="noisy, ticket 7")
    muted = fault_page(browser(user_in("viewer")), fault).select_one("[data-muted]")
    assert "Snoozed until the fault has occurred more times" in text(muted)
    assert "10 more occurrence" in text(muted.select_one("[data-hold=snooze]"))


# --- the admin --------------------------------------------------------------------------------


@pytest.fixture
def operator_admin():
    client = Client()
    client.force_login(user_in("operator", "olga"))
    return client


def test_the_admin_lists_silences_windows_and_snoozes(operator_admin):
    fault = add_fault(host="dn1")
    muted = silence_create(
        author="a", comment=HOSTILE, host_glob="dn*", duration=timedelta(hours=1)
    )
    outbox_entry(fault, held_by=("silence", muted.pk))
    maintenance_window_create(
        name="weekly reboot",
        host_glob="dn*",
        recurrence="weekly",
        weekdays="sun",
        start_time="03:00",
        duration_minutes=60,
    )
    fault_snooze(fault=fault, occurrences=3, author="b")
    for name in ("silence", "maintenancewindow", "faultsnooze"):
        response = operator_admin.get(reverse(f"admin:oncall_{name}_changelist"))
        assert response.status_code == 200, name
        html = response.content.decode()
        assert "<script>alert(1)</script>" not in html
    silences_page = BeautifulSoup(
        operator_admin.get(reverse("admin:oncall_silence_changelist")).content, "html.parser"
    )
    row = text(silences_page.select_one("#result_list tbody tr"))
    assert "active" in row and "host=dn*" in row and row.endswith("1")  # 1 change held
    windows = operator_admin.get(reverse("admin:oncall_maintenancewindow_changelist"))
    assert "weekly sun 03:00 for 60 min" in windows.content.decode()


def test_an_operator_adds_a_silence_in_the_admin_and_expires_it(operator_admin):
    now = timezone.localtime()
    response = operator_admin.post(
        reverse("admin:oncall_silence_add"),
        {
            "host_glob": "rack7-*",
            "fault_type_code": "",
            "severity": "",
            "incident": "",
            "starts_at_0": now.strftime("%Y-%m-%d"),
            "starts_at_1": now.strftime("%H:%M:%S"),
            "ends_at_0": (now + timedelta(hours=3)).strftime("%Y-%m-%d"),
            "ends_at_1": (now + timedelta(hours=3)).strftime("%H:%M:%S"),
            "comment": "PSU swap",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    silence = Silence.objects.get()
    assert silence.author == "olga" and silence.host_glob == "rack7-*"
    held = outbox_entry(add_fault(host="rack7-dn1"), held_by=("silence", silence.pk), hours=3)

    response = operator_admin.post(
        reverse("admin:oncall_silence_changelist"),
        {"action": "expire_selected", "_selected_action": [silence.pk]},
    )
    assert response.status_code == 302
    silence.refresh_from_db()
    held.refresh_from_db()
    assert silence.ends_at <= timezone.now()
    assert held.held_until <= recheck_time()


def test_the_admin_refuses_a_silence_without_a_matcher(operator_admin):
    now = timezone.localtime()
    response = operator_admin.post(
        reverse("admin:oncall_silence_add"),
        {
            "starts_at_0": now.strftime("%Y-%m-%d"),
            "starts_at_1": now.strftime("%H:%M:%S"),
            "ends_at_0": (now + timedelta(hours=3)).strftime("%Y-%m-%d"),
            "ends_at_1": (now + timedelta(hours=3)).strftime("%H:%M:%S"),
            "comment": "x",
        },
    )
    assert response.status_code == 200
    assert "Name at least one matcher" in response.content.decode()
    assert not Silence.objects.exists()


def test_a_snooze_for_n_more_occurrences_from_the_admin(operator_admin):
    fault = add_fault(host="dn1", occurrences=40)
    response = operator_admin.post(
        reverse("admin:oncall_faultsnooze_add"),
        {"fault": fault.pk, "until_0": "", "until_1": "", "more_occurrences": "5", "comment": "x"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    snooze = FaultSnooze.objects.get()
    assert snooze.until_occurrences == 45 and snooze.author == "olga"
    refused = operator_admin.post(
        reverse("admin:oncall_faultsnooze_add"),
        {"fault": fault.pk, "until_0": "", "until_1": "", "more_occurrences": "", "comment": ""},
    )
    assert refused.status_code == 200
    assert "Snooze until a time, or for a number of occurrences" in refused.content.decode()


def test_a_viewer_cannot_add_a_window(client):
    client.force_login(user_in("viewer"))
    assert client.get(reverse("admin:oncall_maintenancewindow_changelist")).status_code == 200
    assert client.get(reverse("admin:oncall_maintenancewindow_add")).status_code == 403
    assert MaintenanceWindow.objects.count() == 0


# --- the incident page ------------------------------------------------------------------------


def test_an_operator_silences_an_incident_for_2_hours_in_one_click():
    from diagnosis.models import Incident

    now = timezone.now()
    incident = Incident.objects.create(
        kind="host", title="disk fills on dn3", severity="major", first_seen=now, last_seen=now
    )
    member = add_fault(host="dn3", incident=incident)
    stranger = add_fault(host="dn3")
    operator = browser(user_in("operator", "olga"))
    url = reverse("dashboard-incident", args=[incident.pk])
    soup = BeautifulSoup(operator.get(url).content, "html.parser")
    assert text(soup.select_one("[data-silence-form] button")) == "Silence 2 h"
    assert not soup.select("[data-muted] [data-hold]")

    response = click_silence(operator, soup)
    assert response.status_code == 303 and response["Location"] == url + "#muted"
    silence = Silence.objects.get()
    assert silence.incident_id == incident.pk and silence.author == "olga"
    assert suppression_for(entry_for(member)).id == silence.pk
    assert suppression_for(entry_for(stranger)) is None

    muted = BeautifulSoup(operator.get(url).content, "html.parser").select_one("[data-muted]")
    until = timezone.localtime(silence.ends_at).strftime("%Y-%m-%d %H:%M")
    assert f"silenced until {until}" in text(muted)
    assert muted.select_one("[data-hold=silence] a")["href"] == reverse(
        "admin:oncall_silence_change", args=[silence.pk]
    )


def test_the_incident_silence_is_for_operators_with_csrf():
    from diagnosis.models import Incident

    now = timezone.now()
    incident = Incident.objects.create(
        kind="host", title=HOSTILE, severity="major", first_seen=now, last_seen=now
    )
    url = reverse("dashboard-incident-silence", args=[incident.pk])
    viewer = browser(user_in("viewer"))
    page = BeautifulSoup(
        viewer.get(reverse("dashboard-incident", args=[incident.pk])).content, "html.parser"
    )
    assert page.select_one("[data-silence-form]") is None
    lenient_viewer = Client()
    lenient_viewer.force_login(User.objects.get(username="viewer-user"))
    assert lenient_viewer.post(url, {"hours": "2"}).status_code == 403
    operator = browser(user_in("operator"))
    assert operator.post(url, {"hours": "2"}).status_code == 403  # no CSRF token
    lenient = Client()
    lenient.force_login(User.objects.get(username="operator-user"))
    missing = reverse("dashboard-incident-silence", args=[999999])
    assert lenient.post(missing, {"hours": "2"}).status_code == 404
    assert lenient.post(url, {"hours": "5"}).status_code == 400
    assert not Silence.objects.exists()
    # The silence's comment (from the incident's title) is shown as text.
    assert lenient.post(url, {"hours": "1"}).status_code == 303
    html = lenient.get(reverse("dashboard-incident", args=[incident.pk])).content.decode()
    muted = BeautifulSoup(html, "html.parser").select_one("[data-muted]")
    assert not muted.select("script, img") and "<script>alert(1)</script>" in text(muted)


# --- snooze from the fault page ---------------------------------------------------------------


def submit(client, form, **values):
    fields = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
    return client.post(form["action"], {**fields, **values})


def test_an_operator_snoozes_a_fault_for_more_occurrences_then_unsnoozes_it():
    fault = add_fault(host="dn07", occurrences=7)
    operator = browser(user_in("operator", "olga"))
    soup = fault_page(operator, fault)
    assert soup.select_one("[data-unsnooze-form]") is None
    response = submit(operator, soup.select_one("[data-snooze-form]"), **{"for": "n100"})
    assert response.status_code == 303
    snooze = FaultSnooze.objects.get(fault=fault)
    assert snooze.until_occurrences == 107 and snooze.until is None and snooze.author == "olga"
    held = suppression_for(entry_for(fault))
    assert held.kind == "snooze"

    soup = fault_page(operator, fault)
    assert "100 more occurrence" in text(soup.select_one("[data-hold=snooze]"))
    assert submit(operator, soup.select_one("[data-unsnooze-form]")).status_code == 303
    assert not FaultSnooze.objects.exists()
    assert suppression_for(entry_for(fault)) is None


def test_a_snooze_for_24_hours_and_what_is_refused():
    fault = add_fault(host="dn07")
    operator = browser(user_in("operator"))
    form = fault_page(operator, fault).select_one("[data-snooze-form]")
    before = timezone.now()
    assert submit(operator, form, **{"for": "h24"}).status_code == 303
    until = FaultSnooze.objects.get().until
    assert timedelta(hours=24) <= until - before <= timedelta(hours=24, seconds=10)
    assert submit(operator, form, **{"for": "h3"}).status_code == 400
    url = reverse("dashboard-fault-snooze", args=[fault.pk])
    assert operator.post(url, {"for": "h1"}).status_code == 403  # no CSRF token
    viewer = browser(user_in("viewer"))
    assert fault_page(viewer, fault).select_one("[data-snooze-form]") is None
    lenient = Client()
    lenient.force_login(User.objects.get(username="viewer-user"))
    assert lenient.post(url, {"for": "h1"}).status_code == 403
    unsnooze = reverse("dashboard-fault-unsnooze", args=[fault.pk])
    assert lenient.post(unsnooze).status_code == 403
    assert FaultSnooze.objects.count() == 1
