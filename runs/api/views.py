"""Execution-run API: wrappers report runs (ingest scope); operators and pages read them.

POST /api/exec/runs                 start a run            -> 201 (200 for a re-sent start)
POST /api/exec/runs/{id}/finish     record how it ended    -> 200 (409 for a different result)
GET  /api/exec/runs                 list, filtered, by cursor
GET  /api/exec/runs/{id}            one run with its output
GET  /api/exec/scripts              per-script success rate, last run, p50/p95 duration

Runs past their deadline are timed out here as well as by the `time_out_exec_runs` command, so
a list never shows a long-dead run as running even where cron does not run the sweep.
"""

from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import exceptions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from faultportal.api.permissions import IngestScope, ReadScope
from faultportal.api.schema import ErrorSerializer
from runs.api.filters import ExecRunFilter
from runs.api.serializers import (
    ExecRunFinishSerializer,
    ExecRunSerializer,
    ExecRunStartSerializer,
    ExecRunSummarySerializer,
    ScriptStatsSerializer,
)
from runs.models import ExecLog
from runs.selectors import exec_run_list, exec_script_stats
from runs.services import (
    ExecRunConflict,
    ExecRunError,
    exec_run_finish,
    exec_run_start,
    exec_runs_time_out,
)

TAG = "exec"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with what is already recorded."
    default_code = "conflict"


def _raise_for(error: ExecRunError):
    if isinstance(error, ExecRunConflict):
        raise Conflict(error.message)
    raise exceptions.ValidationError({error.field or "non_field_errors": [error.message]})


class ExecRunCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("-started_at", "-id")


START_EXAMPLE = OpenApiExample(
    "Cron job starting",
    request_only=True,
    value={
        "script": "hdfs-balancer",
        "args": ["hdfs", "balancer", "-threshold", "10"],
        "host": "nn01.hadoop.example.com",
        "trigger": "cron",
        "timeout_seconds": 7200,
        "client_run_id": "6f1c2a1e0b7d4c4f9a8e2d3b5c6a7f80",
    },
)
FINISH_EXAMPLE = OpenApiExample(
    "Failed with output",
    request_only=True,
    value={
        "exit_code": 2,
        "stdout": "Balancing took 12.5 minutes\n",
        "stderr": "java.io.IOException: Another Balancer is running.. Exiting ...\n",
        "stdout_bytes": 28,
        "stderr_bytes": 61,
        "finished_at": "2026-11-28T10:27:33Z",
        "duration_seconds": 753.2,
    },
)
CONFLICT_EXAMPLE = OpenApiExample(
    "A different result already recorded",
    response_only=True,
    status_codes=["409"],
    value={
        "status": 409,
        "code": "conflict",
        "detail": "Run 41 already finished as succeeded with exit code 0; "
        "this report says failed with exit code 1.",
    },
)
INVALID_FAULT_EXAMPLE = OpenApiExample(
    "Unknown fault",
    response_only=True,
    status_codes=["400"],
    value={
        "status": 400,
        "code": "invalid",
        "detail": "Invalid input.",
        "fields": {"fault": ["No fault with id 9999."]},
    },
)


class ExecRunCollectionView(GenericAPIView):
    parser_classes = [JSONParser]
    serializer_class = ExecRunSummarySerializer
    pagination_class = ExecRunCursorPagination
    filterset_class = ExecRunFilter

    def get_permissions(self):
        if self.request is not None and self.request.method == "POST":
            return [IngestScope()]
        return [ReadScope()]

    def get_queryset(self):
        return exec_run_list()

    @extend_schema(
        tags=[TAG],
        operation_id="exec_runs_list",
        summary="List script runs, newest first",
        description="Filter by script, host, status, trigger, fault or start time; page with "
        "the `next` / `previous` cursor URLs.",
        responses=ExecRunSummarySerializer(many=True),
    )
    def get(self, request):
        exec_runs_time_out()
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        tags=[TAG],
        operation_id="exec_runs_start",
        summary="Start a run (before the command runs)",
        description="Returns the run, whose `id` the finish report goes to. A start re-sent with "
        "the same `client_run_id` returns the run already recorded, with 200.",
        request=ExecRunStartSerializer,
        responses={
            201: ExecRunSerializer,
            200: OpenApiResponse(ExecRunSerializer, description="Re-sent start: the same run."),
            400: OpenApiResponse(ErrorSerializer, description="Invalid input, e.g. no such fault."),
            409: OpenApiResponse(
                ErrorSerializer, description="client_run_id already names another script's run."
            ),
        },
        examples=[START_EXAMPLE, INVALID_FAULT_EXAMPLE],
    )
    def post(self, request):
        serializer = ExecRunStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            run, created = exec_run_start(
                **serializer.validated_data, reported_by_id=getattr(request.auth, "id", None)
            )
        except ExecRunError as error:
            _raise_for(error)
        return Response(
            ExecRunSerializer(run).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={"Location": reverse("exec-run-detail", args=[run.pk])},
        )


class ExecRunDetailView(APIView):
    permission_classes = [ReadScope]

    @extend_schema(
        tags=[TAG],
        operation_id="exec_runs_retrieve",
        summary="One run with the end of its output",
        responses=ExecRunSerializer,
    )
    def get(self, request, pk: int):
        exec_runs_time_out()
        run = ExecLog.objects.filter(pk=pk).first()
        if run is None:
            raise exceptions.NotFound(f"No run with id {pk}.")
        return Response(ExecRunSerializer(run).data)


class ExecRunFinishView(APIView):
    parser_classes = [JSONParser]
    permission_classes = [IngestScope]

    @extend_schema(
        tags=[TAG],
        operation_id="exec_runs_finish",
        summary="Record how a run ended (after the command)",
        description="Output is capped to its last EXEC_OUTPUT_TAIL_BYTES bytes. The same report "
        "sent again returns 200 and changes nothing; a different result is a 409. A run the "
        "portal timed out for lack of a report still takes its late report.",
        request=ExecRunFinishSerializer,
        responses={
            200: ExecRunSerializer,
            409: OpenApiResponse(ErrorSerializer, description="A different result is recorded."),
        },
        examples=[FINISH_EXAMPLE, CONFLICT_EXAMPLE],
    )
    def post(self, request, pk: int):
        serializer = ExecRunFinishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            run, _ = exec_run_finish(run_id=pk, report=serializer.to_report())
        except ExecLog.DoesNotExist:
            raise exceptions.NotFound(f"No run with id {pk}.") from None
        except ExecRunError as error:
            _raise_for(error)
        return Response(ExecRunSerializer(run).data)


class StatsQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(
        min_value=1, max_value=366, default=30, help_text="Window in days (default 30)."
    )


class ExecScriptStatsView(APIView):
    permission_classes = [ReadScope]

    @extend_schema(
        tags=[TAG],
        operation_id="exec_scripts_stats",
        summary="Health of each script: success rate, last run, p50/p95 duration",
        description="Over the runs started in the last `days` days, least successful first.",
        parameters=[StatsQuerySerializer],
        responses=ScriptStatsSerializer(many=True),
    )
    def get(self, request):
        query = StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        exec_runs_time_out()
        stats = exec_script_stats(days=query.validated_data["days"])
        return Response(ScriptStatsSerializer(stats, many=True).data)
