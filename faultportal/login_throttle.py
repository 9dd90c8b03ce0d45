"""Sign-in throttling (django-axes) that cannot be turned against ingestion or the admin.

- Counted per **username and address together** (AXES_LOCKOUT_PARAMETERS): after
  LOGIN_FAILURE_LIMIT wrong passwords for one username from one address, that pair is refused
  for LOGIN_LOCKOUT_MINUTES. Someone guessing the admin's password from elsewhere locks out only
  themselves; the admin signing in from their own address is not affected. The price: an
  address trying many usernames is slowed per username only (docs/deployment.md).
- Only Django's password sign-in (the admin's login form, which the dashboard uses) goes through
  axes. The API authenticates tokens without `authenticate()`, and the ingest endpoint runs ahead
  of every middleware (logs/api/middleware.py): a lockout never touches a token, and a flood of
  wrong passwords is a few database rows per attempt, not a lock ingestion waits on.
- The address is REMOTE_ADDR as faultportal/proxy.py leaves it: the real sender behind the
  nginx front, never an X-Forwarded-For a client wrote.
- Every failure and every lockout is logged (logger `faultportal.auth`), username quoted.
"""

import logging
import math

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.template.response import TemplateResponse

logger = logging.getLogger("faultportal.auth")


class SignInThrottleBackend(AxesStandaloneBackend):
    """axes' backend for sign-ins over HTTP; `authenticate()` without a request (a management
    command, a shell) has no address to count and is not throttled (axes would raise)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def client_ip(request) -> str:
    """AXES_CLIENT_IP_CALLABLE: the sender's address (already resolved from the proxy's header)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _who(username, request) -> str:
    name = str(username or "")[:150]
    return f"username {name!r} from {client_ip(request) if request is not None else 'unknown'}"


@receiver(user_login_failed, dispatch_uid="faultportal-login-failed")
def log_login_failure(sender, credentials, request=None, **kwargs):
    # Runs after axes' own receiver (axes is above faultportal in INSTALLED_APPS), so the count
    # includes this failure.
    failures = ""
    if request is not None and not getattr(request, "axes_locked_out", False):
        from axes.handlers.proxy import AxesProxyHandler

        count = AxesProxyHandler.get_failures(request, credentials)
        failures = f" ({count} of {settings.AXES_FAILURE_LIMIT} before a lockout)"
    logger.warning("sign-in failed: %s%s", _who(credentials.get("username"), request), failures)


def _log_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    logger.warning(
        "sign-in locked out for %d minutes: %s",
        settings.LOGIN_LOCKOUT_MINUTES,
        _who(username, request),
    )


def connect_signals() -> None:
    from axes.signals import user_locked_out

    user_locked_out.connect(_log_lockout, dispatch_uid="faultportal-locked-out")


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: a 429 page in the admin's look, with Retry-After."""
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    context = {
        **admin.site.each_context(request),
        "title": "Too many failed sign-ins",
        "minutes": minutes,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    response = TemplateResponse(request, "faultportal/locked_out.html", context, status=429)
    response["Retry-After"] = str(math.ceil(minutes * 60))
    return response.render()
