"""The suppression hook (oncall/suppression.py) as the dispatcher uses it: a suppressed change
is recorded as silenced and not sent; when the suppression ends, a still-open fault is sent
once, and a fault that resolved meanwhile is not."""

from datetime import timedelta

import pytest
from django.utils import timezone

from diagnosis.services import fault_resolve
from oncall.models import OutboxEntry
from oncall.services import channel_create, rule_create
from oncall.suppression import Suppression, register_suppressor, unregister_suppressor
from tests.oncall.conftest import deliver, open_fault

pytestmark = pytest.mark.django_db


@pytest.fixture
def maintenance():
    """A maintenance window on hosts mw*, ending when the test says."""
    window = {"ends_at": timezone.now() + timedelta(hours=1), "asked": 0}

    def suppressor(change):
        window["asked"] += 1
        if change.host.startswith("mw") and timezone.now() < window["ends_at"]:
            return Suppression(
                kind="maintenance", id=42, ends_at=window["ends_at"], reason="disk swap"
            )
        return None

    register_suppressor("test-maintenance", suppressor)
    yield window
    unregister_suppressor("test-maintenance")


@pytest.fixture
def hook(db, http):
    channel = channel_create(name="hook", url=f"json://{http.url}/hook")
    rule_create(channel=channel, group_wait_seconds=0, group_interval_seconds=0)
    return channel


def test_a_change_inside_a_window_is_recorded_not_sent_then_sent_once_after(
    maintenance, hook, http
):
    kept = open_fault(host="mw1.example.com")
    gone = open_fault(host="mw2.example.com")
    outside = open_fault(host="dn1.example.com")
    deliver()
    (post,) = http.posts("/hook")  # only the fault outside the window
    assert post.json["faultportal"]["faults"][0]["fault_id"] == outside.pk
    held = OutboxEntry.objects.filter(status="silenced").order_by("id")
    assert [e.fault_id for e in held] == [kept.pk, gone.pk]
    assert held[0].suppression == {
        "kind": "maintenance",
        "id": 42,
        "ends_at": maintenance["ends_at"].isoformat(),
        "reason": "disk swap",
    }
    # still inside: asked again only when the window's end is due, nothing sent
    asked = maintenance["asked"]
    deliver()
    assert maintenance["asked"] == asked and len(http.posts("/hook")) == 1

    fault_resolve(fault=gone, actor="ops")  # resolved during the window: nothing to say
    maintenance["ends_at"] = timezone.now() - timedelta(seconds=1)
    OutboxEntry.objects.filter(status="silenced").update(held_until=maintenance["ends_at"])
    deliver()
    posts = http.posts("/hook")
    assert len(posts) == 2
    ours = posts[1].json["faultportal"]
    assert [f["fault_id"] for f in ours["faults"]] == [kept.pk]
    assert OutboxEntry.objects.get(fault_id=gone.pk, event="opened").status == "expired"
    assert OutboxEntry.objects.get(fault_id=gone.pk, event="resolved").status == "expired"
    deliver()
    assert len(http.posts("/hook")) == 2  # once


def test_several_held_changes_of_one_fault_are_sent_as_one(maintenance, hook, http):
    fault = open_fault(host="mw3.example.com")
    open_fault(host="mw3.example.com", fingerprint=None)  # another fault, same host
    from diagnosis.models import FaultType
    from diagnosis.services import Occurrence, fault_occurrences_record

    # the first fault's severity is raised during the window
    fault_occurrences_record(
        occurrences=[
            Occurrence(
                fault_type=FaultType.objects.get(code="too_many_open_files"),
                fingerprint=fault.fingerprint,
                host=fault.host,
                title=fault.title,
                seen_at=timezone.now(),
                severity="critical",
            )
        ]
    )
    deliver()
    assert http.posts("/hook") == []
    assert OutboxEntry.objects.filter(status="silenced").count() == 3
    maintenance["ends_at"] = timezone.now() - timedelta(seconds=1)
    OutboxEntry.objects.filter(status="silenced").update(held_until=maintenance["ends_at"])
    deliver()
    (post,) = http.posts("/hook")
    faults = post.json["faultportal"]["faults"]
    assert sorted(f["fault_id"] for f in faults) == sorted({fault.pk, faults[1]["fault_id"]})
    assert OutboxEntry.objects.filter(fault_id=fault.pk, status="superseded").count() == 1


def test_a_broken_suppressor_does_not_swallow_the_alert(hook, http):
    def broken(change):
        raise RuntimeError("silences table is gone")

    register_suppressor("broken", broken)
    try:
        open_fault(host="mw9.example.com")
        deliver()
    finally:
        unregister_suppressor("broken")
    assert len(http.posts("/hook")) == 1


def test_open_ended_holds_all_take_turns_when_there_are_more_than_one_batch(hook, http):
    from oncall.dispatch import held_release, outbox_dispatch

    asked = []

    def snooze(change):  # "for N more occurrences": no end in time
        asked.append(change.fault_id)
        return Suppression(kind="snooze", id=1, ends_at=None, reason="until it happens 3 more")

    register_suppressor("test-snooze", snooze)
    try:
        faults = [open_fault(host=f"sn{i}.example.com") for i in range(5)]
        outbox_dispatch()
        assert OutboxEntry.objects.filter(status="silenced").count() == 5
        OutboxEntry.objects.update(held_until=timezone.now() - timedelta(seconds=1))
        asked.clear()
        for _ in range(3):
            held_release(batch=2)
        assert set(asked) == {f.pk for f in faults}  # nobody starved behind the first batch
    finally:
        unregister_suppressor("test-snooze")
    assert http.posts("/hook") == []
