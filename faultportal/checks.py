"""Start-up warnings about settings that are fine for the demo and wrong in production."""

import logging
import os

from django.conf import settings
from django.core import checks

logger = logging.getLogger("faultportal.settings")

ALLOWED_HOSTS_ANY = (
    "ALLOWED_HOSTS is '*' (the default): the portal answers any Host header, so links it builds "
    "(password-reset mails, redirects) can be made to point elsewhere. Set ALLOWED_HOSTS to the "
    "names the portal is reached by (the ingest endpoint is not affected: it never checks the "
    "Host header, so Flume agents may use any name or address)."
)


def allowed_hosts_is_any() -> bool:
    return "*" in settings.ALLOWED_HOSTS and not os.environ.get("FAULTPORTAL_DEMO")


@checks.register(checks.Tags.security, deploy=True)
def check_allowed_hosts(app_configs, **kwargs):
    if allowed_hosts_is_any():
        return [checks.Warning(ALLOWED_HOSTS_ANY, id="faultportal.W001")]
    return []


def warn_at_start() -> None:
    """Logged once per process as the WSGI application loads (bin/demo sets FAULTPORTAL_DEMO)."""
    if allowed_hosts_is_any():
        logger.warning(ALLOWED_HOSTS_ANY)
