"""Django-level error views: JSON under /api/, Django's own pages elsewhere.

These answer what never reaches a DRF view: unknown URLs, refused Host headers, CSRF failures
and unexpected exceptions.
"""

from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure

from faultportal.api.errors import json_error


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


def server_error(request):
    if _is_api(request):
        return json_error(500, "server_error", "Unexpected server error; it has been logged.")
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    if _is_api(request):
        return json_error(403, "csrf_failed", f"CSRF verification failed: {reason}")
    return django_csrf_failure(request, reason)
