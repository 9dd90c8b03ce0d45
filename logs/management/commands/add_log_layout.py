from django.core.management.base import BaseCommand, CommandError

from logs.layouts import LayoutError
from logs.services import log_layout_save


class Command(BaseCommand):
    help = (
        "Add a log layout (a log4j ConversionPattern or log4j2 PatternLayout pattern) that "
        "ingestion reads from then on; running it again with the same name replaces the "
        "pattern. A pattern that cannot be read is refused (exit status 1) with the reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="A name for the layout, e.g. hdp-namenode.")
        parser.add_argument(
            "pattern", help="The pattern, quoted, e.g. '%%d{ISO8601} %%-5p [%%t] %%c{2}: %%m%%n'."
        )
        parser.add_argument(
            "--position",
            type=int,
            help="Order among the operator's layouts, lowest first (default 100).",
        )
        parser.add_argument("--source", help="Where the pattern comes from (shown in the admin).")
        parser.add_argument(
            "--disabled", action="store_true", help="Store it without reading lines with it."
        )

    def handle(self, *args, name, pattern, position, source, disabled, **options):
        try:
            layout, created = log_layout_save(
                name=name, pattern=pattern, position=position, enabled=not disabled, source=source
            )
        except LayoutError as exc:
            raise CommandError(f"The pattern cannot be read: {exc}") from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        verb = "Added" if created else "Updated"
        state = "" if layout.enabled else " (disabled)"
        self.stdout.write(f"{verb} log layout {layout.name!r}{state}: {layout.pattern}")
