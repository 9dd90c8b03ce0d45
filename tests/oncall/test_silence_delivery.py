"""Must show 2 of issue 15, end to end with real silences and windows: a change inside a silence
or a maintenance window is recorded (its outbox row `silenced`, the fault page and the outbox
admin say until when) and not sent; after the end, a fault still open is sent once.

The pipeline is the real one (fault services → outbox → `manage.py notify --once`'s dispatcher
and delivery job → apprise's json:// to an HTTP receiver on loopback). The ends are real: short
silences and windows run out while the test waits for them.
"""

import time
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from diagnosis.services import fault_resolve
from oncall.models import OutboxEntry
from oncall.services import channel_create, rule_create
from oncall.silences import maintenance_window_create, silence_create, silence_expire
from tests.oncall.conftest import deliver, open_fault

pytestmark = pytest.mark.django_db

SHORT = timedelta(seconds=3)


@pytest.fixture
def hook(http):
    channel = channel_create(name="hook", url=f"json://{http.url}/hook")
    rule_create(channel=channel, group_wait_seconds=0, group_interval_seconds=0)
    return channel


def sent_fault_ids(http) -> list[int]:
    return [
        fault["fault_id"]
        for post in http.posts("/hook")
        for fault in post.json["faultportal"]["faults"]
    ]


def wait_until(moment) -> None:
    left = (moment - timezone.now()).total_seconds()
    if left > 0:
        time.sleep(left + 0.2)


def test_a_silence_records_without_sending_then_sends_a_still_open_fault_once(hook, http, client):
    silence = silence_create(
        author="olga", comment="rolling restart", host_glob="dn5*", duration=SHORT
    )
    held = open_fault(host="dn5.example.com")
    resolved_meanwhile = open_fault(host="dn51.example.com")
    outside = open_fault(host="dn6.example.com")
    deliver()
    assert sent_fault_ids(http) == [outside.pk]  # only the fault outside the silence

    entry = OutboxEntry.objects.get(fault_id=held.pk)
    assert entry.status == OutboxEntry.Status.SILENCED  # recorded, not lost
    assert entry.suppression["kind"] == "silence" and entry.suppression["id"] == silence.pk
    assert entry.held_until == silence.ends_at
    assert "rolling restart" in entry.suppression["reason"]

    # The fault page and the outbox list say it is silenced, and until when.
    operator = User.objects.create_user("olga", is_staff=True, is_superuser=True)
    client.force_login(operator)
    until = timezone.localtime(silence.ends_at).strftime("%Y-%m-%d %H:%M")
    page = client.get(reverse("dashboard-fault", args=[held.pk]))
    muted = BeautifulSoup(page.content, "html.parser").select_one("[data-muted]")
    assert f"Silenced until {until}" in " ".join(muted.get_text(" ").split())
    outbox = client.get(reverse("admin:oncall_outboxentry_changelist")).content.decode()
    assert f"silenced until {until}" in outbox and f"silence #{silence.pk}" in outbox

    fault_resolve(fault=resolved_meanwhile, actor="ops")
    deliver()
    assert sent_fault_ids(http) == [outside.pk]  # still inside: nothing more

    wait_until(silence.ends_at)
    deliver()
    assert sent_fault_ids(http) == [outside.pk, held.pk]  # the still-open fault, once
    entry.refresh_from_db()
    assert entry.status == OutboxEntry.Status.DISPATCHED
    deliver()
    deliver()
    assert sent_fault_ids(http) == [outside.pk, held.pk]  # and only once


def test_expiring_a_silence_sends_what_it_held_within_seconds(hook, http):
    silence = silence_create(
        author="olga", comment="x", host_glob="dn7*", duration=timedelta(hours=2)
    )
    held = open_fault(host="dn7.example.com")
    deliver()
    assert sent_fault_ids(http) == []
    silence_expire(silence=silence)  # two hours early
    entry = OutboxEntry.objects.get(fault_id=held.pk)
    # Asked again once every worker has re-read the silences (SUPPRESSOR_CACHE_SECONDS).
    assert entry.held_until < timezone.now() + timedelta(seconds=5)
    wait_until(entry.held_until)
    deliver()
    assert sent_fault_ids(http) == [held.pk]
    deliver()
    assert sent_fault_ids(http) == [held.pk]


def test_a_maintenance_window_records_without_sending_then_sends_once(hook, http):
    now = timezone.now()
    window = maintenance_window_create(
        name="rack 7 PSU swap",
        host_glob="rack7-*",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + SHORT,
    )
    inside = open_fault(host="rack7-dn1")
    outside = open_fault(host="rack8-dn1")
    deliver()
    assert sent_fault_ids(http) == [outside.pk]
    entry = OutboxEntry.objects.get(fault_id=inside.pk)
    assert entry.status == OutboxEntry.Status.SILENCED
    assert (entry.suppression["kind"], entry.suppression["id"]) == ("maintenance", window.pk)
    assert "rack 7 PSU swap" in entry.suppression["reason"]

    wait_until(window.ends_at)
    deliver()
    assert sent_fault_ids(http) == [outside.pk, inside.pk]
    deliver()
    assert sent_fault_ids(http) == [outside.pk, inside.pk]


def test_a_weekly_window_holds_its_occurrence_only(hook, http, settings):
    from zoneinfo import ZoneInfo

    settings.CLUSTER_TIME_ZONE = "Asia/Kolkata"
    # Today's occurrence (local time) started 57 s ago and lasts a minute: it ends in 3 s.
    start = (timezone.now() - timedelta(seconds=57)).astimezone(ZoneInfo("Asia/Kolkata"))
    start = start.replace(microsecond=0)
    end = start + timedelta(minutes=1)
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[start.weekday()]
    maintenance_window_create(
        name="weekly reboot",
        host_glob="nn*",
        recurrence="weekly",
        weekdays=weekday,
        start_time=start.time(),
        duration_minutes=1,
    )
    held = open_fault(host="nn1.example.com")
    deliver()
    assert sent_fault_ids(http) == []
    assert OutboxEntry.objects.get(fault_id=held.pk).held_until == end
    wait_until(end)
    deliver()
    assert sent_fault_ids(http) == [held.pk]
