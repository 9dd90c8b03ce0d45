"""Fault history (fault_events) and stored diagnoses (diagnoses) in the admin: read-only lists.

Both tables grow with the faults (every transition, every diagnosis); the lists join each row to
its fault in the same query (list_select_related, never a query per row), sort by the primary
key (rows are inserted in time order; there is no index on the time columns), do not count the
whole table (EstimatedCountPaginator) and filter only on columns with choices.
"""

import json

from django.contrib import admin
from django.db.models.fields.json import KT
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from diagnosis.models import Diagnosis, FaultEvent
from faultportal.admin_pagination import EstimatedCountPaginator

# The fault's columns a list row needs (its title); the rest of the fault stays in the database.
FAULT_LIST_FIELDS = ("fault__id", "fault__title", "fault__host")


def fault_link(fault):
    if fault is None:
        return "—"
    return format_html(
        '<a href="{}">#{}</a> {}',
        reverse("admin:diagnosis_faultrecord_change", args=[fault.pk]),
        fault.pk,
        Truncator(fault.title).chars(90),
    )


class _ReadOnlyHistoryAdmin(admin.ModelAdmin):
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    list_per_page = 100
    ordering = ["-id"]
    sortable_by = []
    raw_id_fields = ["fault"]

    def get_search_results(self, request, queryset, search_term):
        # A number is a fault id (the FK index); anything else goes to the exact-match fields.
        term = search_term.strip()
        if term.isdigit():
            return queryset.filter(fault_id=int(term)), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FaultEvent)
class FaultEventAdmin(_ReadOnlyHistoryAdmin):
    list_display = ["at", "fault_column", "action", "actor", "note_short"]
    list_filter = ["action"]
    list_select_related = ["fault"]
    search_fields = ["=actor"]
    search_help_text = "A fault id, or an exact actor (user name, token:<name>, system)."
    fields = ["fault", "action", "actor", "note", "at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .only("id", "at", "action", "actor", "note", *FAULT_LIST_FIELDS)
        )

    def has_delete_permission(self, request, obj=None):
        return False  # the history of a fault is kept with the fault

    @admin.display(description="fault")
    def fault_column(self, event):
        return fault_link(event.fault)

    @admin.display(description="note")
    def note_short(self, event):
        return Truncator(event.note).chars(160)


@admin.register(Diagnosis)
class DiagnosisAdmin(_ReadOnlyHistoryAdmin):
    list_display = [
        "id",
        "created_at",
        "fault_column",
        "engine",
        "state",
        "host",
        "requested_by",
        "summary",
    ]
    list_display_links = ["id", "created_at"]
    list_filter = ["engine", "state"]
    list_select_related = ["fault", "incident"]
    search_fields = ["=host", "=requested_by"]
    search_help_text = "A fault id, or an exact host or requester."
    fields = [
        "fault",
        "incident",
        "engine",
        "state",
        "error",
        "host",
        "requested_by",
        "created_at",
        "result_json",
        "log_text",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            # The list shows the summary, read inside the database: a result is tens of KiB.
            queryset = queryset.defer("result", "log_text").annotate(
                summary_text=KT("result__summary")
            )
        return queryset

    @admin.display(description="fault")
    def fault_column(self, diagnosis):
        if diagnosis.fault_id:
            return fault_link(diagnosis.fault)
        if diagnosis.incident_id:
            return f"incident #{diagnosis.incident_id}"
        return "pasted excerpt"

    @admin.display(description="summary")
    def summary(self, diagnosis):
        return Truncator(getattr(diagnosis, "summary_text", None) or "").chars(160)

    @admin.display(description="result")
    def result_json(self, diagnosis):
        text = json.dumps(diagnosis.result, indent=2, ensure_ascii=False)
        return format_html('<pre class="fp-log-text">{}</pre>', text)
