"""GET/POST /api/silences, GET/DELETE /api/silences/{id}: silences over HTTP (scope diagnose).

Thin views over oncall.silences. DELETE expires a silence (it stays listed, for the record of
what it held); DELETE …?purge=true removes it.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from diagnosis.models import FaultRecord, Incident, Severity
from faultportal.api.permissions import DiagnoseScope, actor_name
from oncall import silences
from oncall.models import Silence

STATES = ["active", "pending", "expired", "all"]
MAX_COMMENT = 2000
MAX_HOURS = 366 * 24


class SilenceSerializer(serializers.ModelSerializer):
    fault_type = serializers.CharField(source="fault_type_code")
    state = serializers.SerializerMethodField()

    class Meta:
        model = Silence
        fields = [
            "id",
            "state",
            "host_glob",
            "fault_type",
            "severity",
            "incident",
            "starts_at",
            "ends_at",
            "author",
            "comment",
            "created_at",
            "updated_at",
        ]

    def get_state(self, silence) -> str:
        """pending (not started), active, or expired."""
        return silence.state(self.context["now"])


class SilenceCreateSerializer(serializers.Serializer):
    """Matchers (at least one; all must match), when, and why. `fault` silences that fault's
    type on its host, as the fault page's "silence 2 h" does."""

    host_glob = serializers.CharField(
        required=False, allow_blank=True, max_length=255, default="", help_text="e.g. dn*"
    )
    fault_type = serializers.CharField(
        required=False, allow_blank=True, max_length=64, default="", help_text="A type code."
    )
    severity = serializers.ChoiceField(choices=["", *Severity.values], required=False, default="")
    incident = serializers.IntegerField(required=False, allow_null=True, default=None)
    fault = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Silence this fault's type on its host (no other matcher with it).",
    )
    starts_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    ends_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    hours = serializers.FloatField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1 / 60,
        max_value=MAX_HOURS,
        help_text="Duration from starts_at (default now), instead of ends_at.",
    )
    comment = serializers.CharField(max_length=MAX_COMMENT)

    def validate(self, data):
        if (data["ends_at"] is None) == (data["hours"] is None):
            raise ValidationError({"ends_at": ["Give either ends_at or hours."]})
        if data["fault"] is not None and (
            data["host_glob"] or data["fault_type"] or data["severity"] or data["incident"]
        ):
            raise ValidationError({"fault": ["A fault silence takes no other matcher."]})
        return data


def _django_errors(exc: DjangoValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        renamed = {"fault_type_code": "fault_type", "__all__": "non_field_errors"}
        return ValidationError(
            {renamed.get(field, field): messages for field, messages in exc.message_dict.items()}
        )
    return ValidationError({"non_field_errors": exc.messages})


class SilenceCursorPagination(CursorPagination):
    ordering = ("-ends_at", "-id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


class SilenceListView(generics.ListAPIView):
    permission_classes = [DiagnoseScope]
    serializer_class = SilenceSerializer
    pagination_class = SilenceCursorPagination

    def _state(self) -> str:
        state = self.request.query_params.get("state", "")
        if state and state not in STATES:
            raise ValidationError({"state": [f"One of {', '.join(STATES)}."]})
        return state

    def initial(self, request, *args, **kwargs):
        self._now = timezone.now()
        super().initial(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the view
            return Silence.objects.none()
        state = self._state()
        queryset = silences.silence_list(state="" if state == "all" else state, now=self._now)
        if not state:  # what is in force or to come
            queryset = queryset.filter(ends_at__gt=self._now)
        return queryset

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": self._now}

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "state",
                str,
                enum=STATES,
                description="Default: active and pending (not expired).",
            )
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=SilenceCreateSerializer,
        responses={201: SilenceSerializer},
        examples=[
            OpenApiExample(
                "DataNodes restarted",
                value={
                    "host_glob": "dn*.prod",
                    "fault_type": "datanode_dead",
                    "hours": 2,
                    "comment": "Rolling DataNode restart, CHG-1234",
                },
                request_only=True,
            ),
            OpenApiExample(
                "One fault, as its page's button",
                value={"fault": 42, "hours": 2, "comment": "Looking into it"},
                request_only=True,
            ),
        ],
    )
    def post(self, request):
        body = SilenceCreateSerializer(data=request.data if isinstance(request.data, dict) else {})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        duration = timedelta(hours=data["hours"]) if data["hours"] is not None else None
        author = actor_name(request)
        try:
            if data["fault"] is not None:
                fault = FaultRecord.objects.select_related("fault_type").filter(pk=data["fault"])
                fault = fault.first()
                if fault is None:
                    raise ValidationError({"fault": [f"No fault with id {data['fault']}."]})
                if duration is None:
                    duration = data["ends_at"] - (data["starts_at"] or timezone.now())
                silence = silences.silence_for_fault(
                    fault=fault, duration=duration, author=author, comment=data["comment"]
                )
            else:
                incident = None
                if data["incident"] is not None:
                    incident = Incident.objects.filter(pk=data["incident"]).first()
                    if incident is None:
                        raise ValidationError(
                            {"incident": [f"No incident with id {data['incident']}."]}
                        )
                silence = silences.silence_create(
                    author=author,
                    comment=data["comment"],
                    host_glob=data["host_glob"],
                    fault_type_code=data["fault_type"],
                    severity=data["severity"],
                    incident=incident,
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    duration=duration,
                )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        data = SilenceSerializer(silence, context={"now": timezone.now()}).data
        return Response(data, status=status.HTTP_201_CREATED)


class SilenceDetailView(APIView):
    permission_classes = [DiagnoseScope]

    def _get(self, pk: int) -> Silence:
        try:
            return silences.silence_get(silence_id=pk)
        except Silence.DoesNotExist:
            raise NotFound(f"No silence with id {pk}.") from None

    @extend_schema(responses=SilenceSerializer)
    def get(self, request, pk: int):
        return Response(SilenceSerializer(self._get(pk), context={"now": timezone.now()}).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "purge",
                bool,
                description="true: remove the silence instead of expiring it.",
            )
        ],
        responses={200: SilenceSerializer, 204: None},
    )
    def delete(self, request, pk: int):
        """Expire the silence now (it stays listed as expired); ?purge=true deletes it."""
        silence = self._get(pk)
        purge = request.query_params.get("purge", "").lower()
        if purge not in ("", "true", "false", "1", "0"):
            raise ValidationError({"purge": ["true or false."]})
        if purge in ("true", "1"):
            silences.silence_delete(silence=silence)
            return Response(status=status.HTTP_204_NO_CONTENT)
        silence = silences.silence_expire(silence=silence)
        return Response(SilenceSerializer(silence, context={"now": timezone.now()}).data)
