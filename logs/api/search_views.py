"""Log search API (scope `read`): docs/search.md.

GET /api/logs                      lines matching a query and filters, newest first, by cursor
GET /api/logs?tail_after=ID        lines newer than ID that match, oldest first (live tail)
GET /api/logs/{id}/context         the lines around one line on its host and stream
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from faultportal.api.permissions import ReadScope
from logs.models import SystemLog
from logs.search_params import (
    LEVEL_CHOICES,
    SearchParamsError,
    encode_cursor,
    parse_search_params,
)
from logs.selectors import (
    CONTEXT_MAX,
    SEARCH_FIELDS,
    SEARCH_MAX_LIMIT,
    SearchTooSlow,
    system_log_context,
    system_log_search,
    system_log_tail,
)

TAG = "logs"


class SearchTimeout(exceptions.APIException):
    status_code = 503
    default_detail = (
        "The search took too long and was stopped: add a longer word, a host or a shorter range."
    )
    default_code = "search_timeout"


# Its own schema name: the fault API's LogLineSerializer is another shape ("LogLine").
@extend_schema_serializer(component_name="SearchLogLine")
class LogLineSerializer(serializers.ModelSerializer):
    """One stored line: the event (message) with its trace (the stack-trace lines that came
    with it), as received; the text is data, never markup."""

    class Meta:
        model = SystemLog
        fields = list(SEARCH_FIELDS)
        read_only_fields = fields


SEARCH_PARAMETERS = [
    OpenApiParameter(
        "q",
        str,
        description='Terms (all must match, in message or trace), "phrases", prefix* and '
        "-exclusions; case-insensitive, each term at word boundaries. Ids like "
        "blk_-1073741825_1001, container_e17_…, IPs and dotted class names are one term.",
    ),
    OpenApiParameter("host", str, description="Exact host, or a glob: dn0*, dn?1."),
    OpenApiParameter("level", str, enum=LEVEL_CHOICES, description="This level or more severe."),
    OpenApiParameter("logtype", str, description="Exact log type (hadoop, hdfs, yarn, …)."),
    OpenApiParameter("source_file", str, description="Exact path on the node, or a glob."),
    OpenApiParameter(
        "since", str, description="Range ending now (or at `to`): 15m, 1h, 24h, 7d. Default 24h."
    ),
    OpenApiParameter("from", OpenApiTypes.DATETIME, description="Range start (instead of since)."),
    OpenApiParameter("to", OpenApiTypes.DATETIME, description="Range end (exclusive)."),
    OpenApiParameter("cursor", str, description="`next_cursor` of the previous page."),
    OpenApiParameter("limit", int, description=f"Lines per page, 1–{SEARCH_MAX_LIMIT} (50)."),
    OpenApiParameter(
        "tail_after",
        int,
        description="Live tail: the lines newer than this id that match, oldest first; poll "
        "again with the `tail_after` of the answer.",
    ),
]


def _bad_request(error: SearchParamsError):
    raise exceptions.ValidationError({name: [message] for name, message in error.fields.items()})


class LogSearchView(APIView):
    permission_classes = [ReadScope]

    @extend_schema(
        tags=[TAG],
        operation_id="logs_search",
        summary="Search log lines (full text and filters), newest first",
        description="Lines whose message or trace holds every term, within the filters, newest "
        "first by log time. Never counted: follow `next_cursor` until it is null. Lines stored "
        "after the first page never shift later pages. `partial` is true when a search the index "
        "cannot narrow (only short words, or the index is off) stopped in its time budget: the "
        "page may be short, and `next_cursor` continues the scan.",
        parameters=SEARCH_PARAMETERS,
        responses=inline_serializer(
            "LogSearchPage",
            {
                "lines": LogLineSerializer(many=True),
                "next_cursor": serializers.CharField(allow_null=True),
                "partial": serializers.BooleanField(),
                "tail_after": serializers.IntegerField(required=False),
            },
        ),
    )
    def get(self, request):
        try:
            params = parse_search_params(request.query_params)
        except SearchParamsError as error:
            _bad_request(error)
        tail_after = request.query_params.get("tail_after")
        if tail_after is not None:
            if not tail_after.isdigit() or len(tail_after) > 19:
                _bad_request(SearchParamsError({"tail_after": "A line id (a whole number)."}))
            rows, next_after = system_log_tail(
                filters=params.filters, after_id=int(tail_after), limit=params.limit
            )
            return Response(
                {
                    "lines": LogLineSerializer(rows, many=True).data,
                    "next_cursor": None,
                    "partial": False,
                    "tail_after": next_after,
                }
            )
        try:
            page = system_log_search(
                filters=params.filters, after=params.cursor, limit=params.limit
            )
        except SearchTooSlow:
            raise SearchTimeout() from None
        return Response(
            {
                "lines": LogLineSerializer(page.lines, many=True).data,
                "next_cursor": encode_cursor(page.next) if page.next else None,
                "partial": page.partial,
            }
        )


class ContextQuerySerializer(serializers.Serializer):
    before = serializers.IntegerField(min_value=0, max_value=CONTEXT_MAX, default=50)
    after = serializers.IntegerField(min_value=0, max_value=CONTEXT_MAX, default=50)


class LogContextView(APIView):
    permission_classes = [ReadScope]

    @extend_schema(
        tags=[TAG],
        operation_id="logs_context",
        summary="The lines around one line on its host and stream",
        description="Up to `before` lines before and `after` lines after the line, from the same "
        "host, log type and source file, in log-time order (oldest first).",
        parameters=[ContextQuerySerializer],
        responses=inline_serializer(
            "LogContext",
            {
                "line": LogLineSerializer(),
                "before": LogLineSerializer(many=True),
                "after": LogLineSerializer(many=True),
            },
        ),
    )
    def get(self, request, pk: int):
        query = ContextQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        line = SystemLog.objects.only(*SEARCH_FIELDS).filter(pk=pk).first()
        if line is None:
            raise exceptions.NotFound(f"No line with id {pk} (it may have been pruned).")
        before, after = system_log_context(
            line=line, before=query.validated_data["before"], after=query.validated_data["after"]
        )
        return Response(
            {
                "line": LogLineSerializer(line).data,
                "before": LogLineSerializer(before, many=True).data,
                "after": LogLineSerializer(after, many=True).data,
            }
        )
