"""Django-level error views: JSON under /api/, Django's own pages elsewhere.

These answer what never reaches a DRF view: unknown URLs, refused Host headers, CSRF failures
and unexpected exceptions.
"""

import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.templatetags.static import static
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure

from faultportal.api.errors import json_error

# Written out, not a template: rendering one may need what is down (the database, a session).
DATABASE_DOWN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Portal unavailable</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="ERROR_CSS"></head>
<body class="fp-error">
<h1>The portal cannot reach its database</h1>
<p>The page could not be built because the database does not answer. Nothing you did caused
this, and log lines sent meanwhile are kept by their Flume agents and delivered later.</p>
<p>Try again in a few seconds: <a href="">reload this page</a>.</p>
</body></html>
"""


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception):
    if _is_api(request):
        return json_error(400, "bad_request", "The request could not be understood.")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _is_api(request):
        return json_error(403, "permission_denied", "You do not have permission for this.")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _is_api(request):
        return json_error(404, "not_found", f"No API endpoint at {request.path}.")
    return defaults.page_not_found(request, exception)


def database_unavailable(request) -> HttpResponse:
    """503 for a page (HTML) or the API (JSON) while the database is down, with Retry-After."""
    retry = str(settings.RETRY_AFTER_SECONDS)
    if _is_api(request):
        return json_error(
            503,
            "database_unavailable",
            "The database is unavailable; retry later.",
            Retry_After=retry,
        )
    page = DATABASE_DOWN_PAGE.replace("ERROR_CSS", static("faultportal/error.css"))
    response = HttpResponse(page, status=503, content_type="text/html")
    response["Retry-After"] = retry
    response["Cache-Control"] = "no-store"
    return response


def server_error(request):
    # Called while the exception is being handled: a lost database is a 503, not a 500.
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        return database_unavailable(request)
    if _is_api(request):
        return json_error(500, "server_error", "Unexpected server error; it has been logged.")
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    if _is_api(request):
        return json_error(403, "csrf_failed", f"CSRF verification failed: {reason}")
    return django_csrf_failure(request, reason)
