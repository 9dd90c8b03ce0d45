"""GET /metrics: the portal's figures in Prometheus' text format (prometheus-client).

Two kinds of metrics, both filled in by the apps (the core imports none):

- Counters and histograms of what the processes do (lines ingested, refusals, batch sizes,
  timings), defined at module level in each app with prometheus_client. Under gunicorn every
  worker writes its values to files in PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py makes the
  directory and tells the client when a worker exits) and a scrape adds up the files of all
  workers, so a counter is the portal's total whichever worker answers the scrape. Without
  that directory (runserver, tests) the process's own registry is served.
- Gauges read from the database at scrape time (open faults, the collector's age, prune
  progress): functions each app registers with `metrics_collector_register` in its
  AppConfig.ready(). They are the same from every worker and need no files.

The endpoint is refused (403) unless the request carries `Authorization: Bearer
<METRICS_TOKEN>` or comes from an address in METRICS_ALLOWED_NETWORKS (loopback by default).
"""

import hmac
import ipaddress
import logging
import os
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, Counter, multiprocess
from prometheus_client.core import Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from faultportal.api.errors import json_error

logger = logging.getLogger(__name__)

# A function returning the metric families it read (prometheus_client.core *MetricFamily).
ScrapeCollector = Callable[[], Iterable[Metric]]
_collectors: dict[str, ScrapeCollector] = {}

HTTP_RESPONSES = Counter(
    "faultportal_http_responses",
    "HTTP answers of the portal by status code (503: the database was unavailable).",
    ["status"],
)
for _status in ("200", "503"):  # present from the start, at 0 (alerts on rates of them)
    HTTP_RESPONSES.labels(_status)


def metrics_collector_register(name: str, collect: ScrapeCollector) -> None:
    """Called from an app's AppConfig.ready(): `collect()` runs on every scrape."""
    _collectors[name] = collect


class _AppCollectors(Collector):
    def collect(self):
        for name, collect in list(_collectors.items()):
            try:
                yield from collect()
            except DatabaseError as exc:  # one failing read must not hide the other metrics
                logger.warning("metrics collector %s failed: %s", name, exc)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def metrics_registry() -> CollectorRegistry:
    """The registry a scrape serializes: every worker's counters, plus the apps' gauges."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessRegistry())
    registry.register(_AppCollectors())
    return registry


class _ProcessRegistry(Collector):
    """This process's own metrics (no multiprocess directory)."""

    def collect(self):
        yield from REGISTRY.collect()


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header[len("Bearer ") :].strip(), token)
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


def metrics_view(request):
    if request.method not in ("GET", "HEAD"):
        return json_error(405, "method_not_allowed", "Use GET.")
    if not _allowed(request):
        return json_error(
            403,
            "permission_denied",
            "Send Authorization: Bearer <METRICS_TOKEN>, or scrape from an address in "
            "METRICS_ALLOWED_NETWORKS.",
        )
    # The format Prometheus asks for in Accept (text 0.0.4 by default, or OpenMetrics).
    encode, content_type = choose_encoder(request.META.get("HTTP_ACCEPT"))
    return HttpResponse(encode(metrics_registry()), content_type=content_type)


class ResponseMetricsMiddleware:
    """Outermost middleware: counts every answer by status (ingest's fast path included)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        HTTP_RESPONSES.labels(str(response.status_code)).inc()
        return response
