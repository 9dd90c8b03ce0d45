"""GET /api/incidents/ and GET /api/incidents/{id}/: incidents with their faults (scope read)."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from diagnosis import selectors
from diagnosis.models import Incident, Severity
from faultportal.api.permissions import ReadScope


class IncidentFilter(django_filters.FilterSet):
    """?status=open&status=acknowledged (merged ones are left out unless asked for)
    ?severity=critical  ?kind=peer  ?host=worker17  ?last_seen_after=…&last_seen_before=…"""

    status = django_filters.MultipleChoiceFilter(choices=Incident.Status.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    kind = django_filters.MultipleChoiceFilter(choices=Incident.Kind.choices)
    host = django_filters.CharFilter(method="_host", help_text="A host that logged it.")
    last_seen = django_filters.IsoDateTimeFromToRangeFilter()

    class Meta:
        model = Incident
        fields = ["status", "severity", "kind", "host", "last_seen"]

    def _host(self, queryset, name, value):
        return queryset.filter(faults__host=value).distinct()

    def filter_queryset(self, queryset):
        if not self.data.get("status"):
            queryset = queryset.exclude(status=Incident.Status.MERGED)
        return super().filter_queryset(queryset)


class IncidentSerializer(serializers.ModelSerializer):
    top_cause = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "title",
            "kind",
            "status",
            "severity",
            "subjects",
            "hosts",
            "components",
            "peers",
            "first_seen",
            "last_seen",
            "cause_fault",
            "merged_into",
            "top_cause",
            "diagnosed_at",
        ]

    def get_top_cause(self, incident) -> dict | None:
        causes = (incident.diagnosis or {}).get("probable_causes") or []
        if not causes:
            return None
        return {"title": causes[0]["title"], "confidence": causes[0]["confidence"]}


class IncidentFaultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    type = serializers.CharField(source="fault_type.code")
    severity = serializers.CharField()
    status = serializers.CharField()
    host = serializers.CharField()
    component = serializers.CharField()
    first_seen = serializers.DateTimeField()
    last_seen = serializers.DateTimeField()
    occurrences = serializers.IntegerField()
    is_symptom = serializers.BooleanField()
    entities = serializers.JSONField()


class IncidentDetailSerializer(IncidentSerializer):
    faults = serializers.SerializerMethodField()
    diagnosis = serializers.JSONField()

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "faults", "diagnosis"]

    def get_faults(self, incident) -> list[dict]:
        return IncidentFaultSerializer(self.context["faults"], many=True).data


class IncidentCursorPagination(CursorPagination):
    ordering = ("-last_seen", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class IncidentListView(generics.ListAPIView):
    permission_classes = [ReadScope]
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilter
    pagination_class = IncidentCursorPagination

    def get_queryset(self):
        return selectors.incident_list()


class IncidentDetailView(APIView):
    permission_classes = [ReadScope]

    @extend_schema(responses=IncidentDetailSerializer)
    def get(self, request, pk: int):
        try:
            detail = selectors.incident_detail(incident_id=pk)
        except Incident.DoesNotExist:
            raise NotFound(f"No incident with id {pk}.") from None
        data = IncidentDetailSerializer(detail.incident, context={"faults": detail.faults}).data
        return Response(data)
