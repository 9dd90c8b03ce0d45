"""Fault detection over ingested log lines — the hook ingestion calls.

Contract with logs/ (ingestion), inside the request's transaction:

    detected = detect_faults(lines)                    # pure: no query per line
    ids = <insert lines, returning ids for {i for i, _ in detected}>
    fault_occurrences_record(occurrences=[replace(occ, log_id=ids.get(i)) for i, occ in detected])

`lines` are parsed log lines (logs.parsing.ParsedLine or anything with the same attributes:
host, logtype, log_time, received_at, level, component, message, trace, raw, is_continuation).
The result pairs the index of each faulty line with its diagnosis.services.Occurrence.

Filled by the fault-detection issue; until then nothing is detected.
"""

from collections.abc import Sequence

from diagnosis.services import Occurrence


def detect_faults(lines: Sequence) -> list[tuple[int, Occurrence]]:
    return []
