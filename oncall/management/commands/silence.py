"""python manage.py silence add|list|expire|delete: silences as code (oncall/silences.py)."""

import getpass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from diagnosis.models import Incident, Severity
from oncall.models import Silence
from oncall.silences import silence_create, silence_delete, silence_expire, silence_list


def _author(given: str) -> str:
    if given:
        return given
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name for this uid (a container): still say where it came from
        return "cli"


def _plain(text: str) -> str:
    """One line, without the control characters a terminal would obey (comments are input)."""
    return "".join(char if char.isprintable() else " " for char in " ".join(text.split()))


class Command(BaseCommand):
    help = (
        "Silences: `add --host GLOB [--type CODE] [--severity S] [--incident ID] --hours H "
        "--comment TEXT`, `list [--state active|pending|expired|all]`, `expire ID`, `delete ID`."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Silence matching changes for H hours from now.")
        add.add_argument("--host", default="", help="Host glob(s): dn*, rack[0-3]-*, dn1,dn2.")
        add.add_argument("--type", default="", help="A fault type code, e.g. datanode_dead.")
        add.add_argument("--severity", default="", choices=["", *Severity.values])
        add.add_argument("--incident", type=int, default=None, help="An incident id.")
        add.add_argument("--hours", type=float, required=True, help="How long (0.5 = 30 min).")
        add.add_argument("--starts", default="", help="ISO 8601 start (default: now).")
        add.add_argument("--comment", required=True, help="Why: the planned work, a ticket.")
        add.add_argument("--author", default="", help="Default: cli:<your user name>.")
        listing = sub.add_parser("list", help="Silences, latest end first.")
        listing.add_argument(
            "--state", default="active", choices=["active", "pending", "expired", "all"]
        )
        for name, what in (("expire", "End a silence now."), ("delete", "Remove a silence.")):
            cmd = sub.add_parser(name, help=what)
            cmd.add_argument("id", type=int)

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _add(self, *, host, type, severity, incident, hours, starts, comment, author, **_):
        if hours <= 0:
            raise CommandError("--hours must be more than 0.")
        starts_at = None
        if starts:
            starts_at = parse_datetime(starts)
            if starts_at is None:
                raise CommandError(f"--starts {starts!r} is not an ISO 8601 date and time.")
            if timezone.is_naive(starts_at):
                starts_at = timezone.make_aware(starts_at)
        incident_row = None
        if incident is not None:
            incident_row = Incident.objects.filter(pk=incident).first()
            if incident_row is None:
                raise CommandError(f"No incident #{incident}.")
        try:
            silence = silence_create(
                author=_author(author),
                comment=comment,
                host_glob=host,
                fault_type_code=type,
                severity=severity,
                incident=incident_row,
                starts_at=starts_at,
                duration=timedelta(hours=hours),
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(
            f"Silence #{silence.pk}: {_plain(silence.matchers_text)} until "
            f"{timezone.localtime(silence.ends_at):%Y-%m-%d %H:%M %Z}."
        )

    def _list(self, *, state, **_):
        now = timezone.now()
        rows = silence_list(state="" if state == "all" else state, now=now)
        count = 0
        for silence in rows[:500]:
            count += 1
            self.stdout.write(
                f"#{silence.pk}\t{silence.state(now)}\t"
                f"{timezone.localtime(silence.starts_at):%Y-%m-%d %H:%M} → "
                f"{timezone.localtime(silence.ends_at):%Y-%m-%d %H:%M}\t"
                f"{_plain(silence.matchers_text)}\t"
                f"{_plain(silence.author)}\t{_plain(silence.comment)}"
            )
        if not count:
            self.stdout.write(f"No {'' if state == 'all' else state + ' '}silences.")

    def _get(self, pk: int) -> Silence:
        silence = Silence.objects.filter(pk=pk).first()
        if silence is None:
            raise CommandError(f"No silence #{pk}.")
        return silence

    def _expire(self, *, id, **_):
        silence = silence_expire(silence=self._get(id))
        self.stdout.write(f"Silence #{silence.pk} expired.")

    def _delete(self, *, id, **_):
        silence_delete(silence=self._get(id))
        self.stdout.write(f"Silence #{id} deleted.")
