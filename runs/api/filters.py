"""Query filters of GET /api/exec/runs; each one is served by an exec_logs index."""

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from runs.models import ExecLog


@extend_schema_field(OpenApiTypes.INT64)
class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField  # ids are integers, not decimals


class ExecRunFilter(django_filters.FilterSet):
    script = django_filters.CharFilter(help_text="Exact script name.")
    host = django_filters.CharFilter(help_text="Exact host name.")
    status = django_filters.ChoiceFilter(choices=ExecLog.Status.choices)
    trigger = django_filters.ChoiceFilter(choices=ExecLog.Trigger.choices)
    fault = IdFilter(
        field_name="fault_id",
        min_value=1,
        max_value=2**63 - 1,
        help_text="Runs linked to this fault id.",
    )
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = ExecLog
        fields = ["script", "host", "status", "trigger", "fault", "started_after", "started_before"]
