"""Rows for the silence tests: faults (through the dashboard tests' helper) and outbox entries."""

from datetime import timedelta

from django.utils import timezone

from oncall.models import OutboxEntry
from tests.dashboard.pages_data import HOSTILE, add_fault

__all__ = ["HOSTILE", "add_fault", "entry_for", "outbox_entry"]


def entry_for(fault, *, event: str = "opened", save: bool = False, **fields) -> OutboxEntry:
    """The outbox entry the fault-change listener writes for `fault`."""
    values = {
        "event": event,
        "fault": fault,
        "incident_id": fault.incident_id,
        "fault_type_code": fault.fault_type.code,
        "host": fault.host,
        "title": fault.title,
        "severity": fault.severity,
        "changed_at": timezone.now(),
    }
    values.update(fields)
    entry = OutboxEntry(**values)
    if save:
        entry.save()
    return entry


def outbox_entry(fault, *, held_by: tuple[str, int], hours: float = 2) -> OutboxEntry:
    """An entry the dispatcher held for `held_by` (kind, id) until `hours` from now."""
    until = timezone.now() + timedelta(hours=hours)
    return entry_for(
        fault,
        save=True,
        status=OutboxEntry.Status.SILENCED,
        suppression={"kind": held_by[0], "id": held_by[1], "ends_at": until.isoformat()},
        held_until=until,
    )
