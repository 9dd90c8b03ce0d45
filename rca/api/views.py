"""POST /api/llm/diagnose: diagnose a fault (stored in its history) or a pasted excerpt."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from diagnosis.models import FaultRecord, Incident
from faultportal.api.errors import PayloadTooLarge
from faultportal.api.permissions import DiagnoseScope, actor_name
from rca.api.serializers import DiagnoseRequestSerializer
from rca.api.throttles import DiagnoseRateThrottle
from rca.run import fault_diagnose, incident_diagnose, log_excerpt_diagnose

# JSON escaping can make a text up to six times longer (\u0001); beyond that the body cannot
# hold an acceptable log_text, so it is refused before it is read.
BODY_OVERHEAD_FACTOR = 6


def _refuse_oversized_body(request) -> None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    limit = settings.DIAGNOSE_MAX_LOG_TEXT_BYTES * BODY_OVERHEAD_FACTOR + 4096
    if length > limit:
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")


class DiagnoseView(APIView):
    permission_classes = [DiagnoseScope]
    throttle_classes = [DiagnoseRateThrottle]
    throttle_scope = "diagnose"

    @extend_schema(
        request=DiagnoseRequestSerializer,
        responses={200: OpenApiTypes.OBJECT},
        description="Probable causes with confidence, the evidence used, remediation steps and "
        "the runbook script, from the rule engine or the configured LLM. For a fault the "
        "answer is stored (history in `diagnoses`, latest on the fault).",
    )
    def post(self, request):
        _refuse_oversized_body(request)
        serializer = DiagnoseRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        use_llm = data["engine"] == "auto"
        actor = actor_name(request)
        if "incident_id" in data:
            incident = Incident.objects.filter(pk=data["incident_id"]).first()
            if incident is None:
                raise NotFound(f"No incident with id {data['incident_id']}.")
            diagnosis = incident_diagnose(incident=incident, actor=actor, use_llm=False)
        elif "fault_id" in data:
            fault = FaultRecord.objects.select_related("fault_type").filter(pk=data["fault_id"])
            fault = fault.first()
            if fault is None:
                raise NotFound(f"No fault with id {data['fault_id']}.")
            diagnosis = fault_diagnose(fault=fault, actor=actor, use_llm=use_llm)
        else:
            diagnosis = log_excerpt_diagnose(
                log_text=data["log_text"], host=data["host"], actor=actor, use_llm=use_llm
            )
        return Response({"diagnosis_id": diagnosis.pk, **diagnosis.result})
