"""Fault detection over ingested log lines — the hook ingestion calls.

Contract with logs/ (ingestion), inside the request's transaction:

    detected = detect_faults(lines)                    # pure: no query per line
    ids = <insert lines, returning ids for {i for i, _ in detected}>
    fault_occurrences_record(occurrences=[replace(occ, log_id=ids.get(i)) for i, occ in detected])

`lines` are parsed log lines (logs.parsing.ParsedLine or anything with the same attributes:
host, logtype, log_time, received_at, level, component, message, trace, raw, is_continuation).
The result pairs the index of each faulty line with its diagnosis.services.Occurrence.

How a line is judged:
- A line below its level's bar is skipped at once (most INFO/DEBUG traffic): each type has a
  min_level, and several real signatures are logged at INFO.
- The text searched is the message plus its attached stack trace; for a stack-trace line that
  arrived alone (Flume sends one line per request) or a line in no known layout, the raw line.
  Such lines have no level of their own, so every type is tried on them.
- The first matching type, most severe first, names the fault: one line, one occurrence.
- An ERROR/FATAL line that matches no type is an `unclassified` fault, grouped by its
  normalised message, so nothing severe goes unseen (the `unclassified` type's min_level sets
  the bar; ERROR as shipped).
"""

import dataclasses
from collections.abc import Callable, Sequence

from diagnosis.catalogue import (
    TOP_RANK,
    Catalogue,
    CompiledType,
    catalogue_current,
    level_rank,
)
from diagnosis.entities import endpoints, extract
from diagnosis.models import FaultType
from diagnosis.normalize import MAX_INPUT_CHARS, exception_class, message_normalize
from diagnosis.services import (
    Occurrence,
    fault_occurrence_withdraw,
    fault_occurrences_count_later,
    fault_occurrences_record,
    fingerprint_for,
    fingerprint_known,
)

Grouping = FaultType.Grouping

# A sample keeps the evidence readable without copying a 64 KB line into every fault record.
MAX_SAMPLE_CHARS = 8192
MAX_TITLE_EXCERPT = 160


def detect_faults(lines: Sequence) -> list[tuple[int, Occurrence]]:
    catalogue = catalogue_current()
    detected = []
    for index, line in enumerate(lines):
        occurrence = line_detect(line, catalogue=catalogue)
        if occurrence is not None:
            detected.append((index, occurrence))
    return detected


def detected_record(detected: list[tuple[int, Occurrence]], ids: dict[int, int]) -> None:
    """Fold the occurrences found in stored lines into faults, each linked to its line's id.

    Registered with logs (logs/hooks.py) in DiagnosisConfig.ready, with detect_faults: logs
    calls it inside the transaction that writes the lines. In an intake process whose flusher
    runs, occurrences that only count into an open fault are written by the flusher
    (diagnosis/counting.py): a fault storm must not serialise every request on one row.
    """
    fault_occurrences_record(
        occurrences=[
            dataclasses.replace(occurrence, log_id=ids.get(index)) for index, occurrence in detected
        ],
        defer=True,
    )


def detected_record_later(detected: list[tuple[int, Occurrence]]):
    """For logs' one-line request written by group commit (logs/hooks.py): a function taking
    the line's id once committed when the occurrences only count into open faults and this
    process's flusher runs (diagnosis/counting.py), else None."""
    count = fault_occurrences_count_later(occurrences=[occurrence for _, occurrence in detected])
    if count is None:
        return None

    def record(ids: dict[int, int]) -> None:
        count([dataclasses.replace(occ, log_id=ids.get(index)) for index, occ in detected])

    return record


def event_update(before, after) -> tuple[Occurrence | None, Occurrence | None] | None:
    """An event stored by an earlier request grew (logs/events.py): what it shows now, if that
    is not what it showed before, as (occurrence to withdraw, occurrence to record).

    `before` and `after` are the whole event as one line (its header's level, time and
    component; every later line in its trace). A `Caused by:` arriving three requests after its
    header types the event as it would have had the event arrived whole: the unclassified (or
    other) occurrence the header alone made is withdrawn, the typed one recorded, both at the
    header's log time. The same fault before and after: nothing to do (an event is one
    occurrence, however many lines it has).
    """
    catalogue = catalogue_current()
    old = line_detect(before, catalogue=catalogue)
    new = line_detect(after, catalogue=catalogue)
    if old is None and new is None:
        return None
    if old is not None and new is not None and old.fingerprint == new.fingerprint:
        return None
    return old, new


def event_updates_record(updates: list[tuple[tuple, int]]) -> None:
    """Apply event_update's answers inside the transaction that stores the lines; `head_id` is
    the event's first row, which the recorded occurrence links to."""
    for (old, _), _head in sorted(updates, key=lambda u: u[0][0].fingerprint if u[0][0] else ""):
        if old is not None:
            fault_occurrence_withdraw(occurrence=old)
    recorded = [
        dataclasses.replace(new, log_id=head) for (_, new), head in updates if new is not None
    ]
    if recorded:
        fault_occurrences_record(occurrences=recorded)


def line_detect(line, *, catalogue: Catalogue) -> Occurrence | None:
    """The fault one parsed line shows, or None."""
    rank = level_rank(line.level)
    if rank is None or line.is_continuation:
        rank, text, severe = TOP_RANK, line.raw, False
    else:
        if rank < catalogue.lowest_rank:
            return None
        text = f"{line.message}\n{line.trace}" if line.trace else line.message
        severe = rank >= catalogue.unclassified_rank
    bucket = catalogue.buckets[rank]
    if line.trace and not line.is_continuation and bucket.might_match(line.message):
        # The message says what failed, the trace why: "Failed to renew lease …" caused by a
        # NoRouteToHostException is a lease fault whose cause the trace names. The trace's own
        # signatures are kept as signals for incidents and diagnosis.
        for compiled in bucket.types:
            match = compiled.search(line.message, line.component)
            if match is not None:
                signals = _signals(bucket, line.trace, line.component, compiled)
                return _matched(line, compiled, text, match.start(), signals)
    if bucket.might_match(text):
        for compiled in bucket.types:
            match = compiled.search(text, line.component)
            if match is not None:
                return _matched(line, compiled, text, match.start())
    if severe and catalogue.unclassified is not None:
        return _unclassified(line, catalogue.unclassified)
    return None


def line_text(line) -> str:
    """The text patterns are searched in: message and attached trace, or the raw line when the
    line has no level of its own."""
    if line.is_continuation or level_rank(line.level) is None:
        return line.raw
    return f"{line.message}\n{line.trace}" if line.trace else line.message


def _line_at(text: str, position: int) -> str:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return text[start : end if end != -1 else len(text)].strip()


def normalise_keeping_peers(text: str) -> str:
    """The grouping form of a line, with the peers it names (endpoints on a port with a known
    role) kept as host:port: "Retrying connect to server: master1:8020. Already tried <num>
    time(s)…". Addresses of clients (ephemeral ports), ids and numbers are still normalised."""
    text = text[:MAX_INPUT_CHARS]
    found = [(start, end, ep) for start, end, ep in endpoints(text) if ep["role"]]
    if not found:
        return message_normalize(text)
    pieces, kept, last = [], [], 0
    for start, end, endpoint in found:
        # A private-use character survives every normalisation rule (it is no word character).
        pieces += [text[last:start], chr(0xE000 + len(kept))]
        kept.append(f"{endpoint['host']}:{endpoint['port']}")
        last = end
    pieces.append(text[last:])
    normalised = message_normalize("".join(pieces))
    for index, label in enumerate(kept):
        normalised = normalised.replace(chr(0xE000 + index), label)
    return normalised


MAX_SIGNALS = 4


def _signals(bucket, trace: str, component: str, chosen: CompiledType) -> list[str]:
    """Codes of the other types whose signature the stack trace shows, most severe first."""
    if not bucket.might_match(trace):
        return []
    codes = []
    for compiled in bucket.types:
        if compiled is not chosen and compiled.search(trace, component) is not None:
            codes.append(compiled.fault_type.code)
            if len(codes) >= MAX_SIGNALS:
                break
    return codes


def _matched(
    line, compiled: CompiledType, text: str, position: int, signals: list[str] | None = None
) -> Occurrence:
    # Group by the line that carries the signature (the message, or the trace line that
    # matched), not by a generic message above it.
    def normalised() -> str:
        return normalise_keeping_peers(_line_at(text, position))

    return _occurrence(line, compiled.fault_type, normalised, text, signals)


def _unclassified(line, fault_type: FaultType) -> Occurrence:
    def normalised() -> str:
        first_line = (line.message or line.raw).split("\n", 1)[0]
        normalised = normalise_keeping_peers(first_line)
        cause = exception_class(line.trace)
        if cause:  # same message, different exception: different faults (Sentry groups likewise)
            normalised = f"{normalised} [{cause}]"
        return normalised

    text = f"{line.message}\n{line.trace}" if line.trace else (line.message or line.raw)
    return _occurrence(line, fault_type, normalised, text)


def _occurrence(
    line,
    fault_type: FaultType,
    normalise: Callable[[], str],
    text: str,
    signals: list[str] | None = None,
) -> Occurrence:
    grouping = fault_type.grouping
    host = line.host
    component = line.component or ""
    normalised = None
    if grouping == Grouping.CLUSTER:
        fingerprint = fingerprint_for("log", fault_type.code)
        host, title = "", fault_type.name
    elif grouping == Grouping.HOST:
        fingerprint = fingerprint_for("log", fault_type.code, host)
        title = f"{fault_type.name} on {host}"
    else:
        normalised = normalise()
        fingerprint = fingerprint_for("log", fault_type.code, host, component, normalised)
        title = f"{fault_type.name} on {host}{_short_component(component)}: {_excerpt(normalised)}"
    sample = line.raw
    if len(sample) > MAX_SAMPLE_CHARS:
        sample = sample[:MAX_SAMPLE_CHARS] + "\n[… cut]"
    occurrence = Occurrence(
        fault_type=fault_type,
        fingerprint=fingerprint,
        host=host,
        title=title,
        seen_at=line.log_time or line.received_at,
        sample=sample,
        component=component,
    )
    if fingerprint_known(fingerprint):
        # It counts into a record this process saw committed: the normalised message and the
        # entities are read only when a record is created, so a storm of one fault does not
        # work them out for every line (only if the record has to be created after all).
        def details() -> tuple[str, dict]:
            message = normalised if normalised is not None else normalise()
            return message, _entities(text, signals)

        return dataclasses.replace(occurrence, details=details)
    message = normalised if normalised is not None else normalise()
    return dataclasses.replace(occurrence, message=message, entities=_entities(text, signals))


def _entities(text: str, signals: list[str] | None) -> dict:
    entities = extract(text).as_dict()
    if signals:
        entities["signals"] = signals
    return entities


def _short_component(component: str) -> str:
    if not component:
        return ""
    return f" ({component.rsplit('.', 1)[-1]})"


def _excerpt(text: str) -> str:
    if len(text) <= MAX_TITLE_EXCERPT:
        return text
    return text[: MAX_TITLE_EXCERPT - 1].rstrip() + "…"
