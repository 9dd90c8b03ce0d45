"""Fault changes reach registered listeners inside the transaction that makes them."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from diagnosis import services
from diagnosis.changes import (
    fault_change_listener_register,
    fault_change_listener_unregister,
)
from diagnosis.models import FaultRecord, FaultType
from diagnosis.services import Occurrence

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0) - timedelta(hours=2)


@pytest.fixture
def seen():
    changes = []
    fault_change_listener_register("test", changes.extend)
    yield changes
    fault_change_listener_unregister("test")


def occ(seconds=0, **kw):
    return Occurrence(
        fault_type=FaultType.objects.get(code="too_many_open_files"),
        fingerprint=kw.pop("fingerprint", "fp-1"),
        host="dn01",
        title="Too many open files",
        seen_at=T0 + timedelta(seconds=seconds),
        **kw,
    )


def test_opened_once_then_quiet_for_ordinary_occurrences(seen):
    services.fault_occurrences_record(occurrences=[occ(0), occ(1)])
    services.fault_occurrences_record(occurrences=[occ(2)])
    services.fault_occurrences_record(occurrences=[occ(3)])
    assert [c.kind for c in seen] == ["opened"]
    change = seen[0]
    record = FaultRecord.objects.get()
    assert (change.fault_id, change.fault_type_code, change.host, change.severity) == (
        record.pk,
        "too_many_open_files",
        "dn01",
        "major",
    )
    assert change.status == "open"


def test_severity_raised_but_not_lowered(seen):
    services.fault_occurrences_record(occurrences=[occ(0)])
    services.fault_occurrences_record(occurrences=[occ(1, severity="critical")])
    services.fault_occurrences_record(occurrences=[occ(2, severity="minor")])
    assert [c.kind for c in seen] == ["opened", "severity_raised"]
    assert (seen[1].previous_severity, seen[1].severity) == ("major", "critical")


def test_resolved_then_regressed_then_lifecycle(seen):
    (record,) = services.fault_occurrences_record(occurrences=[occ(0)])
    services.fault_resolve(fault=record, actor="alice", note="fixed")
    # a line logged after the resolution reopens it
    later = (timezone.now() - T0).total_seconds() + 60
    services.fault_occurrences_record(occurrences=[occ(later)])
    record.refresh_from_db()
    services.fault_acknowledge(fault=record, actor="bob")
    services.fault_ignore(fault=record, actor="bob")
    assert [c.kind for c in seen] == ["opened", "resolved", "regressed", "acknowledged", "ignored"]
    assert seen[1].actor == "alice" and seen[1].status == "resolved"
    assert seen[2].status == "open"


def test_auto_resolve_emits_resolved(seen):
    services.fault_occurrences_record(occurrences=[occ(0)])
    assert services.faults_auto_resolve(quiet_for=timedelta(hours=1)) == 1
    assert [c.kind for c in seen] == ["opened", "resolved"]


def test_a_listener_runs_inside_the_transaction(seen):
    """What a listener writes rolls back with the change (the outbox guarantee)."""
    inside = []
    fault_change_listener_register(
        "probe", lambda changes: inside.append(transaction.get_connection().in_atomic_block)
    )
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.fault_occurrences_record(occurrences=[occ(0)])
            raise RuntimeError("ingest failed after the faults")
    finally:
        fault_change_listener_unregister("probe")
    assert inside == [True]
    assert not FaultRecord.objects.exists()


def test_no_listener_no_change_objects(monkeypatch):
    from diagnosis import changes

    monkeypatch.setattr(changes, "_listeners", {})
    built = []
    monkeypatch.setattr(services, "_change", lambda *a, **k: built.append(1))
    services.fault_occurrences_record(occurrences=[occ(0)])
    assert built == []
