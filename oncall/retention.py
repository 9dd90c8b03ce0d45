"""What oncall keeps (registered with the core's retention in OncallConfig.ready)."""

from django.db.models import Q

from faultportal.retention import IdWalk
from oncall.models import NotificationMessage, OutboxEntry

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
]
