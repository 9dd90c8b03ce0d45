"""Reads of faults for the API and the admin."""

from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, QuerySet, Value, When
from django.db.models.fields.json import KT

from diagnosis.models import Diagnosis, FaultEvent, FaultRecord, Incident, Severity
from diagnosis.services import ACTIVE_STATUSES
from logs.models import SystemLog
from logs.selectors import system_log_event_whole

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
    # A line whose event continued in later requests (one line per request, as Flume sends
    # them) is shown as its whole event: the trace under its header (logs/events.py).
    logs = {pk: system_log_event_whole(line=line) for pk, line in logs.items()}
    samples = [_sample("first", fault.first_sample, logs.get(fault.first_log_id))]
    if fault.latest_log_id != fault.first_log_id or fault.latest_sample != fault.first_sample:
        samples.append(_sample("latest", fault.latest_sample, logs.get(fault.latest_log_id)))
    events = list(fault.events.order_by("-at", "-id")[:RECENT_EVENTS])
    return FaultDetail(fault=fault, samples=samples, events=events)


def _sample(which: str, text: str, log: SystemLog | None) -> SampleLine:
    """The stored copy, or the whole event when its row holds more of it than the copy (the
    copy was taken when the event's first line arrived)."""
    if log is not None and len(log.raw) > len(text) and log.raw.startswith(text[:200]):
        text = log.raw
    return SampleLine(which, text, log)


def fault_get(*, fault_id: int) -> FaultRecord:
    return FaultRecord.objects.select_related("fault_type").get(pk=fault_id)


def faults_active_counts() -> dict[str, dict[str, int]]:
    """Active faults per severity and status: {severity: {"open": n, "acknowledged": n}}, every
    severity present, most severe first. One GROUP BY over the (status, severity) index."""
    counts = {severity: dict.fromkeys(ACTIVE_STATUSES, 0) for severity in Severity.values}
    rows = (
        FaultRecord.objects.filter(status__in=ACTIVE_STATUSES)
        .values("severity", "status")
        .annotate(faults=Count("pk"))
        .order_by()
    )
    for row in rows:
        by_status = counts.setdefault(row["severity"], dict.fromkeys(ACTIVE_STATUSES, 0))
        by_status[row["status"]] = row["faults"]
    return counts


def faults_active_newest(*, limit: int) -> list[FaultRecord]:
    """The active faults with the most recent activity, with their type (one query)."""
    return list(fault_list().filter(status__in=ACTIVE_STATUSES)[:limit])


def faults_for_host(*, host: str, limit: int) -> list[FaultRecord]:
    """A host's faults, active ones first, each group by most recent activity (one query)."""
    inactive = Case(
        When(status__in=ACTIVE_STATUSES, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return list(
        fault_list()
        .filter(host=host)
        .annotate(inactive=inactive)
        .order_by("inactive", "-last_seen", "-id")[:limit]
    )


# --- Incidents ----------------------------------------------------------------------------------

INCIDENT_ACTIVE = (Incident.Status.OPEN, Incident.Status.ACKNOWLEDGED)


def incident_list() -> QuerySet[Incident]:
    """Incidents, most recent activity first (ties by id), without their diagnosis body."""
    return Incident.objects.order_by("-last_seen", "-id")


@dataclass(frozen=True)
class IncidentDetail:
    incident: Incident
    faults: list[FaultRecord]  # causes first, then symptoms; each by first seen


def incident_detail(*, incident_id: int) -> IncidentDetail:
    """An incident with its faults (two queries); Incident.DoesNotExist if absent."""
    incident = Incident.objects.get(pk=incident_id)
    faults = list(
        fault_list().filter(incident=incident).order_by("is_symptom", "first_seen", "id")[:200]
    )
    return IncidentDetail(incident=incident, faults=faults)


def incidents_for_dashboard(*, limit: int) -> list[Incident]:
    """Incidents for the dashboard (one query): the active ones first, then the others, each
    by most recent activity; merged ones left out. Each carries its fault count (`fault_total`)
    and its top cause's title and confidence, read inside the database (a diagnosis is tens of
    KiB)."""
    return list(
        Incident.objects.exclude(status=Incident.Status.MERGED)
        .defer("diagnosis")
        .annotate(
            inactive=Case(
                When(status__in=INCIDENT_ACTIVE, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            fault_total=Count("faults"),
            top_cause=KT("diagnosis__probable_causes__0__title"),
            top_confidence=KT("diagnosis__probable_causes__0__confidence"),
        )
        .order_by("inactive", "-last_seen", "-id")[:limit]
    )


def incidents_active_newest(*, limit: int) -> list[Incident]:
    """The active incidents with the most recent activity (one query)."""
    return list(incident_list().filter(status__in=INCIDENT_ACTIVE)[:limit])


# --- Diagnoses --------------------------------------------------------------------------------


def diagnosis_pending_latest(
    *, fault_id: int | None = None, incident_id: int | None = None
) -> Diagnosis | None:
    """The newest diagnosis of this fault or incident still waiting for the background worker
    (an LLM diagnosis), or None; one query on the diagnoses' fault/incident index."""
    rows = Diagnosis.objects.filter(state=Diagnosis.State.PENDING)
    rows = rows.filter(fault_id=fault_id) if fault_id else rows.filter(incident_id=incident_id)
    return rows.only("id", "created_at", "requested_by").order_by("-created_at", "-id").first()
