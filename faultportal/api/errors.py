"""The one error format of the API.

Every error answer is JSON: {"status": 413, "code": "payload_too_large", "detail": "…"}, plus
"fields" for validation errors. A body is never empty: Flume's HTTP sink treats an error with an
empty body as a failure to retry forever, whatever its status.
"""

import logging

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


def error_body(status_code: int, code: str, detail: str, fields: dict | None = None) -> dict:
    body = {"status": status_code, "code": code, "detail": detail}
    if fields:
        body["fields"] = fields
    return body


def json_error(status_code: int, code: str, detail: str, **headers: str) -> JsonResponse:
    """A Django (non-DRF) JSON error response in the API's format."""
    response = JsonResponse(error_body(status_code, code, detail), status=status_code)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def database_unavailable_response() -> Response:
    return Response(
        error_body(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "database_unavailable",
            "The database is unavailable; nothing was stored. Retry later.",
        ),
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(settings.RETRY_AFTER_SECONDS)},
    )


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Temporarily unavailable; retry later."
    default_code = "unavailable"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class UnprocessableEntity(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The request was understood but cannot be processed."
    default_code = "unprocessable"


def _code_of(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    return exc.default_code


def api_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: DRF errors in the API format, and database outages as 503."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        # Lost connection, server gone, lock wait timeout, deadlock: all worth a retry.
        logger.warning("database unavailable: %s", exc)
        return database_unavailable_response()
    if isinstance(exc, DatabaseError):
        logger.exception("database error")
        return database_unavailable_response()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected exception: Django's handler500 answers (JSON under /api/)

    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body(response.status_code, "invalid", "Invalid input.", fields)
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        if isinstance(detail, (list, dict)):
            response.data = error_body(
                response.status_code, _code_of(exc), "Request refused.", {"detail": detail}
            )
        else:
            response.data = error_body(response.status_code, _code_of(exc), str(detail))
    return response
