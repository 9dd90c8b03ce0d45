"""Cluster status rows in the admin: read-only history, cheap at any size.

A week of snapshots of a 50-node cluster is ~100,000 rows, a month of retention four times
that: no full COUNT (EstimatedCountPaginator, show_full_result_count off), filters only on
columns with choices (they render without a query), no facets, search by exact host, newest
first along an index.
"""

import json

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from cluster.models import ClusterStatus, MetricThreshold, ThresholdBreach
from faultportal.admin_pagination import EstimatedCountPaginator


@admin.register(ClusterStatus)
class ClusterStatusAdmin(admin.ModelAdmin):
    list_display = [
        "collected_at",
        "scope",
        "host_link",
        "role",
        "state",
        "reachable",
        "source",
        "collection_id",
    ]
    list_filter = ["scope", "role", "reachable", "source"]
    search_fields = ["=host", "=collection_id"]
    search_help_text = "Exact host or collection id."
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    # No bulk delete: Django's would load every selected row; `manage.py prune` deletes in
    # batches by age.
    actions = None
    list_per_page = 100
    ordering = ["-collected_at", "-id"]
    sortable_by = ["collected_at"]
    # The list shows only what identifies a row; the metrics are on the row's page.
    list_only = [
        "id",
        "collected_at",
        "scope",
        "host",
        "role",
        "state",
        "reachable",
        "source",
        "collection_id",
    ]
    readonly_fields = ["details_json"]
    exclude = ["details"]

    class Media:
        css = {"all": ["faultportal/admin.css"]}

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            queryset = queryset.only(*self.list_only)
        return queryset

    def has_add_permission(self, request):
        return False  # snapshots come from the collector and from host pushes

    def has_change_permission(self, request, obj=None):
        return False  # recorded facts: view and delete (retention) only

    @admin.display(description="host", ordering="host")
    def host_link(self, obj):
        if not obj.host:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("dashboard-host", args=[obj.host]), obj.host
        )

    @admin.display(description="details")
    def details_json(self, obj):
        text = json.dumps(obj.details or {}, indent=2, sort_keys=True, ensure_ascii=False)
        return format_html('<pre class="fp-log-text">{}</pre>', text)


@admin.register(MetricThreshold)
class MetricThresholdAdmin(admin.ModelAdmin):
    """The metric thresholds, tuned by operators; an edit applies at the next collection."""

    list_display = [
        "fault_type",
        "measures",
        "raise_at",
        "critical_at",
        "unit",
        "duration_minutes",
        "enabled",
        "updated_at",
    ]
    list_editable = ["raise_at", "critical_at", "duration_minutes"]
    list_select_related = ["fault_type"]
    readonly_fields = ["fault_type", "measures", "unit", "is_state", "source", "updated_at"]
    fields = [
        "fault_type",
        "measures",
        "unit",
        "raise_at",
        "critical_at",
        "duration_minutes",
        "is_state",
        "source",
        "updated_at",
    ]
    search_fields = ["fault_type__code", "measures"]

    # The catalogue ships the rows (one per metric fault type); nothing to add or delete.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(boolean=True, description="enabled")
    def enabled(self, obj):
        return obj.fault_type.enabled


@admin.register(ThresholdBreach)
class ThresholdBreachAdmin(admin.ModelAdmin):
    """Which metrics are past their threshold now, and since when (read-only)."""

    list_display = ["code", "key", "since", "last_seen"]
    ordering = ["code", "key"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
