"""Admin for script runs: the list, one run with its output, a "Script health" page, and the
inline that lists a fault's runs on the fault's page.

Runs are reported facts, so they are view-only here. Output is hostile text: it is always
passed through format_html, never marked safe.
"""

import shlex
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.forms.models import BaseInlineFormSet
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from diagnosis.admin.fault_record import fault_admin_extend
from faultportal.admin_pagination import EstimatedCountPaginator
from runs.models import ExecLog
from runs.selectors import OUTPUT_FIELDS, exec_recent_scripts, exec_script_stats
from runs.services import exec_run_deadline, exec_runs_time_out

Status = ExecLog.Status

HEALTH_WINDOWS = (1, 7, 30, 90)
INLINE_RUNS = 20


def status_badge(status: str):
    """A run's status, coloured by faultportal/admin.css (loaded on every admin page)."""
    return format_html(
        '<span class="fp-badge fp-status fp-run-{}">{}</span>',
        status,
        Status(status).label if status in Status.values else status,
    )


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def run_duration(run: ExecLog) -> str:
    if run.duration_seconds is not None:
        return format_duration(run.duration_seconds)
    if run.status == Status.RUNNING:
        return "running for " + format_duration((timezone.now() - run.started_at).total_seconds())
    if run.status == Status.TIMED_OUT:
        return "no report (timed out)"
    return "—"


def fault_link(run: ExecLog):
    if run.fault_id is None:
        return "—"
    url = reverse("admin:diagnosis_faultrecord_change", args=[run.fault_id])
    return format_html('<a href="{}">fault #{}</a>', url, run.fault_id)


class ScriptFilter(admin.SimpleListFilter):
    """Scripts run in the last 30 days, as long as there are few of them.

    Never a DISTINCT over the whole table (Django's default for a plain CharField): the query is
    bounded by time and by count (on MySQL/MariaDB a loose scan of the script+started_at index),
    and with more than 50 scripts the list shows only the chosen one (search by name instead).
    """

    title = "script"
    parameter_name = "script"

    def lookups(self, request, model_admin):
        names = exec_recent_scripts() or []
        if self.value() and self.value() not in names:
            names.append(self.value())  # the script chosen, e.g. from Script health
        return [(name, name) for name in names]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(script=self.value())
        return queryset


@admin.register(ExecLog)
class ExecLogAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "script",
        "host",
        "status_column",
        "exit_code",
        "started_at",
        "duration_column",
        "fault_column",
        "trigger",
    ]
    list_display_links = ["id", "script"]
    list_filter = ["status", "trigger", ScriptFilter]
    search_fields = ["^script", "=host", "=client_run_id"]
    search_help_text = "Script name (prefix), exact host, client run id, or a run id."
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    # Runs accumulate (every cron job on every node): counts are capped, never a full COUNT.
    paginator = EstimatedCountPaginator
    sortable_by = ["id", "started_at"]
    list_per_page = 100
    change_list_template = "admin/runs/execlog/change_list.html"
    fieldsets = [
        (None, {"fields": ["script", "host", "trigger", "status_column", "exit_code"]}),
        ("Command", {"fields": ["command_line", "fault_column"]}),
        (
            "Timing",
            {"fields": ["started_at", "finished_at", "duration_column", "deadline_column"]},
        ),
        ("Output", {"fields": ["stdout_column", "stderr_column"]}),
        ("Reporting", {"fields": ["client_run_id", "reported_by", "created_at", "updated_at"]}),
    ]
    readonly_fields = [
        "script",
        "host",
        "trigger",
        "status_column",
        "exit_code",
        "command_line",
        "fault_column",
        "started_at",
        "finished_at",
        "duration_column",
        "deadline_column",
        "stdout_column",
        "stderr_column",
        "client_run_id",
        "reported_by",
        "created_at",
        "updated_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*OUTPUT_FIELDS)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term.isdigit():  # a run id: use the primary key, not a text comparison
            return queryset.filter(pk=int(term)), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request):
        return False  # runs are reported by their wrappers

    def has_change_permission(self, request, obj=None):
        return False  # reported facts: view and delete only

    def changelist_view(self, request, extra_context=None):
        exec_runs_time_out()
        extra_context = {**(extra_context or {}), "script_health_url": self._health_url()}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        exec_runs_time_out()
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="status", ordering="status")
    def status_column(self, run):
        return status_badge(run.status)

    @admin.display(description="duration")
    def duration_column(self, run):
        return run_duration(run)

    @admin.display(description="fault")
    def fault_column(self, run):
        return fault_link(run)

    @admin.display(description="command")
    def command_line(self, run):
        args = run.args if isinstance(run.args, list) else [str(run.args)]
        return format_html("<code>{}</code>", shlex.join(str(a) for a in args) or "—")

    @admin.display(description="deadline")
    def deadline_column(self, run):
        seconds = run.timeout_seconds
        source = "declared" if seconds else "EXEC_DEFAULT_TIMEOUT_SECONDS"
        deadline = date_format(timezone.localtime(exec_run_deadline(run)), "DATETIME_FORMAT")
        return format_html("{} ({})", deadline, source)

    @admin.display(description="stdout")
    def stdout_column(self, run):
        return _output_block(run.stdout_tail, run.stdout_bytes)

    @admin.display(description="stderr")
    def stderr_column(self, run):
        return _output_block(run.stderr_tail, run.stderr_bytes)

    # --- Script health --------------------------------------------------------------------------

    def get_urls(self):
        urls = [
            path(
                "scripts/",
                self.admin_site.admin_view(self.script_health_view),
                name="runs_execlog_scripts",
            )
        ]
        return urls + super().get_urls()

    def _health_url(self) -> str:
        return reverse("admin:runs_execlog_scripts")

    def script_health_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            days = int(request.GET.get("days", 30))
        except ValueError:
            days = 30
        days = days if days in HEALTH_WINDOWS else 30
        exec_runs_time_out()
        changelist = reverse("admin:runs_execlog_changelist")
        rows = [
            {
                "stats": stats,
                "success_percent": None
                if stats.success_rate is None
                else round(stats.success_rate * 100, 1),
                "runs_url": f"{changelist}?{urlencode({'script': stats.script})}",
                "failed_url": changelist
                + "?"
                + urlencode({"script": stats.script, "status__exact": Status.FAILED}),
                "last_run_url": reverse("admin:runs_execlog_change", args=[stats.last_run_id]),
                "last_status": status_badge(stats.last_status),
                "p50": format_duration(stats.p50_duration_seconds),
                "p95": format_duration(stats.p95_duration_seconds),
            }
            for stats in exec_script_stats(days=days)
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Script health",
            "rows": rows,
            "days": days,
            "windows": HEALTH_WINDOWS,
            "changelist_url": changelist,
        }
        return TemplateResponse(request, "admin/runs/execlog/script_health.html", context)


def _output_block(text: str, total: int | None):
    kept = len(text.encode())
    note = ""
    if total and total > kept:
        note = format_html(
            '<p class="help">The last {} bytes of {} (the start was cut).</p>', kept, total
        )
    if not text:
        return format_html("{}<em>(empty)</em>", note)
    return format_html(
        '{}<pre class="fp-output">{}</pre>',  # styled by faultportal/admin.css (no inline CSS)
        note,
        text,
    )


class LatestRunsFormSet(BaseInlineFormSet):
    """Only the latest INLINE_RUNS runs of the fault: a fault retried by cron for weeks must not
    render thousands of rows."""

    def get_queryset(self):
        if not hasattr(self, "_latest_runs"):
            self._latest_runs = super().get_queryset()[:INLINE_RUNS]
        return self._latest_runs


class ExecRunInline(admin.TabularInline):
    """The runs linked to a fault, for FaultRecordAdmin.inlines."""

    model = ExecLog
    fk_name = "fault"
    formset = LatestRunsFormSet
    verbose_name = "script run"
    verbose_name_plural = f"script runs (latest {INLINE_RUNS})"
    fields = ["run_link", "script", "host", "status_column", "exit_code", "started_at", "duration"]
    readonly_fields = fields
    ordering = ["-started_at", "-id"]
    extra = 0
    max_num = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*OUTPUT_FIELDS)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="run")
    def run_link(self, run):
        url = reverse("admin:runs_execlog_change", args=[run.pk])
        return format_html('<a href="{}">#{}</a>', url, run.pk)

    @admin.display(description="status")
    def status_column(self, run):
        return status_badge(run.status)

    @admin.display(description="duration")
    def duration(self, run):
        return run_duration(run)


fault_admin_extend(inlines=[ExecRunInline])
