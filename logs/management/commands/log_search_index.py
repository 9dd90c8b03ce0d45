"""Turn the full-text index of system_logs off (drop it) or on (build it), or show its state.

    python manage.py log_search_index status
    python manage.py log_search_index off     # a cluster that only wants faults
    python manage.py log_search_index on      # builds over every stored line: see docs/search.md

Search keeps working without the index, by scanning within a time budget (docs/search.md). Run
it as the migrations account: the portal's own account may not alter tables.
"""

from django.core.management.base import BaseCommand
from django.db import connection

from logs.search_index import (
    search_index_create,
    search_index_drop,
    search_index_forget,
    search_index_state,
)


class Command(BaseCommand):
    help = "Drop (off), build (on) or describe (status) the full-text index of system_logs."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "on", "off"])

    def handle(self, *args, action, **options):
        if action == "on":
            search_index_create()
        elif action == "off":
            search_index_drop()
        search_index_forget()
        state = search_index_state()
        where = {"mysql": "InnoDB FULLTEXT", "sqlite": "FTS5"}.get(connection.vendor, "none")
        if state.present:
            self.stdout.write(
                f"search index: on ({where}; words of {state.min_token} characters and more "
                "are indexed, every term is checked exactly)"
            )
        else:
            self.stdout.write("search index: off (searches scan newest first, within a budget)")
