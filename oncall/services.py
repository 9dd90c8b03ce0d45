"""Writes of oncall: the outbox (from the fault-change listener), channels, rules, test sends."""

import uuid

from django.db import transaction

from diagnosis.changes import ChangeKind, FaultChange
from diagnosis.models import FaultType, Incident, Severity
from jobs.services import job_enqueue
from oncall.channels import ChannelUrlError, channel_url_check
from oncall.matching import GlobError, glob_check
from oncall.models import (
    EVENTS,
    EVENTS_DEFAULT,
    NotificationChannel,
    NotificationMessage,
    NotificationRule,
    OutboxEntry,
)
from oncall.rendering import portal_url

DELIVER_JOB = "oncall.deliver"

# The fault changes a rule can ask for (acknowledged, ignored, reopened are operators' own acts).
NOTIFIED_CHANGES = {
    ChangeKind.OPENED: "opened",
    ChangeKind.REGRESSED: "regressed",
    ChangeKind.SEVERITY_RAISED: "severity_raised",
    ChangeKind.RESOLVED: "resolved",
}


class OncallConfigError(ValueError):
    """A channel or rule that cannot work; the message says why (commands and admin show it)."""


def outbox_write(changes: list[FaultChange]) -> None:
    """The fault-change listener: one INSERT for the batch, inside the fault change's own
    transaction (diagnosis.changes), so the entry commits exactly when the change does."""
    rows = [
        OutboxEntry(
            event=NOTIFIED_CHANGES[change.kind],
            fault_id=change.fault_id,
            incident_id=change.incident_id,
            fault_type_code=change.fault_type_code[:64],
            host=change.host[:255],
            title=change.title[:255],
            severity=change.severity,
            previous_severity=change.previous_severity,
            changed_at=change.at,
        )
        for change in changes
        if change.kind in NOTIFIED_CHANGES
    ]
    if rows:
        OutboxEntry.objects.bulk_create(rows)


# --- configuration -------------------------------------------------------------------------------


def channel_create(
    *, name: str, url: str, rate_limit: int = 0, rate_limit_seconds: int = 3600
) -> NotificationChannel:
    name = name.strip()
    if not name:
        raise OncallConfigError("A channel needs a name.")
    try:
        channel_url_check(url)
    except ChannelUrlError as exc:
        raise OncallConfigError(str(exc)) from None
    if NotificationChannel.objects.filter(name=name).exists():
        raise OncallConfigError(f"A channel named {name!r} exists already.")
    return NotificationChannel.objects.create(
        name=name,
        url=url.strip(),
        rate_limit=rate_limit,
        rate_limit_seconds=max(rate_limit_seconds, 1),
    )


def events_parse(text: str) -> str:
    events = [e.strip().replace(" ", "_") for e in text.split(",") if e.strip()]
    unknown = [e for e in events if e not in EVENTS]
    if unknown or not events:
        raise OncallConfigError(
            f"Unknown event(s) {', '.join(unknown) or '(none given)'}; use: {', '.join(EVENTS)}."
        )
    return ",".join(dict.fromkeys(events))


def rule_create(
    *,
    channel: str | NotificationChannel,
    min_severity: str = "",
    fault_type_code: str = "",
    host_glob: str = "",
    incident_id: int | None = None,
    events: str = EVENTS_DEFAULT,
    group_wait_seconds: int = 30,
    group_interval_seconds: int = 300,
    repeat_interval_seconds: int = 4 * 3600,
    name: str = "",
) -> NotificationRule:
    if not isinstance(channel, NotificationChannel):
        found = NotificationChannel.objects.filter(name=channel).first()
        if found is None:
            raise OncallConfigError(f"No channel named {channel!r}.")
        channel = found
    if min_severity and min_severity not in Severity.values:
        raise OncallConfigError(
            f"Unknown severity {min_severity!r}; use one of {', '.join(Severity.values)}."
        )
    if fault_type_code and not FaultType.objects.filter(code=fault_type_code).exists():
        raise OncallConfigError(f"No fault type with the code {fault_type_code!r}.")
    if host_glob:
        try:
            glob_check(host_glob)
        except GlobError as exc:
            raise OncallConfigError(str(exc)) from None
    if incident_id is not None and not Incident.objects.filter(pk=incident_id).exists():
        raise OncallConfigError(f"No incident #{incident_id}.")
    return NotificationRule.objects.create(
        name=name,
        channel=channel,
        min_severity=min_severity,
        fault_type_code=fault_type_code,
        host_glob=host_glob,
        incident_id=incident_id,
        events=events_parse(events),
        group_wait_seconds=group_wait_seconds,
        group_interval_seconds=group_interval_seconds,
        repeat_interval_seconds=repeat_interval_seconds,
    )


# --- messages ------------------------------------------------------------------------------------


def message_queue(
    *,
    channel: NotificationChannel,
    payload: dict,
    kind: str,
    rule: NotificationRule | None = None,
    group=None,
    item_count: int = 0,
) -> NotificationMessage:
    """Create a message and queue its delivery job, in the caller's transaction (both or
    neither). The key is fixed here: every attempt sends it."""
    key = uuid.uuid4().hex
    payload = {**payload, "idempotency_key": key}
    with transaction.atomic():
        message = NotificationMessage.objects.create(
            channel=channel,
            rule=rule,
            group=group,
            kind=kind,
            idempotency_key=key,
            title=payload.get("title", "")[:255],
            payload=payload,
            item_count=item_count,
        )
        job_enqueue(
            kind=DELIVER_JOB, payload={"message_id": message.pk}, idempotency_key=f"message:{key}"
        )
    return message


def channel_test_send(*, channel: NotificationChannel, actor: str = "") -> NotificationMessage:
    """Queue a test message to the channel (the admin's action): delivered by the worker like
    any message, so it also shows that a worker runs."""
    who = f" by {actor}" if actor else ""
    payload = {
        "kind": "test",
        "event": "test",
        "severity": "info",
        "counts": {"faults": 0},
        "hosts": [],
        "host_count": 0,
        "incident": None,
        "faults": [],
        "all_faults": [],
        "more": 0,
        "url": portal_url("/dashboard/"),
        "title": "[TEST] faultportal: this channel works",
        "text": f"A test message from faultportal, sent{who} to the channel {channel.name!r}. "
        "Notifications for faults will arrive here the same way.",
    }
    return message_queue(channel=channel, payload=payload, kind=NotificationMessage.Kind.TEST)
