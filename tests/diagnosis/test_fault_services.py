"""Grouping occurrences into fault records, and the lifecycle around them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from diagnosis import services
from diagnosis.models import FaultEvent, FaultRecord, FaultType
from diagnosis.services import Occurrence

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0) - timedelta(hours=2)


def occurrence(seconds: int = 0, *, fingerprint: str = "fp-1", host: str = "dn01", **kw):
    return Occurrence(
        fault_type=FaultType.objects.get(code="too_many_open_files"),
        fingerprint=fingerprint,
        host=host,
        title="Too many open files",
        seen_at=T0 + timedelta(seconds=seconds),
        sample=f"line at +{seconds}s",
        **kw,
    )


def test_occurrences_with_one_fingerprint_make_one_record():
    services.fault_occurrences_record(occurrences=[occurrence(i) for i in range(10)])
    services.fault_occurrences_record(occurrences=[occurrence(20, count=5)])
    record = FaultRecord.objects.get()
    assert record.occurrences == 15
    assert (record.first_seen, record.last_seen) == (T0, T0 + timedelta(seconds=20))
    assert (record.first_sample, record.latest_sample) == ("line at +0s", "line at +20s")
    assert record.severity == "major"  # the type's default
    assert record.status == "open"


def test_a_late_line_moves_first_seen_back_but_not_the_latest_sample():
    services.fault_occurrences_record(occurrences=[occurrence(100)])
    services.fault_occurrences_record(occurrences=[occurrence(50)])
    record = FaultRecord.objects.get()
    assert record.first_seen == T0 + timedelta(seconds=50)
    assert record.last_seen == T0 + timedelta(seconds=100)
    assert record.latest_sample == "line at +100s"


def test_different_fingerprints_make_different_records():
    services.fault_occurrences_record(
        occurrences=[occurrence(0, fingerprint=f"fp-{h}", host=h) for h in ("dn01", "dn02")]
    )
    assert FaultRecord.objects.count() == 2


def test_lifecycle_records_who_and_when():
    (record,) = services.fault_occurrences_record(occurrences=[occurrence()])
    record = services.fault_acknowledge(fault=record, actor="alice")
    assert record.status == "acknowledged" and record.acknowledged_by == "alice"
    record = services.fault_resolve(fault=record, actor="bob", note="raised ulimit")
    assert record.status == "resolved" and record.resolved_by == "bob"
    assert record.resolution == "manual" and record.resolution_note == "raised ulimit"
    actions = list(record.events.order_by("id").values_list("action", "actor"))
    assert actions == [("opened", "system"), ("acknowledged", "alice"), ("resolved", "bob")]


def test_a_transition_from_the_wrong_status_is_refused():
    (record,) = services.fault_occurrences_record(occurrences=[occurrence()])
    services.fault_resolve(fault=record, actor="alice")
    with pytest.raises(services.FaultTransitionError, match="resolved"):
        services.fault_acknowledge(fault=record, actor="alice")


def test_an_occurrence_after_resolution_reopens_it_as_a_regression():
    (record,) = services.fault_occurrences_record(occurrences=[occurrence()])
    services.fault_resolve(fault=record, actor="alice")
    later = Occurrence(
        **{**occurrence().__dict__, "seen_at": timezone.now() + timedelta(seconds=5)}
    )
    services.fault_occurrences_record(occurrences=[later])
    record.refresh_from_db()
    assert record.status == "open" and record.is_regression
    assert record.events.filter(action=FaultEvent.Action.REGRESSED).exists()


def test_a_late_line_from_before_the_resolution_does_not_reopen_it():
    (record,) = services.fault_occurrences_record(occurrences=[occurrence(0)])
    services.fault_resolve(fault=record, actor="alice")
    services.fault_occurrences_record(occurrences=[occurrence(30)])  # logged 2 h ago
    record.refresh_from_db()
    assert record.status == "resolved" and not record.is_regression
    assert record.occurrences == 2


def test_an_ignored_fault_keeps_counting_but_stays_ignored():
    (record,) = services.fault_occurrences_record(occurrences=[occurrence()])
    services.fault_ignore(fault=record, actor="alice")
    later = Occurrence(**{**occurrence().__dict__, "seen_at": timezone.now()})
    services.fault_occurrences_record(occurrences=[later])
    record.refresh_from_db()
    assert record.status == "ignored" and record.occurrences == 2


def test_auto_resolve_closes_only_quiet_faults():
    services.fault_occurrences_record(
        occurrences=[
            occurrence(0, fingerprint="quiet"),
            Occurrence(**{**occurrence(fingerprint="busy").__dict__, "seen_at": timezone.now()}),
        ]
    )
    assert services.faults_auto_resolve(quiet_for=timedelta(hours=1)) == 1
    quiet = FaultRecord.objects.get(fingerprint="quiet")
    assert quiet.status == "resolved" and quiet.resolution == "quiet"
    assert FaultRecord.objects.get(fingerprint="busy").status == "open"


def test_metric_faults_raise_escalate_and_clear():
    now = timezone.now()
    record = services.fault_metric_raise(
        code="datanode_dead",
        key="cluster",
        host="",
        title="2 dead DataNodes",
        seen_at=now,
        severity="major",
    )
    record = services.fault_metric_raise(
        code="datanode_dead",
        key="cluster",
        host="",
        title="5 dead DataNodes",
        seen_at=now + timedelta(minutes=1),
        severity="critical",
    )
    assert FaultRecord.objects.count() == 1
    assert record.severity == "critical" and record.occurrences == 2
    cleared = services.fault_metric_clear(code="datanode_dead", key="cluster")
    assert cleared.status == "resolved" and cleared.resolution == "recovered"
    assert services.fault_metric_clear(code="datanode_dead", key="cluster") is None
