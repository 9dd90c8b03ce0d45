"""What oncall keeps (registered with the core's retention in OncallConfig.ready)."""

from django.db.models import Q

from faultportal.retention import IdWalk, IndexWalk
from oncall.models import NotificationGroup, NotificationMessage, OutboxEntry, Silence

POLICIES = [
    IdWalk(
        table="notification_outbox",
        setting="NOTIFICATION_RETENTION_DAYS",
        description="fault changes the dispatcher finished with (their items go with them)",
        model=OutboxEntry,
        time_field="created_at",
        eligible=lambda cutoff: (
            ~Q(status__in=(OutboxEntry.Status.PENDING, OutboxEntry.Status.SILENCED))
        ),
    ),
    IdWalk(
        table="notification_messages",
        setting="NOTIFICATION_RETENTION_DAYS",
        description="sent or given-up notification messages and their delivery log",
        model=NotificationMessage,
        time_field="created_at",
        eligible=lambda cutoff: ~Q(status=NotificationMessage.Status.QUEUED),
    ),
    # Silences are kept a while after they end, as the record of what was muted and why; the
    # outbox rows they held keep their reason. Ends are not in id order: the ends_at index.
    IndexWalk(
        table="silences",
        setting="SILENCE_RETENTION_DAYS",
        description="silences that ended (ran out or were expired) before the cutoff",
        model=Silence,
        time_field="ends_at",
    ),
    IdWalk(
        table="notification_groups",
        setting="NOTIFICATION_RETENTION_DAYS",
        description="groups (per rule and incident) with nothing pending and no message since",
        model=NotificationGroup,
        time_field="created_at",
        eligible=lambda cutoff: (
            Q(next_flush_at__isnull=True)
            & (Q(last_flush_at__isnull=True) | Q(last_flush_at__lt=cutoff))
        ),
    ),
]
