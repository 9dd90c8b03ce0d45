"""POST /api/log/auto-upload: log lines from Flume's HTTP sink and other senders.

Built to the sink's contract (docs/ingestion.md): 2xx only after the commit; a permanently bad
request gets a 4xx with a JSON body (the agent drops it); a database outage gets 503 with a
body and Retry-After (the agent keeps the line and retries). Never an empty error body.
"""

import json
import logging
import time

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.views import APIView

from faultportal.api.authentication import ApiTokenAuthentication
from faultportal.api.errors import PayloadTooLarge, UnprocessableEntity
from faultportal.api.permissions import IngestScope
from logs.api.parsers import (
    ACCEPTED_TYPES_HINT,
    FlumeEventsParser,
    PlainTextParser,
    RequestBody,
    UnlabelledBodyParser,
)
from logs.hostnames import host_name_problem
from logs.ingestion import (
    HOST_MAX,
    LOGTYPE_MAX,
    SOURCE_FILE_MAX,
    InvalidBody,
    Limits,
    Origin,
    TooManyLines,
    batch_from_flume_json,
    batch_from_text,
    clean_text,
    clip,
    is_unresolved_variable,
)
from logs.layout_cache import log_layouts_current
from logs.services import IdempotencyKeyReused, body_digest, system_logs_ingest
from logs.throttling import IngestRateThrottle

logger = logging.getLogger(__name__)

DEFAULT_LOGTYPE = "hadoop"
IDEMPOTENCY_KEY_MAX = 255
# A partly invalid batch's answer names at most this many refused events (all are counted).
MAX_REFUSED_LISTED = 100
# A misconfigured agent repeats its mistake on every request: say so in the log at most this
# often per token and problem, not once per line.
WARNING_INTERVAL_SECONDS = 600
_last_warned: dict[tuple, float] = {}


class LengthRequired(APIException):
    status_code = status.HTTP_411_LENGTH_REQUIRED
    default_detail = "Send the body with a Content-Length header (chunked bodies are not read)."
    default_code = "length_required"


def _warn_rarely(token_id: int, message: str) -> None:
    now = time.monotonic()
    key = (token_id, message)
    if now - _last_warned.get(key, -WARNING_INTERVAL_SECONDS) >= WARNING_INTERVAL_SECONDS:
        if len(_last_warned) > 1000:
            _last_warned.clear()
        _last_warned[key] = now
        logger.warning("ingest token %s: %s", token_id, message)


def _query_value(params, name: str, length: int) -> str:
    return clip(clean_text(params.get(name, "").strip())[0], length)


def request_origin(request) -> tuple[Origin, list[str]]:
    """host / logtype / file from the query string; the peer address stands in for the host.

    Flume leaves `${env:FLUME_HOST}` as written when the variable is not exported. Refusing
    it would make the agent drop every line over a config mistake, so the line is stored
    under the peer address and the response (and the portal's log) says why.
    """
    params = request._request.GET
    peer = request._request.META.get("REMOTE_ADDR") or "unknown"
    warnings = []
    host = _query_value(params, "host", HOST_MAX)
    if is_unresolved_variable(host):
        warnings.append(
            f"host={host!r} is an unresolved agent variable; lines are stored under the "
            f"sender's address {peer}. Export the variable on the agent (flume-env.sh)."
        )
        host = ""
    elif host and (problem := host_name_problem(host)):
        # Permanent: the sender must fix its URL (docs/ingestion.md, "Host names").
        raise ParseError(f"{problem}; fix the host= of the sink's URL.", code="invalid_host")
    logtype = _query_value(params, "logtype", LOGTYPE_MAX)
    if is_unresolved_variable(logtype):
        warnings.append(
            f"logtype={logtype!r} is an unresolved agent variable; "
            f"lines are stored as logtype {DEFAULT_LOGTYPE!r}."
        )
        logtype = ""
    origin = Origin(
        host=host or clip(peer, HOST_MAX),
        logtype=logtype or DEFAULT_LOGTYPE,
        source_file=_query_value(params, "file", SOURCE_FILE_MAX),
    )
    return origin, warnings


def idempotency_key(request) -> str | None:
    key = request._request.META.get("HTTP_IDEMPOTENCY_KEY", "").strip()
    if not key:
        return None
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise ParseError(f"The Idempotency-Key header is longer than {IDEMPOTENCY_KEY_MAX}.")
    return key


class LogUploadView(APIView):
    # Token only: no session lookup (and so no CSRF) on the portal's busiest endpoint.
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IngestScope]
    throttle_classes = [IngestRateThrottle]
    parser_classes = [PlainTextParser, FlumeEventsParser, UnlabelledBodyParser]

    @property
    def default_response_headers(self):
        # What DRF would compute per request for a POST-only view with one renderer.
        return {"Allow": "POST, OPTIONS"}

    def perform_content_negotiation(self, request, force=False):
        # The answer is JSON whatever Accept says (Flume sends Accept: text/plain, and a 406
        # would drop the line): skip the negotiation, which builds and discards a
        # NotAcceptable for every such request.
        renderer = self.get_renderers()[0]
        return renderer, renderer.media_type

    @extend_schema(
        summary="Ingest log lines (Flume HTTP sink, batches, Flume JSON events)",
        description=(
            "Body: one raw log line as text/plain (Flume's HTTP sink), newline-separated lines, "
            'or a JSON array of Flume events [{"headers": {"host", "logtype", "file"}, '
            '"body": "<line>"}]. 200 only after the lines are committed. '
            "An Idempotency-Key header makes a retried request count once. See docs/ingestion.md."
        ),
        parameters=[
            OpenApiParameter("host", str, description="Node name; default the sender's address."),
            OpenApiParameter("logtype", str, description=f"Default {DEFAULT_LOGTYPE!r}."),
            OpenApiParameter("file", str, description="Source file path on the node."),
            OpenApiParameter(
                "token",
                str,
                description="API token with the ingest scope, for Flume's HTTP sink (it cannot "
                "send headers); other senders should use the Authorization header.",
            ),
            OpenApiParameter("Idempotency-Key", str, location=OpenApiParameter.HEADER),
        ],
        request={"text/plain": OpenApiTypes.STR, "application/json": OpenApiTypes.OBJECT},
        responses={200: OpenApiTypes.OBJECT},
    )
    def post(self, request):
        body = request.data
        if not isinstance(body, RequestBody):
            if "chunked" in request._request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
                raise LengthRequired()
            raise ParseError(f"The body is empty: nothing to store. {ACCEPTED_TYPES_HINT}")
        key = idempotency_key(request)
        origin, warnings = request_origin(request)
        build = batch_from_text if body.form == "text" else batch_from_flume_json
        try:
            batch = build(
                body.data,
                charset=body.charset,
                origin=origin,
                limits=Limits(settings.INGEST_MAX_LINE_BYTES, settings.INGEST_MAX_LINES),
                received_at=timezone.now(),
                layouts=log_layouts_current(),
            )
        except InvalidBody as exc:
            raise ParseError(str(exc)) from None
        except TooManyLines as exc:
            raise PayloadTooLarge(str(exc)) from None
        if not batch.lines:
            if batch.refused:
                raise ParseError(
                    f"No event of the batch holds a line to store; {len(batch.refused)} "
                    f"refused, the first: {batch.refused[0]['reason']}"
                )
            raise ParseError("The body holds only blank lines: nothing to store.")
        request._request.ingest_lines = len(batch.lines)  # for /metrics (logs/metrics.py)

        try:
            result = system_logs_ingest(
                lines=batch.lines,
                token_id=request.auth.id,
                idempotency_key=key,
                body_sha256=body_digest(body.data) if key else "",
            )
        except IdempotencyKeyReused:
            raise UnprocessableEntity(
                "This Idempotency-Key was already used for a different body; "
                "use a new key for new lines."
            ) from None

        answer = {
            "accepted": result.accepted,
            "truncated_lines": batch.truncated,
            "replaced_bytes": batch.replaced,
            "blank_lines": batch.blank,
        }
        if result.replayed:
            answer["replayed"] = True
            request._request.ingest_replayed = True
        else:
            answer["rows"] = result.rows
        if batch.refused:  # stored the others; these are permanently bad: do not resend them
            answer["refused_events"] = len(batch.refused)
            answer["refused"] = batch.refused[:MAX_REFUSED_LISTED]
        warnings += batch.warnings
        if warnings:
            answer["warnings"] = warnings
            for warning in warnings:
                _warn_rarely(request.auth.id, warning)
        # Rendered directly: the success answer needs none of DRF's renderer machinery.
        return HttpResponse(json.dumps(answer), content_type="application/json")
