"""GET /api/faults/, GET /api/faults/{id}/, POST /api/faults/{id}/{action}: thin views over
diagnosis.selectors and diagnosis.services."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from diagnosis import selectors, services
from diagnosis.api.filters import FaultFilter
from diagnosis.api.serializers import FaultDetailSerializer, FaultSerializer, TransitionSerializer
from diagnosis.models import FaultEvent, FaultRecord
from faultportal.api.errors import error_body
from faultportal.api.permissions import DiagnoseScope, ReadScope, actor_name
from faultportal.api.schema import ErrorSerializer

Action = FaultEvent.Action
TRANSITIONS = {
    "acknowledge": Action.ACKNOWLEDGED,
    "resolve": Action.RESOLVED,
    "ignore": Action.IGNORED,
    "reopen": Action.REOPENED,
}


def _detail_data(detail: selectors.FaultDetail) -> dict:
    return FaultDetailSerializer(detail.fault, context={"detail": detail}).data


def _no_such_fault(pk) -> NotFound:
    return NotFound(f"No fault with id {pk}.")


class FaultCursorPagination(CursorPagination):
    # Newest activity first; the id breaks ties so the order is total. A fault that recurs while
    # a client pages moves to the top, as in any list sorted by activity.
    ordering = ("-last_seen", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class FaultListView(generics.ListAPIView):
    permission_classes = [ReadScope]
    serializer_class = FaultSerializer
    filterset_class = FaultFilter
    pagination_class = FaultCursorPagination

    def get_queryset(self):
        return selectors.fault_list()


class FaultDetailView(APIView):
    permission_classes = [ReadScope]

    @extend_schema(responses=FaultDetailSerializer)
    def get(self, request, pk: int):
        try:
            detail = selectors.fault_detail(fault_id=pk)
        except FaultRecord.DoesNotExist:
            raise _no_such_fault(pk) from None
        return Response(_detail_data(detail))


class FaultTransitionView(APIView):
    """Acknowledge, resolve, ignore or reopen a fault; optional JSON body {"note": "…"}."""

    permission_classes = [DiagnoseScope]

    @extend_schema(
        request=TransitionSerializer,
        parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(TRANSITIONS))],
        responses={
            200: FaultDetailSerializer,
            409: OpenApiResponse(
                ErrorSerializer,
                description="Not allowed from the fault's current status (given as "
                "`fault_status`).",
            ),
        },
    )
    def post(self, request, pk: int, action: str):
        body = TransitionSerializer(data=request.data if isinstance(request.data, dict) else {})
        body.is_valid(raise_exception=True)
        try:
            fault = selectors.fault_get(fault_id=pk)
        except FaultRecord.DoesNotExist:
            raise _no_such_fault(pk) from None
        try:
            services.fault_transition(
                fault=fault,
                action=TRANSITIONS[action],
                actor=actor_name(request),
                note=body.validated_data["note"],
            )
        except services.FaultTransitionError as exc:
            conflict = error_body(
                status.HTTP_409_CONFLICT, "transition_not_allowed", exc.messages[0]
            )
            fault.refresh_from_db(fields=["status"])
            conflict["fault_status"] = fault.status
            return Response(conflict, status=status.HTTP_409_CONFLICT)
        return Response(_detail_data(selectors.fault_detail(fault_id=pk)))
