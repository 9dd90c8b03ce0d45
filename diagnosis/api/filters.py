"""Query parameters of GET /api/faults/."""

import django_filters

from diagnosis.models import FaultRecord, Severity


class _CodeInFilter(django_filters.BaseInFilter, django_filters.CharFilter):
    pass


class FaultFilter(django_filters.FilterSet):
    """?status=open&status=acknowledged  ?severity=critical  ?type=namenode_safemode,jvm_long_pause
    ?host=dn01.example.com  ?last_seen_after=…&last_seen_before=…  (ISO 8601; also first_seen_…)
    """

    status = django_filters.MultipleChoiceFilter(choices=FaultRecord.Status.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    type = _CodeInFilter(
        field_name="fault_type__code", help_text="Fault type codes, comma-separated."
    )
    host = django_filters.CharFilter(field_name="host")
    last_seen = django_filters.IsoDateTimeFromToRangeFilter()
    first_seen = django_filters.IsoDateTimeFromToRangeFilter()

    class Meta:
        model = FaultRecord
        fields = ["status", "severity", "type", "host", "last_seen", "first_seen"]
