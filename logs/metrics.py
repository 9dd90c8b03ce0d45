"""Ingestion's counters and timings for GET /metrics (faultportal/metrics.py says how they are
added up across gunicorn workers). Label values are fixed sets: never a host or a token."""

from prometheus_client import Counter, Histogram

INGEST_REQUESTS = Counter(
    "faultportal_ingest_requests",
    "Requests to /api/log/auto-upload by outcome: stored, replayed, or the refusal reason.",
    ["outcome"],
)
INGEST_LINES = Counter(
    "faultportal_ingest_lines",
    "Lines accepted by /api/log/auto-upload: stored, or replayed (an Idempotency-Key retry).",
    ["outcome"],
)
INGEST_LINES_REFUSED = Counter(
    "faultportal_ingest_lines_refused",
    "Lines of refused ingest requests by reason; a request refused before its body was read "
    "counts as one line (what Flume's sink sends per request).",
    ["reason"],
)
INGEST_SECONDS = Histogram(
    "faultportal_ingest_request_seconds",
    "Time to answer an ingest request, stored or refused.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DETECTION_SECONDS = Histogram(
    "faultportal_detection_seconds",
    "Time fault detection took per ingest request.",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1),
)
GROUP_COMMIT_ROWS = Histogram(
    "faultportal_group_commit_batch_rows",
    "Rows written together by one group commit of one-line requests (logs/group_commit.py).",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)

# Refusals by status code; anything else is "other".
REFUSAL_REASONS = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    411: "length_required",
    413: "too_large",
    415: "unsupported_media_type",
    422: "key_reused",
    429: "rate_limited",
    503: "unavailable",
}


def ingest_observe(*, status: int, seconds: float, lines: int | None, replayed: bool) -> None:
    INGEST_SECONDS.observe(seconds)
    if 200 <= status < 300:
        outcome = "replayed" if replayed else "stored"
        INGEST_REQUESTS.labels(outcome).inc()
        INGEST_LINES.labels(outcome).inc(lines or 0)
        return
    reason = REFUSAL_REASONS.get(status, "other")
    INGEST_REQUESTS.labels(reason).inc()
    INGEST_LINES_REFUSED.labels(reason).inc(lines or 1)


# Every known series exists from the start, at 0: a rate() over a counter that appears only at
# its first increment misses that increment, and an alert on a missing series never fires.
for _outcome in ("stored", "replayed"):
    INGEST_REQUESTS.labels(_outcome)
    INGEST_LINES.labels(_outcome)
for _reason in {*REFUSAL_REASONS.values(), "other"}:
    INGEST_REQUESTS.labels(_reason)
    INGEST_LINES_REFUSED.labels(_reason)
