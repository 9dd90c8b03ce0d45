"""The incident list: one row per story, its faults acted on together.

Cheap like the fault list: no unfiltered COUNT, no facets; the fault count is one GROUP BY over
the page's incidents. Every text shown comes from log lines: escaped, never marked safe.
"""

from django.contrib import admin, messages
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from diagnosis import services
from diagnosis.admin.fault_record import LastSeenFilter, _badge
from diagnosis.models import FaultEvent, FaultRecord, Incident

Action = FaultEvent.Action


class IncidentFaultInline(admin.TabularInline):
    model = FaultRecord
    fk_name = "incident"
    fields = ["fault_link", "is_symptom", "severity", "status", "host", "occurrences", "last_seen"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False
    ordering = ["is_symptom", "first_seen", "id"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("fault_type")
            .defer("first_sample", "latest_sample", "message", "diagnosis", "entities")
        )

    @admin.display(description="fault")
    def fault_link(self, obj):
        url = reverse("admin:diagnosis_faultrecord_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a> ({})', url, obj.title, obj.fault_type.code)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "severity_badge",
        "status_badge",
        "title",
        "kind",
        "hosts_list",
        "fault_count",
        "first_seen",
        "last_seen",
    ]
    list_display_links = ["id", "title"]
    list_filter = ["status", "severity", "kind", LastSeenFilter]
    search_fields = ["^title"]
    search_help_text = "Title prefix, or an incident id."
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    ordering = ["-last_seen", "-id"]
    sortable_by = ["id", "first_seen", "last_seen"]
    list_per_page = 100
    inlines = [IncidentFaultInline]
    actions = ["acknowledge_faults", "resolve_faults", "ignore_faults", "reopen_faults"]
    exclude = ["diagnosis", "subjects", "hosts", "components", "peers"]
    readonly_fields = [
        "latest_diagnosis",
        "title",
        "kind",
        "status",
        "severity",
        "subjects_list",
        "hosts_list",
        "components_list",
        "peers_list",
        "cause_fault",
        "first_seen",
        "last_seen",
        "merged_into",
        "diagnosed_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("diagnosis")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term.isdigit():
            return queryset.filter(pk=int(term)), False
        return super().get_search_results(request, queryset, term)

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        ids = [incident.pk for incident in changelist.result_list]
        counts = dict(
            FaultRecord.objects.filter(incident_id__in=ids)
            .values("incident_id")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("incident_id", "n")
        )
        for incident in changelist.result_list:
            incident.fault_total = counts.get(incident.pk, 0)
        return changelist

    def view_on_site(self, obj):
        # "View on site" leads to the incident's page on the dashboard.
        return reverse("dashboard-incident", args=[obj.pk])

    def has_add_permission(self, request):
        return False  # incidents come from the faults that form them

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("diagnosis.change_faultrecord")

    @admin.display(description="severity", ordering="severity")
    def severity_badge(self, obj):
        return _badge(obj.get_severity_display(), f"fp-sev-{obj.severity}")

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return _badge(obj.get_status_display(), f"fp-st-{obj.status}")

    @admin.display(description="hosts")
    def hosts_list(self, obj):
        return ", ".join(obj.hosts) or "—"

    @admin.display(description="about")
    def subjects_list(self, obj):
        return ", ".join(obj.subjects) or "—"

    @admin.display(description="components")
    def components_list(self, obj):
        return ", ".join(obj.components) or "—"

    @admin.display(description="peers")
    def peers_list(self, obj):
        if not obj.peers:
            return "—"
        return format_html_join(
            ", ", "{}:{} ({})", ((p["host"], p["port"], p.get("role", "")) for p in obj.peers)
        )

    @admin.display(description="faults")
    def fault_count(self, obj):
        total = getattr(obj, "fault_total", 0)
        url = reverse("admin:diagnosis_faultrecord_changelist") + f"?incident={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, total)

    @admin.display(description="Latest diagnosis")
    def latest_diagnosis(self, obj):
        result = obj.diagnosis or {}
        causes = result.get("probable_causes") or []
        if not causes:
            return "Not diagnosed yet (POST /api/llm/diagnose with its incident_id)."
        rows = format_html_join(
            "",
            "<li>{} — {}%: {}</li>",
            ((c["title"], round(c["confidence"] * 100), c.get("explanation", "")) for c in causes),
        )
        steps = format_html_join("", "<li>{}</li>", ((s,) for s in result.get("remediation", [])))
        return format_html("<ol>{}</ol><p>Steps:</p><ol>{}</ol>", rows, steps)

    @admin.action(
        description="Acknowledge the faults of selected incidents", permissions=["change"]
    )
    def acknowledge_faults(self, request, queryset):
        self._transition(request, queryset, Action.ACKNOWLEDGED)

    @admin.action(description="Resolve the faults of selected incidents", permissions=["change"])
    def resolve_faults(self, request, queryset):
        self._transition(request, queryset, Action.RESOLVED)

    @admin.action(description="Ignore the faults of selected incidents", permissions=["change"])
    def ignore_faults(self, request, queryset):
        self._transition(request, queryset, Action.IGNORED)

    @admin.action(description="Reopen the faults of selected incidents", permissions=["change"])
    def reopen_faults(self, request, queryset):
        self._transition(request, queryset, Action.REOPENED)

    def _transition(self, request, queryset, action: str):
        sources, _ = services.TRANSITIONS[action]
        faults = FaultRecord.objects.filter(incident__in=queryset, status__in=sources).only("pk")
        done = 0
        for fault in faults:
            try:
                services.fault_transition(
                    fault=fault, action=action, actor=request.user.get_username()
                )
                done += 1
            except services.FaultTransitionError:
                pass  # changed meanwhile; its new state stands
        self.message_user(request, f"{done} fault(s) {action}.", messages.SUCCESS)
