"""POST /api/llm/diagnose: diagnose a fault, an incident or a pasted excerpt.
GET /api/diagnoses/{id}: one stored diagnosis, the URL a queued LLM diagnosis is polled at.

The rules answer at once (200). With the LLM engine the request only queues the work (202, the
poll URL in `url` and in Location): the model runs in the background worker
(`manage.py notify`), so no gunicorn thread ever waits for it.
"""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from diagnosis.models import Diagnosis, FaultRecord, Incident
from faultportal.api.errors import PayloadTooLarge
from faultportal.api.permissions import DiagnoseScope, actor_name
from rca.api.serializers import DiagnoseRequestSerializer
from rca.api.throttles import DiagnoseRateThrottle
from rca.llm import llm_enabled
from rca.run import diagnosis_queue, fault_diagnose, incident_diagnose, log_excerpt_diagnose

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


def diagnosis_url(diagnosis: Diagnosis) -> str:
    return reverse("diagnosis-detail", kwargs={"pk": diagnosis.pk})


def diagnosis_body(diagnosis: Diagnosis) -> dict:
    """What the POST (200) and the poll answer: the row's state and, once done, its result."""
    body = {
        "diagnosis_id": diagnosis.pk,
        "state": diagnosis.state,
        "url": diagnosis_url(diagnosis),
        "fault_id": diagnosis.fault_id,
        "incident_id": diagnosis.incident_id,
        "created_at": diagnosis.created_at.isoformat(),
    }
    if diagnosis.state == Diagnosis.State.FAILED:
        body["error"] = diagnosis.error
    if diagnosis.state == Diagnosis.State.PENDING:
        body["engine"] = diagnosis.engine
    return {**body, **(diagnosis.result or {})}


_SUBJECT = {
    "diagnosis_id": 41,
    "url": "/api/diagnoses/41",
    "fault_id": None,
    "incident_id": 7,
    "created_at": "2026-12-02T18:05:12+00:00",
}


class DiagnoseView(APIView):
    permission_classes = [DiagnoseScope]
    throttle_classes = [DiagnoseRateThrottle]
    throttle_scope = "diagnose"

    @extend_schema(
        request=DiagnoseRequestSerializer,
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="The rule engine's answer (engine `rules`, or no LLM configured): "
                "`state` done, probable causes with confidence, the evidence, remediation.",
            ),
            202: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="With the LLM engine: queued for the background worker "
                "(`manage.py notify`). Poll `url` (also the Location header), "
                "GET /api/diagnoses/{id}, until `state` is `done` (the result) or `failed`.",
                examples=[
                    OpenApiExample(
                        "queued", value={**_SUBJECT, "state": "pending", "engine": "llm"}
                    )
                ],
            ),
        },
        description="Diagnose one subject: `fault_id`, `incident_id` or `log_text` (with "
        "`host`). `engine: rules` (or no LLM configured) answers at once, 200; `engine: auto` "
        "with an LLM configured answers 202 and the LLM runs in the background worker. Every "
        "answer is stored in `diagnoses`; a fault's or incident's latest is kept on it.",
    )
    def post(self, request):
        _refuse_oversized_body(request)
        serializer = DiagnoseRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        queue = data["engine"] == "auto" and llm_enabled()
        actor = actor_name(request)
        subject = {}
        if "incident_id" in data:
            incident = Incident.objects.filter(pk=data["incident_id"]).first()
            if incident is None:
                raise NotFound(f"No incident with id {data['incident_id']}.")
            subject["incident"] = incident
        elif "fault_id" in data:
            fault = FaultRecord.objects.select_related("fault_type").filter(pk=data["fault_id"])
            fault = fault.first()
            if fault is None:
                raise NotFound(f"No fault with id {data['fault_id']}.")
            subject["fault"] = fault
        else:
            subject = {"log_text": data["log_text"], "host": data["host"]}
        if queue:
            diagnosis = diagnosis_queue(actor=actor, **subject)
            response = Response(diagnosis_body(diagnosis), status=202)
            response["Location"] = diagnosis_url(diagnosis)
            return response
        if "incident" in subject:
            diagnosis = incident_diagnose(incident=subject["incident"], actor=actor)
        elif "fault" in subject:
            diagnosis = fault_diagnose(fault=subject["fault"], actor=actor)
        else:
            diagnosis = log_excerpt_diagnose(actor=actor, **subject)
        return Response(diagnosis_body(diagnosis))


class DiagnosisDetailView(APIView):
    permission_classes = [DiagnoseScope]

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        description="One stored diagnosis: `state` pending (waiting for the background worker), "
        "done (with the result: engine, probable causes, evidence, remediation) or failed "
        "(`error` says why). The URL POST /api/llm/diagnose answers 202 with.",
    )
    def get(self, request, pk: int):
        diagnosis = Diagnosis.objects.filter(pk=pk).first()
        if diagnosis is None:
            raise NotFound(f"No diagnosis with id {pk}.")
        return Response(diagnosis_body(diagnosis))
