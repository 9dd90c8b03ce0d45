"""Response policy checks: what an HttpSink does with each answer the portal can give."""

from __future__ import annotations

from flume.checks.base import ERROR, WARNING, Report
from flume.httpsink import HttpSinkSettings

# Statuses and the answer the portal's contract needs for each (docs/flume-facts.md, "HttpSink").
COMMIT_STATUSES = (200, 201, 202, 204)
DROP_STATUSES = (400, 413, 415, 422)
RETRY_STATUSES = (401, 403, 404, 405, 408, 429, 500, 502, 503, 504)
STATUS_WHY = {
    401: "missing or wrong token",
    403: "token without the ingest scope",
    404: "wrong URL",
    405: "a redirect turned the POST into a GET",
    408: "request timeout",
    429: "rate limit",
}


def check_responses(report: Report, key, entry, settings: HttpSinkSettings) -> None:
    reported: set[str] = set()

    def once(level: str, sub: str, message: str, decided_by: str) -> None:
        if sub not in reported:
            reported.add(sub)
            report.report(level, key(sub), message, entry(sub) or entry(decided_by))

    def override_key(kind: str, decided_by: str, status: int, klass: bool) -> str:
        # Name the key that decided when it is specific to this status, else the one to add.
        if decided_by == f"{kind}.{status}":
            return decided_by
        return f"{kind}.{str(status)[0]}XX" if klass else f"{kind}.{status}"

    for status in COMMIT_STATUSES:
        decision = settings.decide(status)
        if decision.rollback:
            once(
                ERROR,
                override_key("rollback", decision.rollback_from, status, True),
                f"a {status} answer is rolled back (by {decision.rollback_from}): every "
                "delivered line is re-sent forever; set rollback.2XX = false",
                decision.rollback_from,
            )
        if decision.backoff:
            once(
                ERROR,
                override_key("backoff", decision.backoff_from, status, True),
                f"a {status} answer backs off (by {decision.backoff_from}): the sink sleeps "
                "1-5 s after every delivered line; set backoff.2XX = false",
                decision.backoff_from,
            )
    for status in DROP_STATUSES:
        decision = settings.decide(status)
        if decision.rollback:
            once(
                ERROR,
                override_key("rollback", decision.rollback_from, status, True),
                f"a {status} answer (a line the portal refuses for good) is rolled back (by "
                f"{decision.rollback_from}): it is retried forever and blocks every line "
                "behind it; set rollback.4XX = false",
                decision.rollback_from,
            )
    for status in RETRY_STATUSES:
        decision = settings.decide(status)
        why = STATUS_WHY.get(status, "the portal or its database is down")
        klass = status >= 500
        if not decision.rollback:
            once(
                ERROR,
                override_key("rollback", decision.rollback_from, status, klass),
                f"a {status} answer ({why}) is committed (by {decision.rollback_from}), i.e. "
                "the line is dropped; it must be retried: set "
                f"{override_key('rollback', '', status, klass)} = true",
                decision.rollback_from,
            )
        elif not decision.backoff:
            once(
                WARNING,
                override_key("backoff", decision.backoff_from, status, klass),
                f"a {status} answer is retried without backoff (by {decision.backoff_from}): "
                "the sink hammers the portal",
                decision.backoff_from,
            )
    if not settings.decide(200).increment_metrics:
        report.warn(
            key("incrementMetrics.2XX"),
            "not true: the EventDrainSuccessCount metric stays at 0",
            entry("incrementMetrics.2XX"),
        )
