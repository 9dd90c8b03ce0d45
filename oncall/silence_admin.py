"""Silences, maintenance windows and snoozes in the admin (imported by oncall/admin.py).

Operators make, expire, edit and delete them; each change lets the dispatcher look again at
what the row held (oncall.silences.held_recheck), so an early end is not waited out. The text
shown (comments, hosts, reasons) is input: escaped, never marked safe.
"""

from django import forms
from django.contrib import admin, messages
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode

from oncall import silences
from oncall.models import FaultSnooze, MaintenanceWindow, OutboxEntry, Silence

STATE_CSS = {"active": "fp-st-open", "pending": "fp-st-acknowledged", "expired": "fp-st-ignored"}


def _badge(text: str, css_class: str):
    return format_html('<span class="fp-badge {}">{}</span>', css_class, text)


def _held_link(kind: str, object_id: int):
    count = silences.silenced_outbox(kind=kind, object_id=object_id).count()
    if not count:
        return "0"
    try:
        url = reverse("admin:oncall_outboxentry_changelist")
    except NoReverseMatch:  # no outbox admin registered: the figure alone
        return str(count)
    query = urlencode({"status__exact": OutboxEntry.Status.SILENCED})
    return format_html('<a href="{}?{}">{}</a>', url, query, count)


def outbox_held_text(entry: OutboxEntry) -> str:
    """The outbox list's "silenced" column: until when and by what, for a held entry; what had
    held one that was released."""
    held = entry.suppression
    if not isinstance(held, dict):
        return ""
    what = f"{held.get('kind', '?')} #{held.get('id', '?')}: {held.get('reason', '')}"
    if entry.status != OutboxEntry.Status.SILENCED:
        return f"was held by {what}"
    if entry.held_until is None or held.get("ends_at") is None:
        return f"silenced (open-ended, asked again every few seconds) by {what}"
    return f"silenced until {timezone.localtime(entry.held_until):%Y-%m-%d %H:%M %Z} by {what}"


class SilenceStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "active"), ("pending", "pending"), ("expired", "expired")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(starts_at__lte=now, ends_at__gt=now)
        if self.value() == "pending":
            return queryset.filter(starts_at__gt=now)
        if self.value() == "expired":
            return queryset.filter(ends_at__lte=now)
        return queryset


@admin.register(Silence)
class SilenceAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "state_badge",
        "matchers",
        "starts_at",
        "ends_at",
        "author",
        "comment_short",
        "held",
    ]
    list_filter = [SilenceStateFilter, "severity"]
    search_fields = ["host_glob", "fault_type_code", "author", "comment"]
    search_help_text = "Host glob, fault type code, author or comment."
    ordering = ["-ends_at", "-id"]
    list_per_page = 100
    show_facets = admin.ShowFacets.NEVER
    raw_id_fields = ["incident"]
    actions = ["expire_selected"]
    fields = [
        "host_glob",
        "fault_type_code",
        "severity",
        "incident",
        "starts_at",
        "ends_at",
        "comment",
        "author",
        "held",
    ]
    readonly_fields = ["author", "held"]

    @admin.display(description="state")
    def state_badge(self, obj):
        state = obj.state(timezone.now())
        return _badge(state, STATE_CSS[state])

    @admin.display(description="matchers")
    def matchers(self, obj):
        return obj.matchers_text

    @admin.display(description="comment")
    def comment_short(self, obj):
        text = " ".join(obj.comment.split())
        return text if len(text) <= 80 else text[:79] + "…"

    @admin.display(description="changes held")
    def held(self, obj):
        return _held_link("silence", obj.pk) if obj.pk else "—"

    def get_changeform_initial_data(self, request):
        now = timezone.now().replace(second=0, microsecond=0)
        initial = {"starts_at": now, "ends_at": now + silences.ONE_CLICK}
        return {**initial, **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        if not change:
            obj.author = request.user.get_username()
        super().save_model(request, obj, form, change)
        if change:
            silences.held_recheck(kind="silence", object_id=obj.pk)

    def delete_model(self, request, obj):
        silences.silence_delete(silence=obj)

    def delete_queryset(self, request, queryset):
        for silence in queryset:
            silences.silence_delete(silence=silence)

    @admin.action(description="Expire selected silences now", permissions=["change"])
    def expire_selected(self, request, queryset):
        count = 0
        for silence in queryset:
            silences.silence_expire(silence=silence)
            count += 1
        self.message_user(request, f"{count} silence(s) expired.", messages.SUCCESS)


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    list_display = ["name", "host_glob", "schedule", "now_state", "enabled", "author", "held"]
    list_filter = ["enabled", "recurrence"]
    search_fields = ["name", "host_glob", "comment"]
    ordering = ["name", "id"]
    show_facets = admin.ShowFacets.NEVER
    actions = ["enable_selected", "disable_selected"]
    fieldsets = [
        (None, {"fields": ["name", "host_glob", "enabled", "comment", "author"]}),
        ("When", {"fields": ["recurrence", "starts_at", "ends_at"]}),
        (
            "Weekly (in the cluster's time zone)",
            {"fields": ["weekdays", "start_time", "duration_minutes"]},
        ),
        ("Now", {"fields": ["now_state", "held"]}),
    ]
    readonly_fields = ["author", "now_state", "held"]

    @admin.display(description="schedule")
    def schedule(self, obj):
        if obj.recurrence == MaintenanceWindow.Recurrence.ONCE and obj.starts_at and obj.ends_at:
            start = timezone.localtime(obj.starts_at)
            end = timezone.localtime(obj.ends_at)
            return f"one-off {start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M}"
        return obj.schedule_text

    @admin.display(description="now")
    def now_state(self, obj):
        if not obj.pk:
            return "—"
        now = timezone.now()
        until = silences.window_active_until(obj, now)
        if until is not None:
            return _badge(f"open until {timezone.localtime(until):%Y-%m-%d %H:%M}", "fp-st-open")
        upcoming = silences.window_next_start(obj, now)
        if upcoming is not None:
            return f"next {timezone.localtime(upcoming):%Y-%m-%d %H:%M}"
        return "closed" if obj.enabled else "disabled"

    @admin.display(description="changes held")
    def held(self, obj):
        return _held_link("maintenance", obj.pk) if obj.pk else "—"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.author = request.user.get_username()
        super().save_model(request, obj, form, change)
        if change:
            silences.maintenance_window_changed(window=obj)

    def delete_model(self, request, obj):
        silences.maintenance_window_changed(window=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for window in queryset:
            silences.maintenance_window_changed(window=window)
        super().delete_queryset(request, queryset)

    def _set_enabled(self, request, queryset, enabled: bool):
        for window in queryset:
            window.enabled = enabled
            window.save(update_fields=["enabled", "updated_at"])
            silences.maintenance_window_changed(window=window)
        self.message_user(
            request, f"{queryset.count()} window(s) {'en' if enabled else 'dis'}abled."
        )

    @admin.action(description="Enable selected windows", permissions=["change"])
    def enable_selected(self, request, queryset):
        self._set_enabled(request, queryset, True)

    @admin.action(description="Disable selected windows", permissions=["change"])
    def disable_selected(self, request, queryset):
        self._set_enabled(request, queryset, False)


class FaultSnoozeForm(forms.ModelForm):
    more_occurrences = forms.IntegerField(
        required=False,
        min_value=1,
        help_text="Or: for this many more occurrences (whichever ends first).",
    )

    class Meta:
        model = FaultSnooze
        fields = ["fault", "until", "comment"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        snooze = self.instance
        if snooze.pk and snooze.until_occurrences is not None:
            left = snooze.until_occurrences - snooze.fault.occurrences
            self.fields["more_occurrences"].initial = max(1, left)

    def clean(self):
        data = super().clean()
        until, more = data.get("until"), data.get("more_occurrences")
        if until is None and more is None:
            raise forms.ValidationError("Snooze until a time, or for a number of occurrences.")
        if until is not None and until <= timezone.now():
            self.add_error("until", "The end must be in the future.")
        fault = data.get("fault")
        if more is not None and fault is not None:
            self.instance.until_occurrences = fault.occurrences + more
        elif more is None:
            self.instance.until_occurrences = None
        return data


@admin.register(FaultSnooze)
class FaultSnoozeAdmin(admin.ModelAdmin):
    form = FaultSnoozeForm
    list_display = ["fault_link", "until", "occurrences_left", "author", "comment", "created_at"]
    raw_id_fields = ["fault"]
    search_fields = ["=fault__id", "author", "comment"]
    search_help_text = "A fault id, the author or the comment."
    ordering = ["-created_at", "-id"]
    show_facets = admin.ShowFacets.NEVER
    fields = ["fault", "until", "more_occurrences", "comment", "author"]
    readonly_fields = ["author"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("fault")

    @admin.display(description="fault")
    def fault_link(self, obj):
        url = reverse("dashboard-fault", args=[obj.fault_id])
        return format_html('<a href="{}">#{} {}</a>', url, obj.fault_id, obj.fault.title)

    @admin.display(description="occurrences left")
    def occurrences_left(self, obj):
        if obj.until_occurrences is None:
            return "—"
        return max(0, obj.until_occurrences - obj.fault.occurrences)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.author = request.user.get_username()
        super().save_model(request, obj, form, change)
        silences.held_recheck(kind="snooze", object_id=obj.pk)

    def delete_model(self, request, obj):
        silences.fault_unsnooze(fault=obj.fault)

    def delete_queryset(self, request, queryset):
        for snooze in queryset.select_related("fault"):
            silences.fault_unsnooze(fault=snooze.fault)
