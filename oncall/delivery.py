"""The delivery job (`oncall.deliver`): send one message, log the attempt, mark it sent.

It runs on jobs' queue (jobs/services.py): one worker holds a message's job at a time (claims
with SKIP LOCKED and leases), a failed attempt is retried with exponential backoff, and a job
whose worker died is taken over when its lease runs out. So a message is sent once, except in
one window: a worker that sent it and died (or lost the database) before marking it sent.
The next holder sends it again with the SAME idempotency key (header and webhook field), which
a receiver can use to drop the repeat; every attempt is in the delivery log.
"""

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jobs.registry import PermanentJobError
from oncall.channels import channel_send, channel_url_masked
from oncall.models import NotificationDelivery, NotificationMessage

log = logging.getLogger("oncall.delivery")


class DeliveryFailed(Exception):
    """The channel refused or could not be reached: the job is retried with backoff."""


def message_deliver(job) -> None:
    """The handler for an `oncall.deliver` job (registered atomic=False: it calls out)."""
    message = (
        NotificationMessage.objects.select_related("channel")
        .filter(pk=job.payload.get("message_id"))
        .first()
    )
    if message is None:
        raise PermanentJobError("the message was deleted")
    if message.status == NotificationMessage.Status.SENT:
        return  # marked by an earlier holder after all: nothing to do
    channel = message.channel
    NotificationMessage.objects.filter(pk=message.pk).update(attempts=F("attempts") + 1)
    attempt = message.attempts + 1
    result = channel_send(
        url=channel.url, payload=message.payload, idempotency_key=message.idempotency_key
    )
    now = timezone.now()
    last = job.attempts >= job.max_attempts
    with transaction.atomic():
        NotificationDelivery.objects.create(
            message=message,
            channel=channel,
            attempt=attempt,
            status=(
                NotificationDelivery.Status.SENT
                if result.ok
                else NotificationDelivery.Status.FAILED
            ),
            error=result.error,
            response_code=result.response_code,
            duration_ms=result.duration_ms,
            worker_id=job.locked_by[:128],
            idempotency_key=message.idempotency_key,
        )
        if result.ok:
            NotificationMessage.objects.filter(pk=message.pk).update(
                status=NotificationMessage.Status.SENT, sent_at=now, last_error=""
            )
        else:
            NotificationMessage.objects.filter(pk=message.pk).update(
                last_error=result.error,
                status=NotificationMessage.Status.FAILED
                if last
                else NotificationMessage.Status.QUEUED,
            )
    if not result.ok:
        log.warning(
            "message %s to %s failed (attempt %s): %s",
            message.pk,
            channel_url_masked(channel.url),
            attempt,
            result.error[:300],
        )
        raise DeliveryFailed(result.error or "the channel refused the message")
