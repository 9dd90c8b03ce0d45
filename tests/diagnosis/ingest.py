"""Lines built by tests/diagnosis/loglines.py, stored through ingestion's own service.

`system_logs_ingest` is what POST /api/log/auto-upload calls: detect, store the lines (ids for
the faulty ones), record the occurrences, in one transaction. Going through it keeps these tests
honest about what ingestion really does with detection.
"""

from diagnosis.detection import detect_faults
from diagnosis.models import FaultRecord
from logs.parsing import ParsedLine
from logs.services import system_logs_ingest


def _parsed(line) -> ParsedLine:
    return ParsedLine(
        host=line.host,
        logtype=line.logtype,
        log_time=line.log_time,
        level=line.level,
        component=line.component,
        thread=line.thread,
        message=line.message,
        raw=line.raw,
        trace=line.trace,
        is_continuation=line.is_continuation,
        received_at=line.received_at,
    )


def ingest(lines) -> list[FaultRecord]:
    """Store `lines` and record their faults; returns the fault records touched."""
    parsed = [_parsed(line) for line in lines]
    fingerprints = {occurrence.fingerprint for _, occurrence in detect_faults(parsed)}
    system_logs_ingest(lines=parsed)
    return list(FaultRecord.objects.filter(fingerprint__in=fingerprints).order_by("id"))
