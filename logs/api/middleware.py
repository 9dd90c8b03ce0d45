"""Ingest requests go straight to their view, ahead of middleware they have no use for.

The ingest endpoint is the portal's hot path (a Flume agent sends one request per log line),
and it needs none of sessions, CSRF, messages, authentication middleware, static files,
security headers or the URL resolver: measured in bench/, that chain was a sizeable part of
each request's CPU. Skipping it also keeps an HTTPS redirect (SECURE_SSL_REDIRECT) or a
Host-header refusal from ever reaching Flume, which would drop the line.
"""

import time

from logs.api.urls import INGEST_PATHS
from logs.api.views import LogUploadView
from logs.metrics import ingest_observe


class IngestFastPathMiddleware:
    """First in MIDDLEWARE: the rest of the chain runs for every other request, unchanged."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.ingest_view = LogUploadView.as_view()

    def __call__(self, request):
        if request.path_info in INGEST_PATHS:
            started = time.perf_counter()
            response = self.ingest_view(request)
            # What Django's handler does after a view: DRF's error answers are rendered late.
            response = response.render() if hasattr(response, "render") else response
            ingest_observe(
                status=response.status_code,
                seconds=time.perf_counter() - started,
                lines=getattr(request, "ingest_lines", None),
                replayed=getattr(request, "ingest_replayed", False),
            )
            return response
        return self.get_response(request)
