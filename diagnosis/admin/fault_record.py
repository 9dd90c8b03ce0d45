"""The fault list operators work from.

Kept cheap on purpose (docs/sources.md §6): no filter reads system_logs, the type
filter lists the small fault_types table, no unfiltered COUNT, no facets; search uses exact or
prefix matches on indexed or small columns, or the id.
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from diagnosis import services
from diagnosis.admin.display import latest_diagnosis
from diagnosis.models import FaultEvent, FaultRecord, FaultType
from logs.models import SystemLog

Action = FaultEvent.Action

# The buttons on a fault's admin page, in lifecycle order.
TRANSITION_LABELS = {
    Action.ACKNOWLEDGED: "Acknowledge",
    Action.RESOLVED: "Resolve",
    Action.IGNORED: "Ignore",
    Action.REOPENED: "Reopen",
}
# The fault's lines are shown from a little before its first to a little after its last
# occurrence, so the context that led to it is on the page too.
LINES_MARGIN = timedelta(minutes=5)


def _badge(text: str, css_class: str):
    """A badge coloured by faultportal/admin.css (loaded on every admin page)."""
    return format_html('<span class="fp-badge {}">{}</span>', css_class, text)


class FaultTypeFilter(admin.SimpleListFilter):
    """By fault type, listed from the small fault_types table (never a DISTINCT over faults)."""

    title = "fault type"
    parameter_name = "type"

    def lookups(self, request, model_admin):
        return list(FaultType.objects.order_by("code").values_list("code", "name"))

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(fault_type__code=self.value())
        return queryset


class IncidentFilter(admin.SimpleListFilter):
    """?incident=<id>: the faults of one incident (linked from the incident list; no choices
    are listed, which would read every incident)."""

    title = "incident"
    parameter_name = "incident"

    def lookups(self, request, model_admin):
        value = self.value()
        return [(value, f"incident {value}")] if value and value.isdigit() else []

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(incident_id=int(value))
        return queryset


class LastSeenFilter(admin.SimpleListFilter):
    title = "last seen"
    parameter_name = "seen"
    RANGES = {
        "1h": ("in the last hour", timedelta(hours=1)),
        "24h": ("in the last 24 hours", timedelta(hours=24)),
        "7d": ("in the last 7 days", timedelta(days=7)),
        "older": ("more than 7 days ago", timedelta(days=7)),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.RANGES.items()]

    def queryset(self, request, queryset):
        if self.value() not in self.RANGES:
            return queryset
        cutoff = timezone.now() - self.RANGES[self.value()][1]
        if self.value() == "older":
            return queryset.filter(last_seen__lt=cutoff)
        return queryset.filter(last_seen__gte=cutoff)


class FaultEventInline(admin.TabularInline):
    model = FaultEvent
    extra = 0
    can_delete = False
    fields = ["at", "action", "actor", "note"]
    readonly_fields = fields
    ordering = ["-at", "-id"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FaultRecord)
class FaultRecordAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "severity_badge",
        "status_badge",
        "title",
        "fault_type_code",
        "host",
        "occurrences",
        "first_seen",
        "last_seen",
        "lines_link",
    ]
    list_display_links = ["id", "title"]
    list_filter = [
        "status",
        "severity",
        FaultTypeFilter,
        LastSeenFilter,
        "is_regression",
        IncidentFilter,
    ]
    list_select_related = ["fault_type"]
    search_fields = ["=host", "^title", "=fingerprint"]
    search_help_text = "Exact host, title prefix, fingerprint, or a fault id."
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    ordering = ["-last_seen", "-id"]
    sortable_by = ["id", "occurrences", "first_seen", "last_seen"]
    list_per_page = 100
    raw_id_fields = ["first_log", "latest_log"]
    # Apps above add theirs with fault_admin_extend (runs: the fault's script runs, shown
    # before its history; rca: "Diagnose selected faults").
    inlines = [FaultEventInline]
    actions = ["acknowledge", "resolve", "ignore", "reopen"]
    # The stored diagnosis is shown formatted ("Latest diagnosis"), not as raw JSON.
    exclude = ["diagnosis"]
    readonly_fields = [
        latest_diagnosis,
        "fault_type",
        "fingerprint",
        "host",
        "component",
        "message",
        "severity",
        "status",
        "first_seen",
        "last_seen",
        "occurrences",
        "first_sample",
        "latest_sample",
        "first_log",
        "latest_log",
        "lines_link",
        "is_regression",
        "regressed_at",
        "acknowledged_at",
        "acknowledged_by",
        "resolved_at",
        "resolved_by",
        "resolution",
        "resolution_note",
        "ignored_at",
        "ignored_by",
        "diagnosed_at",
        "created_at",
        "updated_at",
    ]

    def get_urls(self):
        lines = self.admin_site.admin_view(self.lines_view)
        transition = self.admin_site.admin_view(self.transition_view)
        return [
            path("<int:object_id>/lines/", lines, name="diagnosis_faultrecord_lines"),
            path(
                "<int:object_id>/transition/",
                transition,
                name="diagnosis_faultrecord_transition",
            ),
            *super().get_urls(),
        ]

    def view_on_site(self, obj):
        # "View on site" leads to the fault's page on the dashboard.
        return reverse("dashboard-fault", args=[obj.pk])

    def change_view(self, request, object_id, form_url="", extra_context=None):
        fault = self.get_object(request, object_id)
        transitions = []
        if fault is not None and self.has_change_permission(request, fault):
            transitions = [
                (action, TRANSITION_LABELS[action])
                for action, (sources, _) in services.TRANSITIONS.items()
                if fault.status in sources
            ]
        extra_context = {**(extra_context or {}), "fault_transitions": transitions}
        return super().change_view(request, object_id, form_url, extra_context)

    def transition_view(self, request, object_id: int):
        """One fault's acknowledge / resolve / ignore / reopen, from buttons on its page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        fault = FaultRecord.objects.filter(pk=object_id).only("pk", "status").first()
        if fault is None or not self.has_view_permission(request, fault):
            raise Http404
        if not self.has_change_permission(request, fault):
            raise PermissionDenied
        action = request.POST.get("action", "")
        if action not in TRANSITION_LABELS:
            messages.error(request, f"Unknown action {action!r}.")
        else:
            try:
                services.fault_transition(
                    fault=fault,
                    action=action,
                    actor=request.user.get_username(),
                    note=request.POST.get("note", "").strip(),
                )
            except services.FaultTransitionError as exc:
                messages.warning(request, str(exc))
            else:
                messages.success(request, f"Fault #{fault.pk} {Action(action).label.lower()}.")
        return HttpResponseRedirect(reverse("admin:diagnosis_faultrecord_change", args=[fault.pk]))

    def lines_view(self, request, object_id: int):
        """Redirect to the system log list narrowed to this fault's host and time window."""
        fault = FaultRecord.objects.filter(pk=object_id).only("host", "first_seen", "last_seen")
        fault = fault.first()
        if fault is None or not self.has_view_permission(request, fault):
            raise Http404
        return HttpResponseRedirect(fault_lines_url(fault, request=request))

    def get_queryset(self, request):
        return super().get_queryset(request).defer("first_sample", "latest_sample", "diagnosis")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term.isdigit():  # an id: the primary key, not a text comparison
            return queryset.filter(pk=int(term)), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request):
        return False  # faults come from detection and metrics

    @admin.display(description="severity", ordering="severity")
    def severity_badge(self, obj):
        return _badge(obj.get_severity_display(), f"fp-sev-{obj.severity}")

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        label = obj.get_status_display() + (" (regression)" if obj.is_regression else "")
        return _badge(label, f"fp-st-{obj.status}")

    @admin.display(description="type", ordering="fault_type__code")
    def fault_type_code(self, obj):
        return obj.fault_type.code

    @admin.display(description="lines")
    def lines_link(self, obj):
        if obj.pk is None:
            return "—"
        url = reverse("admin:diagnosis_faultrecord_lines", args=[obj.pk])
        return format_html('<a href="{}">log lines</a>', url)

    # Bulk transitions go through the services, as the API does, recording who acted.
    @admin.action(description="Acknowledge selected faults", permissions=["change"])
    def acknowledge(self, request, queryset):
        self._transition(request, queryset, Action.ACKNOWLEDGED)

    @admin.action(description="Resolve selected faults", permissions=["change"])
    def resolve(self, request, queryset):
        self._transition(request, queryset, Action.RESOLVED)

    @admin.action(description="Ignore selected faults", permissions=["change"])
    def ignore(self, request, queryset):
        self._transition(request, queryset, Action.IGNORED)

    @admin.action(description="Reopen selected faults", permissions=["change"])
    def reopen(self, request, queryset):
        self._transition(request, queryset, Action.REOPENED)

    def _transition(self, request, queryset, action: str):
        done, refused = 0, 0
        for fault in queryset.select_related(None).only("pk"):
            try:
                services.fault_transition(
                    fault=fault, action=action, actor=request.user.get_username()
                )
                done += 1
            except services.FaultTransitionError:
                refused += 1
        verb = {
            Action.ACKNOWLEDGED: "acknowledged",
            Action.RESOLVED: "resolved",
            Action.IGNORED: "ignored",
            Action.REOPENED: "reopened",
        }[action]
        self.message_user(request, f"{done} fault(s) {verb}.", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                f"{refused} fault(s) skipped: their status does not allow that.",
                messages.WARNING,
            )


def fault_lines_url(fault: FaultRecord, *, request=None) -> str:
    """The system log list narrowed to the fault's host and time window, newest first.

    Host plus a log_time range, ordered by log_time, is what the (host, log_time) index
    serves; a cluster-wide fault (no host) uses the log_time index alone.
    """
    params = {
        "log_time__gte": (fault.first_seen - LINES_MARGIN).isoformat(),
        "log_time__lte": (fault.last_seen + LINES_MARGIN).isoformat(),
    }
    if fault.host:
        params["host"] = fault.host
    log_admin = admin.site._registry.get(SystemLog)
    if log_admin is not None and request is not None:
        # The admin sorts by a column index; the checkbox column comes first when the list
        # has actions for this user.
        columns = list(log_admin.get_list_display(request))
        if log_admin.get_actions(request):
            columns.insert(0, "action_checkbox")
        if "log_time" in columns:
            params["o"] = f"-{columns.index('log_time')}"
    return f"{reverse('admin:logs_systemlog_changelist')}?{urlencode(params)}"


def fault_admin_extend(*, inlines=(), actions=()) -> None:
    """Add an app's inlines (before the fault's history) and actions to the fault's admin page.

    Called from the admin module of an app above diagnosis, which diagnosis cannot import
    (docs/architecture.md). Adding the same one twice changes nothing.
    """
    for inline in inlines:
        if inline not in FaultRecordAdmin.inlines:
            FaultRecordAdmin.inlines.insert(
                FaultRecordAdmin.inlines.index(FaultEventInline), inline
            )
    for action in actions:
        if action not in FaultRecordAdmin.actions:
            FaultRecordAdmin.actions.append(action)
