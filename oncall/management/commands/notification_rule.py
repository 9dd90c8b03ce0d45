"""python manage.py notification_rule add --channel N [--min-severity S] [--type CODE]
[--host GLOB] [--events opened,regressed,resolved] | list | remove --id ID"""

from django.core.management.base import BaseCommand, CommandError

from oncall.models import EVENTS, EVENTS_DEFAULT, NotificationRule
from oncall.services import OncallConfigError, rule_create


class Command(BaseCommand):
    help = (
        "Manage notification rules: which fault changes go to which channel. "
        "add --channel N [--min-severity S] [--type CODE] [--host GLOB] [--incident ID] "
        f"[--events {EVENTS_DEFAULT}] (events: {', '.join(EVENTS)}) [--group-wait S] "
        "[--group-interval S] [--repeat-interval S]; list; remove --id ID."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Add a rule.")
        add.add_argument("--channel", required=True, help="The channel's name.")
        add.add_argument("--name", default="")
        add.add_argument("--min-severity", default="", help="critical, major, minor, warning…")
        add.add_argument("--type", default="", dest="fault_type", help="A fault type code.")
        add.add_argument("--host", default="", help="A host glob, e.g. 'dn*.prod'.")
        add.add_argument("--incident", type=int, default=None, help="Only this incident.")
        add.add_argument("--events", default=EVENTS_DEFAULT, help="Comma-separated.")
        add.add_argument("--group-wait", type=int, default=30, help="Seconds (default 30).")
        add.add_argument("--group-interval", type=int, default=300, help="Seconds (default 300).")
        add.add_argument(
            "--repeat-interval", type=int, default=4 * 3600, help="Seconds (default 14400)."
        )
        sub.add_parser("list", help="List rules.")
        remove = sub.add_parser("remove", help="Delete a rule.")
        remove.add_argument("--id", type=int, required=True)

    def handle(self, *args, action, **options):
        if action == "add":
            for flag in ("group_wait", "group_interval", "repeat_interval"):
                if options[flag] < 0:
                    raise CommandError(f"--{flag.replace('_', '-')} must be 0 or more.")
            try:
                rule = rule_create(
                    channel=options["channel"],
                    name=options["name"],
                    min_severity=options["min_severity"],
                    fault_type_code=options["fault_type"],
                    host_glob=options["host"],
                    incident_id=options["incident"],
                    events=options["events"],
                    group_wait_seconds=options["group_wait"],
                    group_interval_seconds=options["group_interval"],
                    repeat_interval_seconds=options["repeat_interval"],
                )
            except OncallConfigError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"Added rule #{rule.pk}: {describe(rule)}")
        elif action == "list":
            for rule in NotificationRule.objects.select_related("channel"):
                self.stdout.write(f"#{rule.pk}\t{describe(rule)}")
        elif action == "remove":
            deleted, _ = NotificationRule.objects.filter(pk=options["id"]).delete()
            if not deleted:
                raise CommandError(f"No rule #{options['id']}.")
            self.stdout.write(f"Removed rule #{options['id']}.")


def describe(rule: NotificationRule) -> str:
    parts = [f"→ {rule.channel.name}", f"events {rule.events}"]
    if rule.min_severity:
        parts.append(f"severity ≥ {rule.min_severity}")
    if rule.fault_type_code:
        parts.append(f"type {rule.fault_type_code}")
    if rule.host_glob:
        parts.append(f"host {rule.host_glob}")
    if rule.incident_id:
        parts.append(f"incident #{rule.incident_id}")
    parts.append(
        f"group wait {rule.group_wait_seconds} s, interval {rule.group_interval_seconds} s"
    )
    if not rule.enabled:
        parts.append("disabled")
    return ", ".join(parts)
