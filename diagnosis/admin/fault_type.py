"""Fault types in the admin: the catalogue operators extend without a deploy.

Patterns are validated as regular expressions when the form is saved (the model's validators;
the form shows the line and the regex error). A preview page runs patterns against the newest
logs before they are saved. Saving, deleting, enabling or disabling a type reaches detection in
every process within FAULT_TYPES_REFRESH_SECONDS (diagnosis/catalogue.py).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from diagnosis.catalogue import LEVEL_RANKS
from diagnosis.models import FaultType, validate_patterns
from diagnosis.preview import (
    DEFAULT_SCAN_LINES,
    MAX_SCAN_LINES,
    PREVIEW_MAX_SECONDS,
    pattern_preview,
)

LEVEL_CHOICES = [(level, level) for level in LEVEL_RANKS]


class FaultTypeForm(forms.ModelForm):
    min_level = forms.ChoiceField(
        choices=LEVEL_CHOICES,
        initial="WARN",
        help_text="Lowest log level considered; some Hadoop signatures are logged at INFO.",
    )

    class Meta:
        model = FaultType
        fields = [
            "code",
            "name",
            "category",
            "default_severity",
            "enabled",
            "patterns",
            "component_pattern",
            "min_level",
            "grouping",
            "description",
            "cause",
            "remediation",
            "confirm_metrics",
            "runbook_script",
            "precursors",
        ]
        widgets = {"patterns": forms.Textarea(attrs={"rows": 6, "cols": 100})}


class PreviewForm(forms.Form):
    patterns = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "cols": 100}),
        validators=[validate_patterns],
        help_text="Regular expressions in RE2 syntax, one per line, as on the fault type.",
    )
    component_pattern = forms.CharField(required=False, validators=[validate_patterns])
    min_level = forms.ChoiceField(choices=LEVEL_CHOICES, initial="WARN")
    limit = forms.IntegerField(
        min_value=100,
        max_value=MAX_SCAN_LINES,
        initial=DEFAULT_SCAN_LINES,
        label="Newest lines to scan",
    )


@admin.register(FaultType)
class FaultTypeAdmin(admin.ModelAdmin):
    form = FaultTypeForm
    list_display = [
        "code",
        "name",
        "category",
        "default_severity",
        "min_level",
        "grouping",
        "enabled",
        "is_builtin",
        "preview_link",
    ]
    list_filter = ["category", "default_severity", "enabled", "is_builtin"]
    search_fields = ["code", "name"]
    readonly_fields = ["preview_link", "is_builtin", "created_at", "updated_at"]
    filter_horizontal = ["precursors"]
    actions = ["enable_types", "disable_types"]
    fieldsets = [
        (None, {"fields": ["code", "name", "category", "default_severity", "enabled"]}),
        (
            "Matching",
            {
                "fields": [
                    "patterns",
                    "component_pattern",
                    "min_level",
                    "grouping",
                    "preview_link",
                ]
            },
        ),
        (
            "For operators",
            {
                "fields": [
                    "description",
                    "cause",
                    "remediation",
                    "confirm_metrics",
                    "runbook_script",
                    "precursors",
                ]
            },
        ),
        ("Record", {"fields": ["is_builtin", "created_at", "updated_at"]}),
    ]

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [
            path("preview/", preview, name="diagnosis_faulttype_preview"),
            *super().get_urls(),
        ]

    @admin.display(description="Preview")
    def preview_link(self, obj):
        url = reverse("admin:diagnosis_faulttype_preview")
        if obj is None or obj.pk is None:
            return format_html('<a href="{}">try patterns on recent logs</a>', url)
        return format_html('<a href="{}?type={}">try on recent logs</a>', url, obj.pk)

    def preview_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        result = None
        if "patterns" in request.GET:
            form = PreviewForm(request.GET)
            if form.is_valid():
                result = pattern_preview(**form.cleaned_data)
        else:
            initial = {}
            fault_type = FaultType.objects.filter(pk=request.GET.get("type") or None).first()
            if fault_type is not None:
                initial = {
                    "patterns": fault_type.patterns,
                    "component_pattern": fault_type.component_pattern,
                    "min_level": fault_type.min_level,
                }
            form = PreviewForm(initial=initial)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Try fault-type patterns on recent logs",
            "form": form,
            "result": result,
            "max_seconds": PREVIEW_MAX_SECONDS,
        }
        return TemplateResponse(request, "admin/diagnosis/faulttype/preview.html", context)

    @admin.action(description="Enable selected fault types", permissions=["change"])
    def enable_types(self, request, queryset):
        self._set_enabled(request, queryset, True)

    @admin.action(
        description="Disable selected fault types (stop matching)", permissions=["change"]
    )
    def disable_types(self, request, queryset):
        self._set_enabled(request, queryset, False)

    def _set_enabled(self, request, queryset, enabled: bool):
        changed = 0
        for fault_type in queryset.filter(enabled=not enabled):
            fault_type.enabled = enabled
            fault_type.save(update_fields=["enabled", "updated_at"])  # signals + version bump
            changed += 1
        state = "enabled" if enabled else "disabled"
        self.message_user(request, f"{changed} fault type(s) {state}.", messages.SUCCESS)
