"""The log explorer (/dashboard/logs/) and a line's context (/dashboard/logs/<id>/).

Reads through logs.search_params (the same parameters as GET /api/logs) and logs.selectors:
one search page, a histogram of at most HISTOGRAM_MAX_MATCHES matches, no count. The live tail
is dashboard/static/dashboard/logs.js polling GET /api/logs?tail_after= on the same origin.
"""

from datetime import UTC, datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from dashboard import charts
from logs.search_params import (
    DEFAULT_SINCE,
    LEVEL_CHOICES,
    SearchParamsError,
    encode_cursor,
    parse_search_params,
)
from logs.selectors import (
    HISTOGRAM_MAX_MATCHES,
    SearchTooSlow,
    system_log_context,
    system_log_histogram,
    system_log_last_id,
    system_log_search,
)

SINCE_CHOICES = [
    ("15m", "15 min"),
    ("1h", "1 hour"),
    ("6h", "6 hours"),
    ("24h", "24 hours"),
    ("7d", "7 days"),
]
FORM_FIELDS = ("q", "host", "level", "logtype", "source_file", "since", "from", "to")
CONTEXT_LINES = 50


def log_explorer_url(**filters) -> str:
    """/dashboard/logs/?… with the filters filled in (datetimes as ISO 8601 in UTC)."""
    params = {}
    for name, value in filters.items():
        if value in (None, ""):
            continue
        if isinstance(value, datetime):
            value = value.astimezone(UTC).replace(microsecond=0).isoformat()
        params[name.rstrip("_")] = value  # from_= for the keyword `from`
    url = reverse("dashboard-logs")
    return f"{url}?{urlencode(params)}" if params else url


def _bucket_label(moment: datetime, bucket_seconds: int) -> str:
    local = timezone.localtime(moment)
    return local.strftime("%m-%d %H:%M" if bucket_seconds >= 3600 else "%H:%M")


def histogram_chart(histogram) -> charts.BarChart:
    buckets = []
    every = max(1, len(histogram.counts) // 8)
    step = timedelta(seconds=histogram.bucket_seconds)
    for index, count in enumerate(histogram.counts):
        start = histogram.since + index * step
        buckets.append(
            charts.Bucket(
                label=_bucket_label(start, histogram.bucket_seconds) if index % every == 0 else "",
                title=f"{_bucket_label(start, histogram.bucket_seconds)}–"
                f"{_bucket_label(start + step, histogram.bucket_seconds)}",
                counts={"matches": count},
            )
        )
    minutes = histogram.bucket_seconds // 60
    per = "minute" if minutes == 1 else f"{minutes} minutes"
    return charts.stacked_bars(
        buckets=buckets,
        series=[charts.Series("matches", "matching lines", "lv-match")],
        label=f"Matching lines per {per}",
        width=960,
        height=160,
    )


def log_explorer_page(*, params, now: datetime) -> dict:
    form = {name: (params.get(name) or "") for name in FORM_FIELDS}
    context = {
        "form": form,
        "levels": LEVEL_CHOICES,
        "since_choices": SINCE_CHOICES,
        "default_since": DEFAULT_SINCE,
        "errors": {},
        "lines": [],
        "next_url": None,
        "histogram": None,
        "chart": None,
        "histogram_limit": HISTOGRAM_MAX_MATCHES,
        "api_query": "",
        "last_id": 0,
        "partial": False,
        "host_prefix": reverse("dashboard-host", args=["-"])[:-2],
    }
    try:
        parsed = parse_search_params(params, now=now)
    except SearchParamsError as error:
        context["errors"] = error.fields
        return context
    filters = parsed.filters
    last_id = system_log_last_id()  # before the search: the tail starts at what it could show
    try:
        page = system_log_search(filters=filters, after=parsed.cursor, limit=parsed.limit)
        histogram = (
            system_log_histogram(filters=filters, now=now) if parsed.cursor is None else None
        )
    except SearchTooSlow:
        context["errors"] = {
            "q": "The search took too long and was stopped: add a longer word, a host or a "
            "shorter range."
        }
        return context
    kept = {name: value for name, value in form.items() if value}
    context.update(
        lines=page.lines,
        partial=page.partial,
        plan=page.plan,
        next_url=(
            f"{reverse('dashboard-logs')}?{urlencode({**kept, 'cursor': encode_cursor(page.next)})}"
            if page.next
            else None
        ),
        histogram=histogram,
        chart=histogram_chart(histogram) if histogram else None,
        since=filters.since,
        until=filters.until,
        api_query=urlencode(kept),
        last_id=last_id,
        first_page=parsed.cursor is None,
    )
    return context


def log_context_page(*, line, before: int = CONTEXT_LINES, after: int = CONTEXT_LINES) -> dict:
    earlier, later = system_log_context(line=line, before=before, after=after)
    window = {
        "host": line.host,
        "logtype": line.logtype,
        "source_file": line.source_file,
    }
    if line.log_time is not None:
        window["from_"] = line.log_time - timedelta(minutes=15)
        window["to"] = line.log_time + timedelta(minutes=15)
    return {
        "line": line,
        "before": earlier,
        "after": later,
        "stream_url": log_explorer_url(**window),
    }
