"""Request-body parsers of the ingest endpoint: bounded reads of the raw bytes, nothing more.

DRF hands custom parsers the raw request stream, where Django's DATA_UPLOAD_MAX_MEMORY_SIZE
does not apply (and its RequestDataTooBig would be an HTML 400 anyway): the limit is enforced
here, keeping at most INGEST_MAX_BODY_BYTES + 1 bytes (a larger body is read and dropped, up to
DRAIN_MAX_BYTES, so that its sender sees the 413). Decoding and splitting are
logs/ingestion.py's job, so the same rules hold whatever the Content-Type.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.http import parse_header_parameters
from rest_framework import status
from rest_framework.exceptions import APIException, UnsupportedMediaType
from rest_framework.parsers import BaseParser

from faultportal.api.errors import PayloadTooLarge

ACCEPTED_TYPES_HINT = (
    "Send log lines as 'Content-Type: text/plain' (one line, or lines separated by newlines; "
    "UTF-8 unless a charset says otherwise) or a Flume JSON event array as "
    "'Content-Type: application/json'."
)


@dataclass(frozen=True)
class RequestBody:
    data: bytes
    form: str  # "text" or "json"
    charset: str | None


# An over-limit body is still read (and thrown away) up to this many bytes before the 413 is
# sent: Java's HttpURLConnection (Flume's HTTP sink) and Python's urllib write the whole body
# before they read the answer, and a server that answers and closes first leaves them with a
# broken pipe instead of the status, which the sink retries forever. Past this bound the 413
# goes out unread (and the connection is closed): the sender still never gets a 2xx.
DRAIN_MAX_BYTES = 64 * 1024 * 1024
_DRAIN_CHUNK = 64 * 1024


class RequestTimeout(APIException):
    status_code = status.HTTP_408_REQUEST_TIMEOUT
    default_detail = (
        "The body did not arrive within the server's read timeout (GUNICORN_READ_TIMEOUT); "
        "nothing was stored. Resend it."
    )
    default_code = "request_timeout"


def _drain(stream, remaining: int) -> None:
    try:
        while remaining > 0:
            chunk = stream.read(min(_DRAIN_CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
    except OSError:  # timed out or gone: the 413 is sent anyway (and the connection closed)
        return


def read_bounded(stream, parser_context) -> bytes:
    limit = settings.INGEST_MAX_BODY_BYTES
    too_large = PayloadTooLarge(
        f"The body is larger than {limit} bytes (INGEST_MAX_BODY_BYTES); "
        "send fewer lines per request."
    )
    request = parser_context["request"]
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:  # not parsed; read and dropped (bounded) so the sender sees the 413
        if declared <= DRAIN_MAX_BYTES:
            _drain(stream, declared)
        raise too_large
    try:
        data = stream.read(limit + 1)
    except OSError:  # the read deadline of faultportal/gunicorn_worker.py, or a reset
        raise RequestTimeout() from None
    if len(data) > limit:
        _drain(stream, DRAIN_MAX_BYTES)
        raise too_large
    return data


def _charset(media_type: str) -> str | None:
    try:
        return parse_header_parameters(media_type)[1].get("charset")
    except ValueError:  # Django refuses absurdly long headers
        return None


class PlainTextParser(BaseParser):
    """text/plain, any charset: what Flume's HTTP sink sends (one line per request)."""

    media_type = "text/plain"

    def parse(self, stream, media_type=None, parser_context=None):
        return RequestBody(read_bounded(stream, parser_context), "text", _charset(media_type or ""))


class FlumeEventsParser(BaseParser):
    """application/json: Flume's JSON event array, parsed by logs/ingestion.py."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        return RequestBody(read_bounded(stream, parser_context), "json", _charset(media_type or ""))


class UnlabelledBodyParser(BaseParser):
    """Last in line: a body without a Content-Type is read as text; any other type is refused
    with a 415 that says what to send (DRF's own message only names the rejected type)."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        if not (media_type or "").strip():
            return RequestBody(read_bounded(stream, parser_context), "text", None)
        raise UnsupportedMediaType(
            media_type, detail=f"Unsupported Content-Type {media_type!r}. {ACCEPTED_TYPES_HINT}"
        )
