from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from faultportal.services import api_token_create


class Command(BaseCommand):
    help = (
        "Create an API token and print it. The token is shown only now, alone on the last line, "
        "so scripts can capture it with `| tail -n 1`."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who will use the token, e.g. flume-dn01.")
        parser.add_argument(
            "--scopes",
            default="ingest",
            help="Comma-separated scopes: ingest, read, diagnose (default: ingest).",
        )

    def handle(self, *args, name, scopes, **options):
        try:
            token, raw = api_token_create(name=name, scopes=scopes)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"Created token {token.name!r} with scopes {token.scopes}.")
        self.stdout.write("Store it now; it cannot be shown again:")
        self.stdout.write(raw)
