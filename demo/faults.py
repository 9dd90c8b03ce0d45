"""Fault records made from the demo's log lines, through the same services detection uses.

Operators' actions happen "in the past": the lifecycle services stamp the current time, so each
step's timestamps are moved back to when the story says it happened.
"""

import random
from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import Max

from demo.incidents import FaultSpec
from demo.lines import Line
from diagnosis import services
from diagnosis.models import FaultEvent, FaultRecord, FaultType
from diagnosis.normalize import message_normalize

DETECTION_DELAY = timedelta(seconds=20)  # lines reach the portal and are matched within seconds


def demo_fingerprint(spec: FaultSpec) -> str:
    """Stable across runs, and marked as demo so --reset finds exactly these records."""
    return services.fingerprint_for("demo", spec.code, spec.host, spec.key)


def _occurrence(fault_type: FaultType, spec: FaultSpec, line: Line, raw: str, log_id):
    return services.Occurrence(
        fault_type=fault_type,
        fingerprint=demo_fingerprint(spec),
        host=spec.host,
        title=spec.title,
        seen_at=line.at,
        sample=raw,
        message=message_normalize(line.message.strip() or line.trace.splitlines()[0]),
        component=line.component,
        log_id=log_id,
    )


def _backdate_new_events(record: FaultRecord, since: datetime, at: datetime) -> None:
    """Events the services just stamped with the wall clock happened at `at`."""
    FaultEvent.objects.filter(fault=record, at__gte=since).update(at=at)


def faults_record(
    *,
    week,
    specs: list[FaultSpec],
    evidence: dict[str, list[tuple[Line, str, int | None]]],
    wall_start: datetime,
) -> dict[str, FaultRecord]:
    """Create each spec's record from its lines, then replay the operators' steps in order."""
    types = {t.code: t for t in FaultType.objects.filter(code__in={s.code for s in specs})}
    missing = {s.code for s in specs} - set(types)
    if missing:
        raise LookupError(
            f"Fault types {', '.join(sorted(missing))} are missing: run `manage.py migrate`."
        )
    records = {}
    for spec in specs:
        lines = sorted(evidence.get(spec.key, []), key=lambda item: item[0].at)
        if not lines:
            raise ValueError(f"Demo fault {spec.key} has no log lines.")
        if spec.steps and week.at(spec.steps[0].hours) <= lines[0][0].at:
            raise ValueError(f"Demo fault {spec.key}: first step before its first line.")
        fault_type = types[spec.code]
        pending = list(lines)
        record = None
        for number, step in enumerate([*spec.steps, None]):
            # People act at odd seconds: a stable jitter per fault and step.
            jitter = timedelta(seconds=random.Random(f"{spec.key}-{number}").uniform(0, 59))
            until = week.end if step is None else week.at(step.hours) + jitter
            batch = [item for item in pending if item[0].at <= until]
            pending = pending[len(batch) :]
            if batch:
                (record,) = services.fault_occurrences_record(
                    occurrences=[_occurrence(fault_type, spec, *item) for item in batch]
                )
                _backdate_detection(record, batch, wall_start)
            if step is not None:
                record = _apply_step(record, step, until, wall_start)
        FaultRecord.objects.filter(pk=record.pk).update(
            updated_at=record.events.aggregate(latest=Max("at"))["latest"]
        )
        records[spec.key] = record
    return records


def _backdate_detection(record: FaultRecord, batch, wall_start: datetime) -> None:
    record.refresh_from_db()
    if record.created_at >= wall_start:  # just created: it was detected right after its line
        at = record.first_seen + DETECTION_DELAY
        FaultRecord.objects.filter(pk=record.pk).update(created_at=at)
        _backdate_new_events(record, wall_start, at)
    if record.regressed_at and record.regressed_at >= wall_start:
        first_after = next(line.at for line, _, _ in batch if line.at > record.resolved_at)
        at = first_after + DETECTION_DELAY
        FaultRecord.objects.filter(pk=record.pk).update(regressed_at=at)
        _backdate_new_events(record, wall_start, at)


_STAMPS = {
    "acknowledged": "acknowledged_at",
    "resolved": "resolved_at",
    "ignored": "ignored_at",
}


def _apply_step(record: FaultRecord, step, at: datetime, wall_start: datetime) -> FaultRecord:
    record = services.fault_transition(
        fault=record,
        action=step.action,
        actor=step.actor,
        note=step.note,
        resolution=step.resolution,
    )
    FaultRecord.objects.filter(pk=record.pk).update(**{_STAMPS[step.action]: at})
    _backdate_new_events(record, wall_start, at)
    record.refresh_from_db()
    return record


def evidence_by_fault(lines: list[Line], raws: list[str], ids: dict) -> dict[str, list]:
    evidence = defaultdict(list)
    for line, raw in zip(lines, raws, strict=True):
        if line.fault:
            evidence[line.fault].append((line, raw, ids.get((line.host.name, line.at, raw))))
    return evidence
