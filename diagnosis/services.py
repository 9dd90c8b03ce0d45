"""Writes for fault records: grouping occurrences, and the lifecycle operators drive.

Callers hand in occurrences already fingerprinted (log detection, cluster thresholds); this
module decides what they do to the records. Lifecycle, Sentry-style: open → acknowledged →
resolved, or ignored; an occurrence whose log time is after the resolution reopens the record
as a regression; an ignored record keeps counting but stays ignored.
"""

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from diagnosis import counting
from diagnosis.changes import ChangeKind, FaultChange, fault_changes_emit, fault_changes_wanted
from diagnosis.counting import Merged as _Merged
from diagnosis.counting import occurrences_merge as _merge
from diagnosis.entities import extract
from diagnosis.incidents import incident_refresh, incidents_place, incidents_refresh_for
from diagnosis.models import SEVERITY_RANK, FaultEvent, FaultRecord, FaultType, Incident
from logs.group_commit import GroupCommit

Status = FaultRecord.Status
Action = FaultEvent.Action
SYSTEM_ACTOR = "system"
ACTIVE_STATUSES = (Status.OPEN, Status.ACKNOWLEDGED)
logger = logging.getLogger("diagnosis.counting")


def fingerprint_for(*parts: str) -> str:
    """A stable 64-character key for the parts that make two occurrences the same fault."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Occurrence:
    """One sighting of a fault, as detection or a threshold check reports it."""

    fault_type: FaultType
    fingerprint: str
    host: str
    title: str
    seen_at: datetime  # log time of the line, or the collection time of a metric
    sample: str = ""
    message: str = ""
    component: str = ""
    log_id: int | None = None
    count: int = 1
    severity: str | None = None  # None: keep the record's (or the type's default) severity
    entities: dict | None = None  # what the line is about (diagnosis/entities.py)
    # Detection may leave message and entities to this (message, entities) function when the
    # fingerprint's record is known to exist: they are read only when a record is created.
    details: Callable[[], tuple[str, dict | None]] | None = None


def occurrence_details(occurrence: Occurrence) -> tuple[str, dict | None]:
    """The occurrence's normalised message and entities, worked out now if they were left."""
    if occurrence.details is not None:
        return occurrence.details()
    return occurrence.message, occurrence.entities


def fault_occurrences_record(
    *, occurrences: Iterable[Occurrence], defer: bool = False
) -> list[FaultRecord]:
    """Fold occurrences into their fault records; returns the records folded now.

    Runs in the caller's transaction when there is one (ingestion stores lines and faults
    together, so an idempotent retry changes neither). Lock order is global, so concurrent
    batches cannot deadlock: the fault types of records to create (by id), then the records
    (by fingerprint). In the steady state (every fingerprint already has its record) a batch
    costs one locking read of its records and one UPDATE per record.

    With `defer` (ingestion's detection), in a process whose flusher runs (diagnosis/flusher.py),
    occurrences that only count into a record already there are not folded here: one read that
    takes no lock finds them, and once the caller's transaction commits they join the process's
    pending counts, written within FAULT_COUNT_FLUSH_SECONDS by fault_counts_flush. A new fault,
    a regression and a severity change are still folded here, under the lock, and announced to
    the fault-change listeners in this transaction.
    """
    merged = _merge(occurrences)
    if not merged:
        return []
    if defer and counting.pending.active:
        later = _only_counting(merged)
        if later:
            transaction.on_commit(lambda: _pending_add(later))
            merged = {fp: entry for fp, entry in merged.items() if fp not in later}
            if not merged:
                return []
    with transaction.atomic(savepoint=False):
        return _fold(merged)


def fault_occurrences_count_later(
    *, occurrences: Sequence[Occurrence]
) -> Callable[[list[Occurrence]], None] | None:
    """For a request that writes its line without a transaction (logs' group commit): when this
    process defers counting and every occurrence would only count into an open record (read
    without a lock, as above), the function to hand the occurrences, with their line ids, to
    the pending counts once the line is committed; otherwise None (record them with
    fault_occurrences_record in the line's transaction)."""
    if not counting.pending.active:
        return None
    merged = _merge(occurrences)
    if not merged:
        return None
    question = tuple((fingerprint, entry.severity) for fingerprint, entry in sorted(merged.items()))
    if not (
        _only_counting_together([question])[0]
        if connection.in_atomic_block  # its own transaction's view, on its own connection
        else _status_reads.write(question)
    ):
        return None

    def count(committed: list[Occurrence]) -> None:
        _pending_add(_merge(committed))

    return count


def _fold(merged: dict[str, _Merged]) -> list[FaultRecord]:
    """Fold merged occurrences into their records under the records' locks (in a transaction)."""
    fingerprints = sorted(merged)
    if not _known_fingerprints.contains_all(fingerprints):
        _lock_types_of_new_records(merged)
    locked = {record.fingerprint: record for record in _lock_records(fingerprints)}
    updates: list[tuple[FaultRecord, list[str]]] = []
    created: list[FaultRecord] = []
    changes: list[FaultChange] | None = [] if fault_changes_wanted() else None
    touched = [
        _record_one(fp, merged[fp], locked.get(fp), updates, created, changes)
        for fp in fingerprints
    ]
    _save_many(updates)
    if created:
        # A new fault may share its cause with faults already known: one story, one
        # incident. Only new records are placed (existing ones keep their incident), so the
        # steady state of ingestion pays nothing for it.
        incidents_place(faults=created)
        if changes is not None:  # after placing: an opened change names its incident
            changes += [_change(ChangeKind.OPENED, r, merged[r.fingerprint]) for r in created]
    if changes:
        fault_changes_emit(changes)
    transaction.on_commit(lambda: _known_fingerprints.add_all(fingerprints))
    return touched


def _only_counting(merged: dict[str, _Merged]) -> dict[str, _Merged]:
    """The entries whose record exists, is open, acknowledged or ignored, and would change
    nothing but its counts, last seen and samples (no new severity). A resolved record is left
    to the locked path: a line after the resolution regresses it there, at once.

    Read without a lock (InnoDB's consistent read does not wait for the row lock another request
    or the flusher holds); a record resolved between this read and the flush is regressed by the
    flush, which decides under the lock as a request would.
    """
    found = _active_severities(list(merged))
    return {
        fingerprint: entry
        for fingerprint, entry in merged.items()
        if fingerprint in found and (not entry.severity or entry.severity == found[fingerprint])
    }


def _active_severities(fingerprints: Sequence[str]) -> dict[str, str]:
    """fingerprint -> severity of the records among these that are open, acknowledged or
    ignored (one read, no lock)."""
    key = (connection.vendor, len(fingerprints))
    sql = _only_counting_sql.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        column = FaultRecord._meta.get_field
        marks = ", ".join(["%s"] * len(fingerprints))
        sql = _only_counting_sql[key] = (
            f"SELECT {quote(column('fingerprint').column)}, {quote(column('severity').column)} "
            f"FROM {quote(FaultRecord._meta.db_table)} "
            f"WHERE {quote(column('fingerprint').column)} IN ({marks})"
            f" AND {quote(column('status').column)} IN (%s, %s, %s)"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*fingerprints, Status.OPEN, Status.ACKNOWLEDGED, Status.IGNORED])
        return dict(cursor.fetchall())


_only_counting_sql: dict[tuple[str, int], str] = {}


def _only_counting_together(rows: Sequence[tuple[tuple[str, str | None], ...]]) -> list[bool]:
    """For the status reads of concurrent one-line requests (_status_reads): one read for all
    their fingerprints; per request, whether all its occurrences only count."""
    found = _active_severities(sorted({fingerprint for row in rows for fingerprint, _ in row}))
    return [
        all(fp in found and (not severity or severity == found[fp]) for fp, severity in row)
        for row in rows
    ]


# A storm's one-line requests all ask the same question at once: the first one reads for itself
# and for every request that arrived meanwhile (logs/group_commit.py's leader pattern, on a read:
# a request never joins a read already sent, so it sees every change committed before it came).
_status_reads = GroupCommit(_only_counting_together)


def _pending_add(merged: dict[str, _Merged]) -> None:
    """After the request's commit: hand the counts to the flusher, or write them now if it
    stopped since the request began (the worker is exiting)."""
    counting.pending.add(merged)
    if not counting.pending.active:
        try:
            fault_counts_flush()
        except Exception:  # the lines are stored; the counts wait for the next flush
            logger.exception("writing fault counts after the flusher stopped failed")


def fault_counts_flush() -> int:
    """Write this process's pending counts (diagnosis/flusher.py calls it every
    FAULT_COUNT_FLUSH_SECONDS); returns the occurrences written.

    One transaction, the records locked in fingerprint order as ingestion locks them. If it
    fails (database down), the counts go back to the pending store for the next flush.
    """
    taken = counting.pending.take()
    if not taken:
        return 0
    try:
        with transaction.atomic():
            _fold(taken)
    except BaseException:
        counting.pending.put_back(taken)
        raise
    return sum(entry.count for entry in taken.values())


def fault_occurrence_withdraw(*, occurrence: Occurrence) -> None:
    """Take back an occurrence recorded earlier: the event it came from turned out, once its
    later lines arrived, to be another fault (diagnosis.detection.event_update).

    The record counts one less. A record this occurrence alone made is deleted, with its
    history (and its incident, if the record was that incident's only fault): the event never
    was that fault. Runs in the caller's transaction.
    """
    with transaction.atomic(savepoint=False):
        record = (
            FaultRecord.objects.select_for_update()
            .filter(fingerprint=occurrence.fingerprint)
            .only("id", "occurrences", "incident_id")
            .first()
        )
        if record is None:
            return
        if record.occurrences > occurrence.count:
            FaultRecord.objects.filter(pk=record.pk).update(
                occurrences=F("occurrences") - occurrence.count, updated_at=timezone.now()
            )
            return
        incident_id = record.incident_id
        record.delete()
        if incident_id is not None:
            incident = Incident.objects.filter(pk=incident_id).first()
            if incident is not None:
                if FaultRecord.objects.filter(incident_id=incident_id).exists():
                    incident_refresh(incident=incident)
                else:
                    incident.delete()


# What grouping reads from a record; the rest (samples, diagnosis…) is only written or not
# touched, and fetching it on every batch costs more than the query itself.
_GROUPING_FIELDS = (
    "id",
    "fingerprint",
    "status",
    "severity",
    "first_seen",
    "last_seen",
    "occurrences",
    "resolved_at",
)


class _KnownFingerprints:
    """Fingerprints this process saw committed, so a batch of known faults can skip the
    existence check. Only a shortcut: a record deleted since falls back to the insert path."""

    def __init__(self, limit: int = 20_000):
        self._limit = limit
        self._seen: dict[str, None] = {}
        self._lock = threading.Lock()

    def contains_all(self, fingerprints: Iterable[str]) -> bool:
        seen = self._seen
        return all(fp in seen for fp in fingerprints)

    def add_all(self, fingerprints: Iterable[str]) -> None:
        with self._lock:
            if len(self._seen) > self._limit:
                self._seen = {}
            self._seen.update(dict.fromkeys(fingerprints))

    def clear(self) -> None:
        with self._lock:
            self._seen = {}


_known_fingerprints = _KnownFingerprints()


def fingerprint_known(fingerprint: str) -> bool:
    """Whether this process saw a record of this fingerprint committed (a shortcut only)."""
    return fingerprint in _known_fingerprints._seen


def known_fingerprints_forget() -> None:
    """Drop this process's shortcut (tests roll back records without a signal)."""
    _known_fingerprints.clear()


def _lock_types_of_new_records(merged: dict[str, _Merged]) -> None:
    """Serialise the creation of records through their fault types' rows.

    Two transactions inserting the same new fingerprint collide on the unique key; on InnoDB the
    losers keep a shared lock on the winner's row after the duplicate-key error, and with three
    or more of them their next SELECT … FOR UPDATE deadlocks. So a batch that will create
    records first locks the rows of those records' types (in id order, before any record lock):
    a concurrent creator waits here, then finds the committed record. Batches that only update
    existing records take no type lock.
    """
    existing = set(
        FaultRecord.objects.filter(fingerprint__in=list(merged)).values_list(
            "fingerprint", flat=True
        )
    )
    type_ids = sorted(
        {entry.first.fault_type.pk for fp, entry in merged.items() if fp not in existing}
    )
    if type_ids:
        list(
            FaultType.objects.select_for_update()
            .filter(pk__in=type_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def _change(kind: str, record: FaultRecord, merged: _Merged, **extra) -> FaultChange:
    """A change seen by grouping: type, host and title come from the occurrence (the locked
    record holds only grouping's fields, and a fingerprint fixes the type and host)."""
    occ = merged.first
    return FaultChange(
        kind=kind,
        fault_id=record.pk,
        fault_type_id=occ.fault_type.pk,
        fault_type_code=occ.fault_type.code,
        host=occ.host,
        title=occ.title[:255],
        severity=record.severity,
        status=record.status,
        at=timezone.now(),
        incident_id=record.incident_id,  # a query only here, on a state change (deferred field)
        **extra,
    )


def _record_one(
    fingerprint: str,
    merged: _Merged,
    record: FaultRecord | None,
    updates: list,
    created: list,
    changes: list[FaultChange] | None,
) -> FaultRecord:
    if record is None:
        try:
            with transaction.atomic():  # savepoint: see below
                record = _create(fingerprint, merged)
            created.append(record)
            return record
        except IntegrityError:
            # Only possible when a record was deleted and re-created meanwhile (creations are
            # serialised above): the other one is committed, so count into it.
            record = FaultRecord.objects.select_for_update().get(fingerprint=fingerprint)
    before_status, before_severity = record.status, record.severity
    updates.append((record, _apply(record, merged)))
    if changes is not None:
        if record.status != before_status:  # _apply only ever reopens a resolved record
            changes.append(_change(ChangeKind.REGRESSED, record, merged))
        elif (
            record.status in ACTIVE_STATUSES
            and SEVERITY_RANK[record.severity] < SEVERITY_RANK[before_severity]
        ):
            changes.append(
                _change(
                    ChangeKind.SEVERITY_RAISED, record, merged, previous_severity=before_severity
                )
            )
    return record


def _create(fingerprint: str, merged: _Merged) -> FaultRecord:
    first, latest = merged.first, merged.latest
    message, _ = occurrence_details(first)
    record = FaultRecord.objects.create(
        fault_type=first.fault_type,
        fingerprint=fingerprint,
        host=first.host,
        component=first.component[:255],
        title=first.title[:255],
        message=message,
        severity=merged.severity or first.fault_type.default_severity,
        status=Status.OPEN,
        first_seen=first.seen_at,
        last_seen=latest.seen_at,
        occurrences=merged.count,
        first_sample=first.sample,
        latest_sample=latest.sample,
        first_log_id=first.log_id,
        latest_log_id=latest.log_id,
        entities=_entities_of(merged),
    )
    FaultEvent.objects.create(fault=record, action=Action.OPENED, actor=SYSTEM_ACTOR)
    return record


def _entities_of(merged: _Merged) -> dict:
    """The first occurrence's entities, with the peers every occurrence of the batch named (a
    fault grouped by its normalised message may reach one peer on two ports)."""
    entities = dict(occurrence_details(merged.first)[1] or {})
    peers = list(entities.get("peers", ()))
    for occurrence in (merged.latest,):
        for peer in (occurrence_details(occurrence)[1] or {}).get("peers", ()):
            if peer not in peers:
                peers.append(peer)
    if peers:
        entities["peers"] = peers
    return entities


def _apply(record: FaultRecord, merged: _Merged) -> list[str]:
    """Fold `merged` into the locked record in memory; returns the fields to write."""
    first, latest = merged.first, merged.latest
    record.occurrences += merged.count
    changed = {"occurrences", "updated_at"}
    if first.seen_at < record.first_seen:  # a late line from before the first one we knew
        record.first_seen, record.first_sample = first.seen_at, first.sample
        record.first_log_id = first.log_id
        changed |= {"first_seen", "first_sample", "first_log"}
    if latest.seen_at >= record.last_seen:
        record.last_seen, record.latest_sample = latest.seen_at, latest.sample
        record.latest_log_id = latest.log_id
        changed |= {"last_seen", "latest_sample", "latest_log"}
    if merged.severity and merged.severity != record.severity:
        record.severity = merged.severity
        changed.add("severity")
    # Only an occurrence logged after the resolution is a regression: late-delivered lines from
    # before it (a Flume backlog draining) must not reopen what an operator closed.
    if record.status == Status.RESOLVED and latest.seen_at > record.resolved_at:
        record.status = Status.OPEN
        record.is_regression = True
        record.regressed_at = timezone.now()
        changed |= {"status", "is_regression", "regressed_at"}
        FaultEvent.objects.create(
            fault=record,
            action=Action.REGRESSED,
            actor=SYSTEM_ACTOR,
            note=f"Seen again at {latest.seen_at.isoformat()} after resolution.",
        )
    return sorted(changed)


# Ingestion runs the two statements below for every batch that shows a fault. Compiling them
# through the ORM took several times longer than the database needed to run them, so they are
# written out once here; values still go through the fields' own conversions.


def _lock_records(fingerprints: list[str]) -> list[FaultRecord]:
    """The records of these fingerprints, locked in fingerprint order (only grouping's fields)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(FaultRecord._meta.get_field(f).column) for f in _GROUPING_FIELDS)
    placeholders = ", ".join(["%s"] * len(fingerprints))
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    key = quote(FaultRecord._meta.get_field("fingerprint").column)
    sql = (
        f"SELECT {columns} FROM {quote(FaultRecord._meta.db_table)} "
        f"WHERE {key} IN ({placeholders}) ORDER BY {key}{lock}"
    )
    return list(FaultRecord.objects.raw(sql, fingerprints))


def _save_many(updates: list[tuple[FaultRecord, list[str]]]) -> None:
    """Write each record's changed fields, all records in one UPDATE.

    A batch usually touches a few records: one statement with a CASE per column instead of
    one statement per record (each round trip is a sizeable part of an ingest request).
    """
    if not updates:
        return
    quote = connection.ops.quote_name
    pk = quote(FaultRecord._meta.pk.column)
    by_column: dict[str, list[tuple[int, object]]] = {}
    for record, names in updates:
        for name in names:
            field = FaultRecord._meta.get_field(name)
            value = field.pre_save(record, add=False)  # auto_now fields take the current time
            by_column.setdefault(field.column, []).append(
                (record.pk, field.get_db_prep_save(value, connection))
            )
    assignments, values = [], []
    for column, changes in by_column.items():
        whens = " ".join(f"WHEN {pk} = %s THEN %s" for _ in changes)
        assignments.append(f"{quote(column)} = CASE {whens} ELSE {quote(column)} END")
        for record_pk, value in changes:
            values += [record_pk, value]
    ids = [record.pk for record, _ in updates]
    sql = (
        f"UPDATE {quote(FaultRecord._meta.db_table)} SET {', '.join(assignments)} "
        f"WHERE {pk} IN ({', '.join(['%s'] * len(ids))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *ids])


# --- Lifecycle --------------------------------------------------------------------------------


class FaultTransitionError(ValidationError):
    """The requested transition is not allowed from the fault's current status."""


# action -> (statuses it may start from, status it leads to)
TRANSITIONS = {
    Action.ACKNOWLEDGED: ((Status.OPEN,), Status.ACKNOWLEDGED),
    Action.RESOLVED: ((Status.OPEN, Status.ACKNOWLEDGED), Status.RESOLVED),
    Action.IGNORED: ((Status.OPEN, Status.ACKNOWLEDGED, Status.RESOLVED), Status.IGNORED),
    Action.REOPENED: ((Status.ACKNOWLEDGED, Status.RESOLVED, Status.IGNORED), Status.OPEN),
}


def fault_transition(
    *,
    fault: FaultRecord,
    action: str,
    actor: str,
    note: str = "",
    resolution: str = FaultRecord.Resolution.MANUAL,
) -> FaultRecord:
    """Move a fault through its lifecycle, recording who did it and when."""
    if action not in TRANSITIONS:
        raise FaultTransitionError(f"Unknown action {action!r}.")
    sources, target = TRANSITIONS[Action(action)]
    now = timezone.now()
    with transaction.atomic():
        record = FaultRecord.objects.select_for_update().get(pk=fault.pk)
        if record.status not in sources:
            raise FaultTransitionError(f"Cannot {_verb(action)} a fault that is {record.status}.")
        record.status = target
        fields = {"status", "updated_at"}
        if action == Action.ACKNOWLEDGED:
            record.acknowledged_at, record.acknowledged_by = now, actor
            fields |= {"acknowledged_at", "acknowledged_by"}
        elif action == Action.RESOLVED:
            record.resolved_at, record.resolved_by = now, actor
            record.resolution, record.resolution_note = resolution, note
            fields |= {"resolved_at", "resolved_by", "resolution", "resolution_note"}
        elif action == Action.IGNORED:
            record.ignored_at, record.ignored_by = now, actor
            fields |= {"ignored_at", "ignored_by"}
        record.save(update_fields=sorted(fields))
        FaultEvent.objects.create(fault=record, action=action, actor=actor, note=note)
        if record.incident_id is not None:
            incident_refresh(incident=record.incident)
        if fault_changes_wanted():
            fault_changes_emit([_transition_change(record, action, actor, note)])
    return record


def _transition_change(record: FaultRecord, action: str, actor: str, note: str) -> FaultChange:
    return FaultChange(
        kind=ChangeKind(action),  # lifecycle actions and change kinds share their names
        fault_id=record.pk,
        fault_type_id=record.fault_type_id,
        fault_type_code=FaultType.objects.values_list("code", flat=True).get(
            pk=record.fault_type_id
        ),
        host=record.host,
        title=record.title,
        severity=record.severity,
        status=record.status,
        at=timezone.now(),
        incident_id=record.incident_id,
        actor=actor,
        note=note,
    )


def _verb(action: str) -> str:
    return {
        Action.ACKNOWLEDGED: "acknowledge",
        Action.RESOLVED: "resolve",
        Action.IGNORED: "ignore",
        Action.REOPENED: "reopen",
    }[Action(action)]


def fault_acknowledge(*, fault: FaultRecord, actor: str, note: str = "") -> FaultRecord:
    return fault_transition(fault=fault, action=Action.ACKNOWLEDGED, actor=actor, note=note)


def fault_resolve(*, fault: FaultRecord, actor: str, note: str = "") -> FaultRecord:
    return fault_transition(fault=fault, action=Action.RESOLVED, actor=actor, note=note)


def fault_ignore(*, fault: FaultRecord, actor: str, note: str = "") -> FaultRecord:
    return fault_transition(fault=fault, action=Action.IGNORED, actor=actor, note=note)


def fault_reopen(*, fault: FaultRecord, actor: str, note: str = "") -> FaultRecord:
    return fault_transition(fault=fault, action=Action.REOPENED, actor=actor, note=note)


def faults_auto_resolve(*, quiet_for: timedelta, now: datetime | None = None) -> int:
    """Resolve active faults with no occurrence (by log time) for `quiet_for`; returns how many.

    One record per transaction: ingestion locks records in fingerprint order, and a sweep
    holding hundreds of row locks taken in id order could deadlock with it (and would stall
    ingestion while it runs). The UPDATE re-checks the condition under the row lock, so a fault
    that an occurrence touched meanwhile stays open.
    """
    now = now or timezone.now()
    cutoff = now - quiet_for
    note = f"Auto-resolved: no occurrence for {quiet_for}."
    resolved, after = 0, 0
    while True:
        batch = list(
            FaultRecord.objects.filter(
                status__in=ACTIVE_STATUSES, last_seen__lt=cutoff, pk__gt=after
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:500]
        )
        if not batch:
            return resolved
        after = batch[-1]
        for pk in batch:
            with transaction.atomic():
                changed = FaultRecord.objects.filter(
                    pk=pk, status__in=ACTIVE_STATUSES, last_seen__lt=cutoff
                ).update(
                    status=Status.RESOLVED,
                    resolved_at=now,
                    resolved_by=SYSTEM_ACTOR,
                    resolution=FaultRecord.Resolution.QUIET,
                    resolution_note=f"No occurrence for {quiet_for}.",
                    updated_at=now,
                )
                if changed:
                    FaultEvent.objects.create(
                        fault_id=pk, action=Action.RESOLVED, actor=SYSTEM_ACTOR, note=note
                    )
                    incidents_refresh_for(fault_ids=[pk])
                    if fault_changes_wanted():
                        record = FaultRecord.objects.get(pk=pk)
                        fault_changes_emit(
                            [_transition_change(record, Action.RESOLVED, SYSTEM_ACTOR, note)]
                        )
                    resolved += 1


# --- Faults raised by metrics (cluster thresholds) ----------------------------------------------


def metric_fingerprint(*, code: str, key: str) -> str:
    return fingerprint_for("metric", code, key)


def fault_metric_raise(
    *,
    code: str,
    key: str,
    host: str,
    title: str,
    seen_at: datetime,
    sample: str = "",
    severity: str | None = None,
) -> FaultRecord:
    """Record that a metric is past its threshold now (call it on every collection in breach).

    `key` scopes the fault, e.g. "cluster" or a host name; `severity` may escalate or relax the
    record as the metric crosses warning and critical thresholds.
    """
    fault_type = FaultType.objects.get(code=code)
    occurrence = Occurrence(
        fault_type=fault_type,
        fingerprint=metric_fingerprint(code=code, key=key),
        host=host,
        title=title,
        message=title,
        seen_at=seen_at,
        sample=sample,
        severity=severity,
        entities=extract(f"{title}\n{sample}").as_dict(),
    )
    return fault_occurrences_record(occurrences=[occurrence])[0]


def fault_metric_clear(*, code: str, key: str, note: str = "") -> FaultRecord | None:
    """Resolve the metric fault for `key` if it is active (the metric recovered)."""
    fingerprint = metric_fingerprint(code=code, key=key)
    record = FaultRecord.objects.filter(fingerprint=fingerprint, status__in=ACTIVE_STATUSES).first()
    if record is None:
        return None
    try:
        return fault_transition(
            fault=record,
            action=Action.RESOLVED,
            actor=SYSTEM_ACTOR,
            note=note or "The metric is back within its threshold.",
            resolution=FaultRecord.Resolution.RECOVERED,
        )
    except FaultTransitionError:  # an operator changed it meanwhile; theirs is the last word
        return None
