"""Silences, maintenance windows and snoozes hold the changes they match, and only those.

Over the real suppressor (registered by OncallConfig.ready) and the real tables: the dispatcher
asks `oncall.suppression.suppression_for(entry)` for each outbox entry it is about to notify.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from diagnosis.models import FaultRecord, Incident
from oncall.models import OutboxEntry, Silence
from oncall.silences import (
    SUPPRESSOR_CACHE_SECONDS,
    fault_snooze,
    fault_suppressions,
    fault_unsnooze,
    glob_escape,
    maintenance_window_changed,
    maintenance_window_create,
    silence_create,
    silence_delete,
    silence_expire,
    silence_for_fault,
    silence_for_incident,
    silence_list,
)
from oncall.suppression import suppression_for
from tests.oncall.silence_data import add_fault, entry_for, outbox_entry

pytestmark = pytest.mark.django_db


def recheck_time():
    """When the dispatcher looks again at what an ended silence held: within one period of the
    worker's copy of the silences (oncall.silences._SuppressorCache)."""
    return timezone.now() + timedelta(seconds=SUPPRESSOR_CACHE_SECONDS)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def silence(**fields) -> Silence:
    fields.setdefault("author", "alice")
    fields.setdefault("comment", "planned DataNode restart")
    fields.setdefault("duration", hours(2))
    return silence_create(**fields)


def test_a_silence_holds_the_changes_it_matches_until_its_end():
    dn3 = add_fault(host="dn3.dc1", code="too_many_open_files")
    nn1 = add_fault(host="nn1.dc1", code="too_many_open_files")
    other_type = add_fault(host="dn3.dc1", code="jvm_out_of_memory")
    muted = silence(host_glob="dn*", fault_type_code="too_many_open_files")

    held = suppression_for(entry_for(dn3))
    assert held is not None
    assert (held.kind, held.id, held.ends_at) == ("silence", muted.pk, muted.ends_at)
    assert "alice" in held.reason and "planned DataNode restart" in held.reason
    assert suppression_for(entry_for(nn1)) is None  # another host
    assert suppression_for(entry_for(other_type)) is None  # another type
    # Every kind of change is held, the resolution too.
    assert suppression_for(entry_for(dn3, event="resolved")) is not None


def test_a_silence_not_yet_started_or_ended_holds_nothing():
    fault = add_fault(host="dn3.dc1")
    now = timezone.now()
    silence(host_glob="dn3.dc1", starts_at=now + hours(1), ends_at=now + hours(3))
    silence(host_glob="dn3.dc1", starts_at=now - hours(3), ends_at=now - hours(1))
    assert suppression_for(entry_for(fault)) is None
    assert [s.state(now) for s in silence_list(now=now)] == ["pending", "expired"]
    assert silence_list(state="pending", now=now).count() == 1
    assert silence_list(state="active", now=now).count() == 0


def test_severity_and_incident_matchers():
    incident = Incident.objects.create(
        kind="host",
        title="disk fills on dn3",
        severity="major",
        first_seen=timezone.now(),
        last_seen=timezone.now(),
    )
    in_incident = add_fault(host="dn3.dc1", severity="minor", incident=incident)
    outside = add_fault(host="dn4.dc1", severity="minor")
    critical = add_fault(host="dn4.dc1", severity="critical")

    by_incident = silence_for_incident(incident=incident, duration=hours(2), author="bob")
    assert suppression_for(entry_for(in_incident)).id == by_incident.pk
    assert suppression_for(entry_for(outside)) is None

    by_severity = silence(severity="minor")
    assert suppression_for(entry_for(outside)).id == by_severity.pk
    assert suppression_for(entry_for(critical)) is None


def test_an_incident_silence_follows_its_faults_when_the_incident_is_merged():
    now = timezone.now()
    first = Incident.objects.create(
        kind="peer", title="a", severity="major", first_seen=now, last_seen=now
    )
    second = Incident.objects.create(
        kind="peer", title="b", severity="major", first_seen=now, last_seen=now
    )
    muted = silence_for_incident(incident=first, duration=hours(1), author="bob")
    Incident.objects.filter(pk=first.pk).update(status="merged", merged_into=second)
    moved = add_fault(host="dn1", incident=second)
    assert suppression_for(entry_for(moved)).id == muted.pk


def test_the_one_click_fault_silence_covers_that_host_and_type_only():
    # A host name with glob characters is matched literally.
    fault = add_fault(host="dn[1]*.dc1", code="too_many_open_files")
    lookalike = add_fault(host="dn1x.dc1", code="too_many_open_files")
    muted = silence_for_fault(fault=fault, duration=hours(2), author="carol")
    assert muted.fault_type_code == "too_many_open_files"
    assert muted.ends_at - muted.starts_at == hours(2)
    assert muted.host_glob == glob_escape("dn[1]*.dc1")
    assert suppression_for(entry_for(fault)).id == muted.pk
    assert suppression_for(entry_for(lookalike)) is None
    assert f"fault #{fault.pk}" in muted.comment


def test_a_cluster_wide_fault_silence_matches_the_type():
    fault = add_fault(host="", code="too_many_open_files")
    muted = silence_for_fault(fault=fault, duration=hours(2), author="carol")
    assert muted.host_glob == ""
    assert suppression_for(entry_for(fault)).id == muted.pk


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"fault_type_code": "no_such_type"}, "fault_type_code"),
        ({"host_glob": "rack[0-"}, "host_glob"),
        ({}, "__all__"),  # no matcher at all
        ({"host_glob": "dn1", "duration": hours(24 * 400)}, "ends_at"),
        ({"host_glob": "dn1", "duration": hours(-1)}, "ends_at"),
        ({"severity": "urgent"}, "severity"),
    ],
)
def test_an_unusable_silence_is_refused_with_the_field_at_fault(fields, field):
    with pytest.raises(ValidationError) as caught:
        silence(**fields)
    assert field in caught.value.message_dict
    assert Silence.objects.count() == 0


def test_expiring_or_deleting_a_silence_lets_the_dispatcher_look_again_now():
    fault = add_fault(host="dn3.dc1")
    muted = silence(host_glob="dn3.dc1")
    kept = silence(host_glob="dn9.dc1")
    held = outbox_entry(fault, held_by=("silence", muted.pk))
    untouched = outbox_entry(fault, held_by=("silence", kept.pk))

    silence_expire(silence=muted)
    muted.refresh_from_db()
    held.refresh_from_db()
    untouched.refresh_from_db()
    assert muted.ends_at <= timezone.now()
    assert held.held_until <= recheck_time()  # asked again within one cache period
    assert untouched.held_until > timezone.now() + hours(1)
    assert suppression_for(entry_for(fault)) is None

    silence_delete(silence=kept)
    untouched.refresh_from_db()
    assert untouched.held_until <= recheck_time()
    assert not Silence.objects.filter(pk=kept.pk).exists()


def test_expiring_a_pending_silence_means_it_never_starts():
    now = timezone.now()
    pending = silence(host_glob="dn1", starts_at=now + hours(1), ends_at=now + hours(2))
    silence_expire(silence=pending, now=now)
    pending.refresh_from_db()
    assert pending.state(now) == "expired"


def test_a_one_off_maintenance_window_holds_its_hosts():
    now = timezone.now()
    inside = add_fault(host="rack7-dn2")
    outside = add_fault(host="rack8-dn2")
    window = maintenance_window_create(
        name="rack 7 PSU swap",
        host_glob="rack7-*",
        starts_at=now - hours(1),
        ends_at=now + hours(1),
    )
    held = suppression_for(entry_for(inside))
    assert (held.kind, held.id, held.ends_at) == ("maintenance", window.pk, window.ends_at)
    assert "rack 7 PSU swap" in held.reason
    assert suppression_for(entry_for(outside)) is None
    window.enabled = False  # as the admin's action does
    window.save()
    assert suppression_for(entry_for(inside)) is None


def test_a_weekly_maintenance_window_is_read_in_the_cluster_time_zone(settings):
    settings.CLUSTER_TIME_ZONE = "Asia/Kolkata"  # UTC+5:30
    from zoneinfo import ZoneInfo

    now = timezone.now()
    local_start = (now - timedelta(minutes=30)).astimezone(ZoneInfo("Asia/Kolkata"))
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[local_start.weekday()]
    fault = add_fault(host="dn5")
    window = maintenance_window_create(
        name="weekly reboot",
        host_glob="dn5",
        recurrence="weekly",
        weekdays=weekday,
        start_time=local_start.time().replace(microsecond=0),
        duration_minutes=60,
    )
    held = suppression_for(entry_for(fault))
    assert held.kind == "maintenance" and held.id == window.pk
    expected_end = local_start.replace(microsecond=0) + timedelta(minutes=60)
    assert held.ends_at == expected_end
    # The same wall-clock time read in UTC is 5 h 30 min off: not active then.
    settings.CLUSTER_TIME_ZONE = "UTC"
    assert suppression_for(entry_for(fault)) is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"recurrence": "once", "starts_at": None}, "starts_at"),
        ({"recurrence": "weekly", "weekdays": "", "start_time": None}, "weekdays"),
        ({"recurrence": "weekly", "weekdays": "someday", "start_time": "02:00"}, "weekdays"),
        (
            {
                "recurrence": "weekly",
                "weekdays": "mon",
                "start_time": "02:00",
                "duration_minutes": 0,
            },
            "duration_minutes",
        ),
        ({"host_glob": ""}, "host_glob"),
    ],
)
def test_an_unusable_window_is_refused(fields, field):
    now = timezone.now()
    values = {"name": "w", "host_glob": "dn1", "starts_at": now, "ends_at": now + hours(1)}
    values.update(fields)
    with pytest.raises(ValidationError) as caught:
        maintenance_window_create(**values)
    assert field in caught.value.message_dict


def test_editing_a_window_releases_what_it_held():
    now = timezone.now()
    fault = add_fault(host="dn1")
    window = maintenance_window_create(
        name="w", host_glob="dn1", starts_at=now - hours(1), ends_at=now + hours(5)
    )
    held = outbox_entry(fault, held_by=("maintenance", window.pk), hours=5)
    maintenance_window_changed(window=window)
    held.refresh_from_db()
    assert held.held_until <= recheck_time()


def test_a_snooze_until_a_time():
    fault = add_fault(host="dn1")
    until = timezone.now() + hours(3)
    snooze = fault_snooze(fault=fault, until=until, author="dave", comment="known, ticket 42")
    held = suppression_for(entry_for(fault))
    assert (held.kind, held.id, held.ends_at) == ("snooze", snooze.pk, until)
    assert "ticket 42" in held.reason
    other = add_fault(host="dn1")
    assert suppression_for(entry_for(other)) is None  # one fault only
    assert fault_unsnooze(fault=fault) is True
    assert suppression_for(entry_for(fault)) is None


def test_a_snooze_for_n_more_occurrences_ends_when_the_fault_has_counted_them():
    fault = add_fault(host="dn1", occurrences=10)
    fault_snooze(fault=fault, occurrences=3, author="dave")
    held = suppression_for(entry_for(fault))
    assert held.kind == "snooze" and held.ends_at is None  # asked again every tick
    assert "3 more occurrence" in held.reason
    FaultRecord.objects.filter(pk=fault.pk).update(occurrences=12)
    assert suppression_for(entry_for(fault)) is not None
    FaultRecord.objects.filter(pk=fault.pk).update(occurrences=13)
    assert suppression_for(entry_for(fault)) is None


def test_snoozing_again_replaces_the_snooze_and_releases_what_it_held():
    fault = add_fault(host="dn1")
    first = fault_snooze(fault=fault, until=timezone.now() + hours(9), author="dave")
    held = outbox_entry(fault, held_by=("snooze", first.pk), hours=9)
    second = fault_snooze(fault=fault, until=timezone.now() + hours(1), author="dave")
    held.refresh_from_db()
    assert held.held_until <= recheck_time()
    assert suppression_for(entry_for(fault)).id == second.pk


@pytest.mark.parametrize(
    "fields",
    [{}, {"occurrences": 0}, {"until": datetime(2000, 1, 1, tzinfo=UTC)}],
)
def test_an_unusable_snooze_is_refused(fields):
    fault = add_fault(host="dn1")
    with pytest.raises(ValidationError):
        fault_snooze(fault=fault, author="dave", **fields)


def test_of_several_the_one_that_ends_last_is_reported():
    now = timezone.now()
    fault = add_fault(host="dn1")
    silence(host_glob="dn1", ends_at=now + hours(1), starts_at=now - hours(1))
    late = silence(host_glob="dn*", ends_at=now + hours(4), starts_at=now - hours(1))
    fault_snooze(fault=fault, occurrences=5, author="dave")
    assert suppression_for(entry_for(fault)).id == late.pk
    kinds = [s.kind for s in fault_suppressions(fault=fault)]
    assert kinds == ["snooze", "silence", "silence"]


def test_held_entries_are_found_by_their_suppression_on_this_database():
    fault = add_fault(host="dn1")
    muted = silence(host_glob="dn1")
    outbox_entry(fault, held_by=("silence", muted.pk))
    outbox_entry(fault, held_by=("maintenance", muted.pk))  # same id, other kind
    from oncall.silences import silenced_outbox

    assert silenced_outbox(kind="silence", object_id=muted.pk).count() == 1
    assert OutboxEntry.objects.filter(status="silenced").count() == 2


def test_prune_deletes_silences_that_ended_before_the_retention_only(settings):
    from io import StringIO

    from django.core.management import call_command

    settings.SILENCE_RETENTION_DAYS = 90
    now = timezone.now()

    def make(start_days: float, end_days: float) -> Silence:
        return Silence.objects.create(
            host_glob="dn1",
            starts_at=now + timedelta(days=start_days),
            ends_at=now + timedelta(days=end_days),
            author="a",
            comment="c",
        )

    old = make(-120, -100)
    recent = make(-30, -20)
    long_active = make(-200, 10)  # started long ago, still in force
    pending = make(1, 2)
    out = StringIO()
    call_command("prune", "--table", "silences", "--no-progress", stdout=out)
    assert "silences 1" in out.getvalue()
    remaining = set(Silence.objects.values_list("pk", flat=True))
    assert remaining == {recent.pk, long_active.pk, pending.pk}
    assert old.pk not in remaining


def test_the_worker_sees_a_silence_made_elsewhere_within_one_cache_period():
    import time

    fault = add_fault(host="dn1")
    assert suppression_for(entry_for(fault)) is None  # the worker's copy is loaded now
    # Written as another process would: no signal reaches this process's copy.
    now = timezone.now()
    Silence.objects.bulk_create(
        [
            Silence(
                host_glob="dn1",
                starts_at=now,
                ends_at=now + hours(1),
                author="api",
                comment="from another host",
            )
        ]
    )
    assert [s.kind for s in fault_suppressions(fault=fault)] == ["silence"]  # pages: at once
    time.sleep(SUPPRESSOR_CACHE_SECONDS + 0.1)
    held = suppression_for(entry_for(fault))
    assert held is not None and held.kind == "silence"
