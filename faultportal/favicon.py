"""/favicon.ico: the portal's icon (an SVG, which browsers take at that path), no 404 per page.

Served from the file in static/ without touching the database, so it answers during an outage
as well; browsers cache it for a day.
"""

from functools import cache
from pathlib import Path

from django.http import HttpResponse
from django.views.decorators.http import require_safe

ICON = Path(__file__).resolve().parent / "static" / "faultportal" / "favicon.svg"


@cache
def _icon() -> bytes:
    return ICON.read_bytes()


@require_safe
def favicon_view(request):
    response = HttpResponse(_icon(), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response
