"""Reads of faults for the API and the admin."""

from dataclasses import dataclass

from django.db.models import QuerySet

from diagnosis.models import FaultEvent, FaultRecord
from logs.models import SystemLog

# The history shown with a fault: its latest state changes, newest first.
RECENT_EVENTS = 20


def fault_list() -> QuerySet[FaultRecord]:
    """Faults with their type, most recent activity first (ties broken by id, so stable)."""
    return (
        FaultRecord.objects.select_related("fault_type")
        .defer("first_sample", "latest_sample", "message", "diagnosis")
        .order_by("-last_seen", "-id")
    )


@dataclass(frozen=True)
class SampleLine:
    """One sample of a fault: the copy stored with it, and the log row while it still exists."""

    which: str  # "first" or "latest"
    text: str
    log: SystemLog | None


@dataclass(frozen=True)
class FaultDetail:
    fault: FaultRecord
    samples: list[SampleLine]
    events: list[FaultEvent]


def fault_detail(*, fault_id: int) -> FaultDetail:
    """A fault with its sample lines and recent history; FaultRecord.DoesNotExist if absent."""
    fault = FaultRecord.objects.select_related("fault_type").get(pk=fault_id)
    log_ids = {i for i in (fault.first_log_id, fault.latest_log_id) if i is not None}
    # Pruned lines are simply gone (no FK constraint); the stored copies remain.
    logs = SystemLog.objects.in_bulk(log_ids) if log_ids else {}
    samples = [SampleLine("first", fault.first_sample, logs.get(fault.first_log_id))]
    if fault.latest_log_id != fault.first_log_id or fault.latest_sample != fault.first_sample:
        samples.append(SampleLine("latest", fault.latest_sample, logs.get(fault.latest_log_id)))
    events = list(fault.events.order_by("-at", "-id")[:RECENT_EVENTS])
    return FaultDetail(fault=fault, samples=samples, events=events)


def fault_get(*, fault_id: int) -> FaultRecord:
    return FaultRecord.objects.select_related("fault_type").get(pk=fault_id)
