import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from faultportal.services import admin_login_ensure


class Command(BaseCommand):
    help = (
        "Create the superuser `admin` if missing and give it a new random password, printed "
        "with the login URL. Used by ./bin/demo: the password changes on every run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin", help="default: admin")
        parser.add_argument(
            "--url",
            help="Where the portal is served (default: http://localhost:$PORT/, PORT=8000).",
        )

    def handle(self, *args, username, url, **options):
        try:
            user, password, created = admin_login_ensure(username=username)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        base = url or f"http://localhost:{os.environ.get('PORT') or '8000'}/"
        action = "Created superuser" if created else "Reset the password of"
        self.stdout.write(f"{action} {user.username!r}.")
        self.stdout.write(f"Admin login: {user.username} / {password}")
        self.stdout.write(f"Sign in at {base.rstrip('/')}/admin/")
