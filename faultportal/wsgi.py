"""WSGI entry point for gunicorn: `gunicorn faultportal.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "faultportal.settings")

application = get_wsgi_application()

from faultportal.checks import warn_at_start  # noqa: E402 (needs the settings loaded)

warn_at_start()
