"""On-call notifications: channels, rules, the outbox, grouping, messages and their delivery log.

The path of a fault change (docs/notifications.md tells it whole):

1. ``OutboxEntry`` — written by the fault-change listener inside the transaction that changes
   the fault (ingest pays one INSERT per batch that changes a state, never a network call).
2. The dispatcher (a periodic task of ``manage.py notify``) claims pending entries, asks the
   suppressors (oncall/suppression.py), matches the rules, and files one ``NotificationItem``
   per matching rule into that rule's ``NotificationGroup`` (per incident, else per rule).
3. A group that is due (``group_wait`` after its first item, then every ``group_interval``)
   becomes one ``NotificationMessage`` for the rule's channel, and a delivery job is queued in
   the same transaction (jobs' durable queue: claims, leases, retries with backoff).
4. The job sends the message with its idempotency key and records each attempt as a
   ``NotificationDelivery`` (the delivery log in the admin).
"""

from urllib.parse import urlsplit

from django.db import models

from diagnosis.models import Severity

# What a rule can be told about. The first four come from fault changes (diagnosis/changes.py);
# `repeat` is made by the dispatcher for a fault still open after the rule's repeat interval.
EVENTS = ("opened", "regressed", "severity_raised", "repeat", "resolved")
EVENTS_DEFAULT = "opened,regressed,severity_raised,resolved"

ALERTMANAGER_SCHEMES = ("alertmanager", "alertmanagers")


class NotificationChannel(models.Model):
    """Where messages go: an apprise URL (mailto://, json://, slack://, msteams://, …) or an
    Alertmanager (alertmanager://host:9093, alertmanagers:// for HTTPS), pushed natively."""

    name = models.CharField(max_length=100, unique=True)
    url = models.TextField(
        help_text="An apprise URL, or alertmanager[s]://host:port[/prefix]. Holds secrets: "
        "shown masked once saved."
    )
    enabled = models.BooleanField(default=True)
    rate_limit = models.PositiveIntegerField(
        default=0, help_text="At most this many messages per rate window (0: no limit)."
    )
    rate_limit_seconds = models.PositiveIntegerField(default=3600)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "notification_channels"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def scheme(self) -> str:
        return urlsplit(self.url.strip()).scheme.lower()

    @property
    def is_alertmanager(self) -> bool:
        return self.scheme in ALERTMANAGER_SCHEMES


class NotificationRule(models.Model):
    """Which changes go to a channel. Blank matchers match everything."""

    name = models.CharField(max_length=100, blank=True)
    channel = models.ForeignKey(NotificationChannel, on_delete=models.CASCADE, related_name="rules")
    enabled = models.BooleanField(default=True)
    min_severity = models.CharField(
        max_length=16, choices=Severity.choices, blank=True, help_text="At least this severe."
    )
    fault_type_code = models.CharField(max_length=64, blank=True, help_text="A fault type code.")
    host_glob = models.CharField(max_length=255, blank=True, help_text="e.g. dn*.prod.example")
    incident = models.ForeignKey(
        "diagnosis.Incident", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    events = models.CharField(
        max_length=200,
        default=EVENTS_DEFAULT,
        help_text="Comma-separated: " + ", ".join(EVENTS) + ".",
    )
    group_wait_seconds = models.PositiveIntegerField(
        default=30, help_text="Wait this long after a group's first change before sending."
    )
    group_interval_seconds = models.PositiveIntegerField(
        default=300, help_text="Then batch the group's new changes at most this often."
    )
    repeat_interval_seconds = models.PositiveIntegerField(
        default=4 * 3600,
        help_text="`repeat` event: a fault still open this long after its "
        "last message is sent again.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "notification_rules"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name or f"rule #{self.pk} → {self.channel_id}"

    @property
    def event_list(self) -> list[str]:
        return [e.strip() for e in self.events.split(",") if e.strip()]


class OutboxEntry(models.Model):
    """One fault change to notify, written in the transaction that made it."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DISPATCHED = "dispatched", "dispatched to rules"
        UNMATCHED = "unmatched", "no rule matched"
        SILENCED = "silenced", "silenced (held)"
        SUPERSEDED = "superseded", "superseded by a later change"
        EXPIRED = "expired", "released after its silence: no longer relevant"

    event = models.CharField(max_length=32)
    fault = models.ForeignKey(
        "diagnosis.FaultRecord",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    incident_id = models.BigIntegerField(null=True, blank=True)
    fault_type_code = models.CharField(max_length=64)
    host = models.CharField(max_length=255, blank=True)
    title = models.CharField(max_length=255)
    severity = models.CharField(max_length=16)
    previous_severity = models.CharField(max_length=16, blank=True)
    changed_at = models.DateTimeField()
    # A `repeat` is made for one rule; a change from diagnosis (rule empty) goes to every rule.
    rule = models.ForeignKey(
        NotificationRule, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # What held it (suppression.Suppression as a dict: kind, id, ends_at, reason).
    suppression = models.JSONField(null=True, blank=True)
    held_until = models.DateTimeField(null=True, blank=True, help_text="Look again after this.")
    locked_by = models.CharField(max_length=128, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "notification_outbox"
        ordering = ["-id"]
        verbose_name = "outbox entry"
        verbose_name_plural = "outbox"
        indexes = [
            models.Index(fields=["status", "id"], name="notif_outbox_status_id"),
            models.Index(fields=["status", "held_until"], name="notif_outbox_held"),
            models.Index(fields=["fault", "status"], name="notif_outbox_fault"),
        ]

    def __str__(self) -> str:
        return f"{self.event}: {self.title}"


class NotificationGroup(models.Model):
    """Alertmanager-style grouping: the changes of one rule for one incident (or the rule)."""

    rule = models.ForeignKey(NotificationRule, on_delete=models.CASCADE, related_name="groups")
    key = models.CharField(max_length=64, help_text="incident:<id>, or rule")
    next_flush_at = models.DateTimeField(
        null=True, blank=True, help_text="When the pending items go out (empty: none pending)."
    )
    last_flush_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "notification_groups"
        constraints = [
            models.UniqueConstraint(fields=["rule", "key"], name="notif_groups_rule_key")
        ]
        indexes = [models.Index(fields=["next_flush_at"], name="notif_groups_due")]

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.key}"


class NotificationMessage(models.Model):
    """One message to one channel: a group's batch, an overflow summary, or a test."""

    class Kind(models.TextChoices):
        GROUP = "group"
        OVERFLOW = "overflow", "rate-limit summary"
        TEST = "test"

    class Status(models.TextChoices):
        QUEUED = "queued"
        SENT = "sent"
        FAILED = "failed", "failed (gave up)"

    channel = models.ForeignKey(
        NotificationChannel, on_delete=models.CASCADE, related_name="messages"
    )
    rule = models.ForeignKey(
        NotificationRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    group = models.ForeignKey(
        NotificationGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.GROUP)
    idempotency_key = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=255)
    payload = models.JSONField(default=dict, help_text="What was rendered: faults, counts, link.")
    item_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "notification_messages"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["channel", "created_at"], name="notif_messages_channel"),
            models.Index(fields=["status", "created_at"], name="notif_messages_status"),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationItem(models.Model):
    """One outbox entry as seen by one rule; `message` is set when it went out in one."""

    outbox = models.ForeignKey(OutboxEntry, on_delete=models.CASCADE, related_name="items")
    rule = models.ForeignKey(NotificationRule, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(NotificationGroup, on_delete=models.CASCADE, related_name="items")
    message = models.ForeignKey(
        NotificationMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    fault_id = models.BigIntegerField()
    event = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "notification_items"
        constraints = [
            models.UniqueConstraint(fields=["outbox", "rule"], name="notif_items_outbox_rule")
        ]
        indexes = [
            models.Index(fields=["group", "message"], name="notif_items_pending"),
            models.Index(fields=["rule", "fault_id", "created_at"], name="notif_items_repeat"),
        ]

    def __str__(self) -> str:
        return f"{self.event} fault #{self.fault_id} (rule {self.rule_id})"


class NotificationDelivery(models.Model):
    """The delivery log: every attempt to send a message (admin: Delivery log)."""

    class Status(models.TextChoices):
        SENT = "sent"
        FAILED = "failed"

    message = models.ForeignKey(
        NotificationMessage, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.ForeignKey(
        NotificationChannel, on_delete=models.CASCADE, related_name="deliveries"
    )
    attempt = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices)
    error = models.TextField(blank=True)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    worker_id = models.CharField(max_length=128, blank=True)
    idempotency_key = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "notification_deliveries"
        ordering = ["-id"]
        verbose_name = "delivery"
        verbose_name_plural = "delivery log"
        indexes = [models.Index(fields=["channel", "at"], name="notif_deliveries_channel")]

    def __str__(self) -> str:
        return f"{self.message_id} attempt {self.attempt}: {self.status}"


# Silences, maintenance windows and snoozes live in their own module (they only read the
# outbox's suppression fields); imported here so Django sees them as oncall's models.
from oncall.silence_models import FaultSnooze, MaintenanceWindow, Silence  # noqa: E402, F401
