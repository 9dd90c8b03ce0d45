"""The dispatcher: from the outbox to queued messages (a periodic task of `manage.py notify`).

Every tick, in each worker:

1. :func:`held_release` — silenced entries whose suppression may have ended are asked again;
   released ones of a still-open fault go back to pending (notified once).
2. :func:`outbox_dispatch` — pending outbox entries are claimed (``FOR UPDATE SKIP LOCKED`` on
   MySQL 8 / MariaDB >= 10.6, so workers take different entries; a plain row lock on older
   servers; SQLite's IMMEDIATE transactions hold the database's write lock, one worker at a
   time), asked to the suppressors (oncall/suppression.py), matched against the rules, and
   filed into the rules' groups; a suppressed entry is marked ``silenced`` and kept (and the
   resolution of a fault whose opening was held is not told either).
3. :func:`groups_flush` — groups whose time came (group_wait after the first change, then
   group_interval) become messages, within each channel's rate limit (the groups that do not
   fit become one summary: "… and 40 more"); each message's delivery job is queued in the same
   transaction.
4. :func:`repeats_scan` (every minute) — a fault still open ``repeat_interval`` after a rule's
   last message about it gets a ``repeat`` entry for that rule.

Each step is one short transaction; a step that fails (the database went away) changes
nothing and the next tick does it again.
"""

import logging
from collections import defaultdict
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from diagnosis.models import FaultRecord, Incident
from oncall.matching import rule_matches
from oncall.models import (
    NotificationChannel,
    NotificationGroup,
    NotificationItem,
    NotificationMessage,
    NotificationRule,
    OutboxEntry,
)
from oncall.rendering import fault_entry, incident_url, message_payload
from oncall.services import message_queue
from oncall.suppression import suppression_for

log = logging.getLogger("oncall.dispatch")

Status = OutboxEntry.Status
ACTIVE = (FaultRecord.Status.OPEN, FaultRecord.Status.ACKNOWLEDGED)
# An open-ended suppression (no ends_at: a snooze for N more occurrences) is asked again this
# often; a time, not "every tick", so that more held entries than one batch all take turns.
HOLD_RECHECK_SECONDS = 5


def _claimable(queryset):
    """Row locks for a claim: skip the rows another worker holds where the server can."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    if connection.features.has_select_for_update:
        return queryset.select_for_update()
    return queryset  # SQLite: the IMMEDIATE transaction already holds the write lock


def dispatch_tick() -> dict:
    """One pass of steps 1–3 (what the worker's periodic task runs)."""
    released = held_release()  # first: what it sends back to pending goes out this tick
    return {
        "released": released,
        "dispatched": outbox_dispatch(),
        "messages": groups_flush(),
    }


# --- 1. outbox → groups --------------------------------------------------------------------------


def outbox_dispatch(*, batch: int = 500) -> int:
    """Claim pending entries, suppress or match them, file them into groups. Returns how many."""
    now = timezone.now()
    with transaction.atomic():
        entries = list(
            _claimable(OutboxEntry.objects.filter(status=Status.PENDING).order_by("id"))[:batch]
        )
        if not entries:
            return 0
        rules = list(NotificationRule.objects.filter(enabled=True, channel__enabled=True))
        wanted: dict[tuple[int, str], list[tuple[OutboxEntry, NotificationRule]]] = defaultdict(
            list
        )
        for entry in entries:
            found = suppression_for(entry)
            if found is not None:
                entry.status = Status.SILENCED
                entry.suppression = found.as_json()
                entry.held_until = _hold_until(found, now)
                continue
            if entry.event == "resolved" and not _opening_told(entry):
                entry.status = Status.EXPIRED  # its opening was held: nothing to take back
                continue
            matched = [rule for rule in rules if rule_matches(rule, entry)]
            entry.status = Status.DISPATCHED if matched else Status.UNMATCHED
            entry.dispatched_at = now
            for rule in matched:
                key = f"incident:{entry.incident_id}" if entry.incident_id else "rule"
                wanted[(rule.pk, key)].append((entry, rule))
        items = []
        # Groups in one global order: two workers filing into the same groups cannot deadlock.
        for rule_pk, key in sorted(wanted):
            pairs = wanted[(rule_pk, key)]
            rule = pairs[0][1]
            group = _group_locked(rule, key)
            if group.next_flush_at is None:
                group.next_flush_at = _first_flush(group, rule, now)
                group.save(update_fields=["next_flush_at"])
            items += [
                NotificationItem(
                    outbox=entry, rule=rule, group=group, fault_id=entry.fault_id, event=entry.event
                )
                for entry, _ in pairs
            ]
        NotificationItem.objects.bulk_create(items)
        OutboxEntry.objects.bulk_update(
            entries, ["status", "suppression", "held_until", "dispatched_at"]
        )
    return len(entries)


def _opening_told(entry: OutboxEntry) -> bool:
    """False when the fault's previous change was held by a suppression (or dropped after it)."""
    previous = (
        OutboxEntry.objects.filter(fault_id=entry.fault_id, pk__lt=entry.pk)
        .order_by("-id")
        .values_list("status", flat=True)
        .first()
    )
    return previous not in (Status.SILENCED, Status.EXPIRED, Status.SUPERSEDED)


def _group_locked(rule: NotificationRule, key: str) -> NotificationGroup:
    rows = NotificationGroup.objects.filter(rule=rule, key=key)
    if connection.features.has_select_for_update:
        rows = rows.select_for_update()
    group = rows.first()
    if group is not None:
        return group
    try:
        with transaction.atomic():
            return NotificationGroup.objects.create(rule=rule, key=key)
    except IntegrityError:  # another worker made it meanwhile: wait for its lock
        return rows.get()


def _first_flush(group: NotificationGroup, rule: NotificationRule, now):
    """Alertmanager's timing: a new (or long quiet) group waits group_wait to gather a storm;
    a group that sent recently sends again group_interval after its last message."""
    if group.last_flush_at:
        next_interval = group.last_flush_at + timedelta(seconds=rule.group_interval_seconds)
        if next_interval > now:
            return next_interval
    return now + timedelta(seconds=rule.group_wait_seconds)


# --- 2. held changes -----------------------------------------------------------------------------


def held_release(*, batch: int = 500) -> int:
    """Ask the suppressors again about held entries that are due; returns how many were
    released (back to pending, or expired/superseded when there is nothing left to say)."""
    now = timezone.now()
    with transaction.atomic():
        due = (
            OutboxEntry.objects.filter(status=Status.SILENCED)
            .filter(_due_hold(now))
            .order_by("held_until", "id")  # the longest due first: every held entry gets a turn
        )
        entries = list(_claimable(due)[:batch])
        if not entries:
            return 0
        released: list[OutboxEntry] = []
        for entry in entries:
            found = suppression_for(entry)
            if found is not None:
                entry.suppression = found.as_json()
                entry.held_until = _hold_until(found, now)
                continue
            released.append(entry)
        by_fault: dict[int, list[OutboxEntry]] = defaultdict(list)
        for entry in released:
            by_fault[entry.fault_id].append(entry)
        faults = FaultRecord.objects.in_bulk(list(by_fault))
        for fault_id, held in by_fault.items():
            held.sort(key=lambda e: e.pk)
            latest = held[-1]
            for older in held[:-1]:
                older.status = Status.SUPERSEDED
            latest.status = _released_status(latest, faults.get(fault_id))
        OutboxEntry.objects.bulk_update(entries, ["status", "suppression", "held_until"])
    return len(released)


def _hold_until(found, now):
    return found.ends_at or now + timedelta(seconds=HOLD_RECHECK_SECONDS)


def _due_hold(now):
    return Q(held_until__isnull=True) | Q(held_until__lte=now)


def _released_status(entry: OutboxEntry, fault: FaultRecord | None) -> str:
    """Once: a still-open fault is notified; a resolution is told only if its opening was."""
    if fault is None:
        return Status.EXPIRED
    if entry.event == "resolved":
        last_told = (
            OutboxEntry.objects.filter(fault_id=entry.fault_id, status=Status.DISPATCHED)
            .exclude(pk=entry.pk)
            .order_by("-id")
            .values_list("event", flat=True)
            .first()
        )
        told_open = last_told is not None and last_told != "resolved"
        return Status.PENDING if told_open and fault.status == "resolved" else Status.EXPIRED
    return Status.PENDING if fault.status in ACTIVE else Status.EXPIRED


# --- 3. groups → messages ------------------------------------------------------------------------


def groups_flush(*, batch: int = 200) -> int:
    """Turn due groups into messages (one per group, within each channel's rate limit)."""
    now = timezone.now()
    made = 0
    with transaction.atomic():
        groups = list(
            _claimable(
                NotificationGroup.objects.filter(next_flush_at__lte=now).order_by("next_flush_at")
            )[:batch]
        )
        if not groups:
            return 0
        rules = NotificationRule.objects.in_bulk([g.rule_id for g in groups])
        by_channel: dict[int, list[NotificationGroup]] = defaultdict(list)
        for group in groups:
            group.rule = rules[group.rule_id]
            by_channel[group.rule.channel_id].append(group)
        for channel_id in sorted(by_channel):
            made += _flush_channel(channel_id, by_channel[channel_id], now)
    return made


def _flush_channel(channel_id: int, groups: list[NotificationGroup], now) -> int:
    rows = NotificationChannel.objects.filter(pk=channel_id)
    if connection.features.has_select_for_update:
        rows = rows.select_for_update()  # the rate limit is counted by one worker at a time
    channel = rows.get()
    pending = {
        group.pk: list(
            NotificationItem.objects.filter(group=group, message__isnull=True).order_by("id")
        )
        for group in groups
    }
    groups = [g for g in groups if pending[g.pk]]
    for group in [g for g in groups if not pending[g.pk]]:
        _done(group, now, sent=False)
    if not groups:
        return 0
    if not channel.enabled:
        for group in groups:  # kept for when it is enabled again
            group.next_flush_at = now + timedelta(seconds=60)
            group.save(update_fields=["next_flush_at"])
        return 0
    free = len(groups)
    if channel.rate_limit:
        window_start = now - timedelta(seconds=channel.rate_limit_seconds)
        recent = NotificationMessage.objects.filter(
            channel=channel, created_at__gt=window_start
        ).exclude(kind=NotificationMessage.Kind.TEST)
        free = max(channel.rate_limit - recent.count(), 0)
        if free == 0:
            oldest = recent.order_by("created_at").values_list("created_at", flat=True).first()
            retry = (oldest or now) + timedelta(seconds=channel.rate_limit_seconds)
            for group in groups:
                group.next_flush_at = max(retry, now + timedelta(seconds=1))
                group.save(update_fields=["next_flush_at"])
            return 0
    if free >= len(groups):
        single, summed = groups, []
    else:
        single, summed = groups[: free - 1], groups[free - 1 :]
    made = 0
    for group in single:
        _message_for(channel, [group], pending, now, kind=NotificationMessage.Kind.GROUP)
        made += 1
    if summed:
        _message_for(channel, summed, pending, now, kind=NotificationMessage.Kind.OVERFLOW)
        made += 1
    return made


def _message_for(channel, groups, pending, now, *, kind: str) -> None:
    items = [item for group in groups for item in pending[group.pk]]
    # One line per fault: its latest change in this batch (opened then resolved → resolved).
    latest: dict[int, NotificationItem] = {}
    for item in items:
        latest[item.fault_id] = item
    faults = FaultRecord.objects.select_related("fault_type").in_bulk(list(latest))
    outbox = OutboxEntry.objects.in_bulk([item.outbox_id for item in latest.values()])
    entries = []
    for fault_id, item in latest.items():
        fault = faults.get(fault_id)
        if fault is None:  # deleted since: nothing to link to
            continue
        entries.append(
            fault_entry(event=item.event, fault=fault, changed_at=outbox[item.outbox_id].changed_at)
        )
    message = None
    if entries:
        single_group = groups[0] if len(groups) == 1 else None
        incident = _incident_for(single_group) if single_group else None
        payload = message_payload(
            entries=entries,
            incident=incident,
            kind=kind,
            overflow_of=len(groups) if kind == NotificationMessage.Kind.OVERFLOW else 0,
        )
        message = message_queue(
            channel=channel,
            payload=payload,
            kind=kind,
            rule=single_group.rule if single_group else None,
            group=single_group,
            item_count=len(items),
        )
    NotificationItem.objects.filter(pk__in=[item.pk for item in items]).update(message=message)
    for group in groups:
        _done(group, now, sent=message is not None)


def _done(group: NotificationGroup, now, *, sent: bool) -> None:
    group.next_flush_at = None
    fields = ["next_flush_at"]
    if sent:
        group.last_flush_at = now
        fields.append("last_flush_at")
    group.save(update_fields=fields)


def _incident_for(group: NotificationGroup) -> dict | None:
    if not group.key.startswith("incident:"):
        return None
    incident = Incident.objects.filter(pk=int(group.key.split(":", 1)[1])).first()
    if incident is None:
        return None
    return {
        "id": incident.pk,
        "title": incident.title,
        "status": incident.status,
        "top_cause": _top_cause(incident),
        "url": incident_url(incident.pk),
    }


def _top_cause(incident: Incident) -> str:
    """The diagnosis' most probable cause, else the fault the incident names as its cause."""
    causes = (incident.diagnosis or {}).get("probable_causes") or []
    if causes and isinstance(causes[0], dict) and causes[0].get("title"):
        cause = causes[0]
        confidence = cause.get("confidence")
        if isinstance(confidence, (int, float)):
            return f"{cause['title']} (confidence {confidence:.0%})"
        return str(cause["title"])
    if incident.cause_fault_id:
        cause = FaultRecord.objects.filter(pk=incident.cause_fault_id).first()
        if cause is not None:
            return f"{cause.title}" + (f" on {cause.host}" if cause.host else "")
    return ""


# --- 4. repeats ----------------------------------------------------------------------------------


def repeats_scan() -> int:
    """A `repeat` entry for each fault still open `repeat_interval` after a rule's last message
    about it. Rules are scanned one at a time under their row lock: one worker per rule."""
    now = timezone.now()
    made = 0
    rule_ids = list(
        NotificationRule.objects.filter(
            enabled=True, repeat_interval_seconds__gt=0, events__contains="repeat"
        ).values_list("pk", flat=True)
    )
    for rule_id in rule_ids:
        with transaction.atomic():
            rows = NotificationRule.objects.filter(pk=rule_id)
            if connection.features.has_select_for_update_skip_locked:
                rows = rows.select_for_update(skip_locked=True)
            rule = rows.first()
            if rule is None or "repeat" not in rule.event_list:
                continue
            made += _repeat_rule(rule, now)
    return made


def _repeat_rule(rule: NotificationRule, now) -> int:
    cutoff = now - timedelta(seconds=rule.repeat_interval_seconds)
    told = (
        NotificationItem.objects.filter(rule=rule, message__isnull=False)
        .values("fault_id")
        .annotate(last=Max("created_at"))
        .filter(last__lt=cutoff)
        .values_list("fault_id", flat=True)
    )
    fault_ids = list(told[:1000])
    if not fault_ids:
        return 0
    # Not again while an earlier change of the fault is still on its way (pending or held).
    waiting = set(
        OutboxEntry.objects.filter(
            fault_id__in=fault_ids, status__in=(Status.PENDING, Status.SILENCED)
        ).values_list("fault_id", flat=True)
    )
    last_events = {}
    for fault_id, event in (
        NotificationItem.objects.filter(rule=rule, fault_id__in=fault_ids)
        .order_by("fault_id", "id")
        .values_list("fault_id", "event")
    ):
        last_events[fault_id] = event
    faults = FaultRecord.objects.select_related("fault_type").filter(
        pk__in=[f for f in fault_ids if f not in waiting and last_events.get(f) != "resolved"],
        status__in=ACTIVE,
    )
    rows = [
        OutboxEntry(
            event="repeat",
            fault_id=fault.pk,
            incident_id=fault.incident_id,
            fault_type_code=fault.fault_type.code,
            host=fault.host,
            title=fault.title,
            severity=fault.severity,
            changed_at=now,
            rule=rule,
        )
        for fault in faults
    ]
    OutboxEntry.objects.bulk_create(rows)
    return len(rows)
