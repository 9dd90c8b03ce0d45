"""python manage.py notification_channel add --name N --url URL | list | test | remove

Channels as code: a deploy script adds them the same way every time. The URL (with its
secrets) is never printed back: `list` shows it masked.
"""

from django.core.management.base import BaseCommand, CommandError

from oncall.channels import channel_url_masked
from oncall.models import NotificationChannel
from oncall.services import OncallConfigError, channel_create, channel_test_send


class Command(BaseCommand):
    help = (
        "Manage notification channels. A channel is an apprise URL (mailto://, json://, slack://,"
        " msteams://, …) or alertmanager://host:9093. add --name N --url URL; list; "
        "test --name N (queues a test message for the worker); remove --name N."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Add a channel.")
        add.add_argument("--name", required=True)
        add.add_argument("--url", required=True, help="An apprise URL or alertmanager://…")
        add.add_argument(
            "--rate-limit", type=int, default=0, help="Messages per --rate-window (0: no limit)."
        )
        add.add_argument("--rate-window", type=int, default=3600, help="Seconds (default 3600).")
        sub.add_parser("list", help="List channels (URLs masked).")
        test = sub.add_parser("test", help="Queue a test message to a channel.")
        test.add_argument("--name", required=True)
        remove = sub.add_parser("remove", help="Delete a channel and its rules.")
        remove.add_argument("--name", required=True)

    def handle(self, *args, action, **options):
        if action == "add":
            if options["rate_limit"] < 0 or options["rate_window"] < 1:
                raise CommandError("--rate-limit must be 0 or more and --rate-window at least 1.")
            try:
                channel = channel_create(
                    name=options["name"],
                    url=options["url"],
                    rate_limit=options["rate_limit"],
                    rate_limit_seconds=options["rate_window"],
                )
            except OncallConfigError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"Added channel {channel.name!r}: {channel_url_masked(channel.url)}")
        elif action == "list":
            for channel in NotificationChannel.objects.order_by("name"):
                state = "enabled" if channel.enabled else "disabled"
                limit = (
                    f", at most {channel.rate_limit} per {channel.rate_limit_seconds} s"
                    if channel.rate_limit
                    else ""
                )
                self.stdout.write(
                    f"{channel.name}\t{channel_url_masked(channel.url)}\t{state}{limit}"
                )
        elif action == "test":
            channel = self._channel(options["name"])
            message = channel_test_send(channel=channel, actor="manage.py")
            self.stdout.write(
                f"Queued test message #{message.pk} to {channel.name!r}; the worker "
                "(manage.py notify) sends it."
            )
        elif action == "remove":
            channel = self._channel(options["name"])
            channel.delete()
            self.stdout.write(f"Removed channel {options['name']!r} and its rules.")

    def _channel(self, name: str) -> NotificationChannel:
        channel = NotificationChannel.objects.filter(name=name).first()
        if channel is None:
            raise CommandError(f"No channel named {name!r}.")
        return channel
