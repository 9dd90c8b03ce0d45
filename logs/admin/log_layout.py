"""The "Log layouts" admin page: the operator's own log4j layouts (table log_layouts).

A pattern is compiled when the form is saved (logs/layouts.py) and refused with the message that
names the part it cannot read. The preview page runs a pattern, saved or not, over the newest
lines no layout read, and shows what each would be stored as. A saved layout reaches ingestion
in every process within LOG_LAYOUTS_REFRESH_SECONDS (logs/layout_cache.py). Log text is hostile:
the templates only ever show it escaped.
"""

from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode

from logs.admin.links import system_logs_admin_url
from logs.layouts import Layout, LayoutError, LayoutRead, compile_layout
from logs.models import LogLayout
from logs.selectors import log_unreadable_by_host, system_log_unreadable_recent

# The preview reads the newest unreadable lines only: a bounded, index-ordered read.
PREVIEW_LINES = 200
PREVIEW_SCAN = 2000
PREVIEW_CHARS = 4096

# What preprocess_log reads without any row here (docs/layouts.md has them all, with lines).
BUILT_IN_LAYOUTS = [
    ("Hadoop's default, Cloudera Manager's roles, audit logs", "%d{ISO8601} %p %c: %m%n"),
    ("MapReduce / YARN containers, HBase, Hive", "%d{ISO8601} %p [%t] %c: %m%n"),
    ("HDP/Ambari", "%d{ISO8601} %-5p [%t] %c{2} (%F:%M(%L)) - %m%n"),
    ("Hadoop docker image, Oozie, Ambari server", "%d{yyyy-MM-dd HH:mm:ss} %-5p %c{1}:%L - %m%n"),
    ("Cloudera Manager server", "%d{ISO8601} %p %t:%c: %m%n"),
    ("Hadoop console", "%d{yy/MM/dd HH:mm:ss} %p %c{2}: %m%n"),
    ("ZooKeeper", "%d{ISO8601} [myid:%X{myid}] - %-5p [%t:%C{1}@%L] - %m%n"),
]


def _compiled(pattern: str) -> Layout:
    try:
        return compile_layout(pattern)
    except LayoutError as exc:
        raise forms.ValidationError(f"This pattern cannot be read: {exc}") from None


class LogLayoutForm(forms.ModelForm):
    class Meta:
        model = LogLayout
        fields = ["name", "pattern", "enabled", "position", "source"]
        widgets = {
            "pattern": forms.Textarea(attrs={"rows": 2, "cols": 100, "spellcheck": "false"}),
        }

    def clean_pattern(self):
        # Stored as read: a pasted `…ConversionPattern=` prefix is dropped.
        return _compiled(self.cleaned_data["pattern"]).pattern


class PreviewForm(forms.Form):
    pattern = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 100, "spellcheck": "false"}),
        help_text="A log4j ConversionPattern or log4j2 PatternLayout pattern; nothing is saved.",
    )

    def clean_pattern(self):
        return _compiled(self.cleaned_data["pattern"])


@dataclass(frozen=True)
class PreviewRow:
    line: object  # SystemLog with .line
    read: LayoutRead | None


@dataclass(frozen=True)
class Preview:
    pattern: str
    rows: list[PreviewRow]

    @property
    def read(self) -> int:
        return sum(1 for row in self.rows if row.read is not None)


def layout_preview(layout: Layout) -> Preview:
    zone = timezone.get_current_timezone_name()
    lines = system_log_unreadable_recent(
        limit=PREVIEW_LINES, scan=PREVIEW_SCAN, chars=PREVIEW_CHARS
    )
    rows = [PreviewRow(line, layout.read(line.line, zone)) for line in lines]
    rows.sort(key=lambda row: row.read is None)  # what it reads first, newest first in each
    return Preview(pattern=layout.pattern, rows=rows)


@admin.register(LogLayout)
class LogLayoutAdmin(admin.ModelAdmin):
    form = LogLayoutForm
    list_display = ["name", "pattern_code", "enabled", "position", "source", "updated_at"]
    list_editable = ["enabled", "position"]
    list_filter = ["enabled"]
    search_fields = ["name", "pattern"]
    readonly_fields = ["preview_link", "created_at", "updated_at"]
    fields = [
        "name",
        "pattern",
        "preview_link",
        "enabled",
        "position",
        "source",
        "created_at",
        "updated_at",
    ]

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [
            path("preview/", preview, name="logs_loglayout_preview"),
            *super().get_urls(),
        ]

    @admin.display(description="pattern", ordering="pattern")
    def pattern_code(self, obj):
        return format_html("<code>{}</code>", obj.pattern)

    @admin.display(description="Preview")
    def preview_link(self, obj):
        url = reverse("admin:logs_loglayout_preview")
        if obj is None or obj.pk is None:
            return format_html('<a href="{}">try a pattern on recent unreadable lines</a>', url)
        query = urlencode({"pattern": obj.pattern})
        return format_html('<a href="{}?{}">try on recent unreadable lines</a>', url, query)

    def changelist_view(self, request, extra_context=None):
        since = timezone.now() - timedelta(hours=24)
        extra = {
            "built_in_layouts": BUILT_IN_LAYOUTS,
            "preview_url": reverse("admin:logs_loglayout_preview"),
            "unreadable": [
                (host, lines, system_logs_admin_url(host=host, level="UNKNOWN"))
                for host, lines in log_unreadable_by_host(since=since)
            ],
        }
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def preview_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        preview = None
        if "pattern" in request.GET:
            form = PreviewForm(request.GET)
            if form.is_valid():
                preview = layout_preview(form.cleaned_data["pattern"])
        else:
            form = PreviewForm()
        add_url = None
        if preview is not None and self.has_add_permission(request):
            add_url = (
                reverse("admin:logs_loglayout_add") + "?" + urlencode({"pattern": preview.pattern})
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Try a log layout on recent unreadable lines",
            "form": form,
            "preview": preview,
            "add_url": add_url,
            "preview_lines": PREVIEW_LINES,
            "unknown_url": system_logs_admin_url(level="UNKNOWN"),
        }
        return TemplateResponse(request, "admin/logs/loglayout/preview.html", context)
