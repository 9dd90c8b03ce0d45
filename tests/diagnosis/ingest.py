"""What ingestion does with detection, in the order the contract in diagnosis/detection.py sets:
detect, store the lines (ids for the faulty ones), record the occurrences — one transaction."""

from dataclasses import replace

from django.db import transaction

from diagnosis.detection import detect_faults
from diagnosis.services import fault_occurrences_record
from logs.models import SystemLog


def store_line(line) -> int:
    return SystemLog.objects.create(
        host=line.host,
        logtype=line.logtype,
        log_time=line.log_time,
        level=line.level,
        component=line.component,
        thread=line.thread,
        message=line.message,
        trace=line.trace,
        raw=line.raw,
        is_continuation=line.is_continuation,
        received_at=line.received_at,
    ).pk


def ingest(lines):
    """Store `lines` and record their faults; returns the fault records touched."""
    with transaction.atomic():
        detected = detect_faults(lines)
        faulty = {index for index, _ in detected}
        ids = {index: store_line(line) for index, line in enumerate(lines) if index in faulty}
        return fault_occurrences_record(
            occurrences=[replace(occ, log_id=ids.get(index)) for index, occ in detected]
        )
