"""Per-token rate limit for ingestion: a fixed-window counter in the shared cache.

DRF's SimpleRateThrottle keeps a list of every request's timestamp per key and rewrites it on
each request: at the tens of thousands of requests a minute a Flume agent makes, that value is
huge. Here one counter per token and window is incremented (O(1), one cache round trip), so
every portal instance sharing Redis counts against the same limit.

The limit is a safety valve, not a quota: when the cache is unreachable, requests pass
(fail open) rather than losing lines, and the cache is left alone for a few seconds.
"""

import functools
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from faultportal.api.authentication import TokenInfo

# After a cache failure, skip the limit for this long instead of waiting on a dead Redis
# (its socket timeout) on every request.
CACHE_RETRY_SECONDS = 5.0
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_now = time.time  # the clock windows are cut from (wall time: shared by every instance)


@functools.lru_cache(maxsize=16)
def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """'100000/min' -> (100000, 60); None, '', 'off' or 'none' -> None (no limit)."""
    if rate is None or rate.strip().lower() in ("", "off", "none"):
        return None
    count, _, period = rate.partition("/")
    try:
        number = int(count)
        seconds = _PERIODS[period.strip()[:1].lower()]
    except (ValueError, KeyError):
        raise ValueError(
            f"Invalid rate {rate!r}: expected <requests>/<s|min|h|day>, e.g. 100000/min, or off."
        ) from None
    if number < 1:
        raise ValueError(f"Invalid rate {rate!r}: the number of requests must be at least 1.")
    return number, seconds


def count_in_window(key: str, timeout: int) -> int | None:
    """Increment and return a counter; None when the cache does not answer."""
    try:
        value = cache.incr(key)
    except ValueError:  # first request of the window
        if cache.add(key, 1, timeout):
            return 1
        try:
            value = cache.incr(key)
        except ValueError:  # expired between the two calls, or the cache lost it
            return None
    return value  # django-redis returns None when it swallowed a connection error


class IngestRateThrottle(BaseThrottle):
    """INGEST_RATE_LIMIT requests per token and window (REST_FRAMEWORK throttle rate 'ingest')."""

    scope = "ingest"
    _cache_down_until = 0.0  # per process; a plain float, so concurrent writes are harmless

    def __init__(self):
        self.wait_seconds: float | None = None

    def allow_request(self, request, view) -> bool:
        rate = parse_rate(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(self.scope))
        token = request.auth
        if rate is None or not isinstance(token, TokenInfo):
            return True
        limit, period = rate
        now = _now()
        if now < IngestRateThrottle._cache_down_until:
            return True
        window = int(now // period)
        count = count_in_window(f"throttle:{self.scope}:{token.id}:{window}", period + 1)
        if count is None:
            IngestRateThrottle._cache_down_until = now + CACHE_RETRY_SECONDS
            return True
        if count > limit:
            self.wait_seconds = (window + 1) * period - now
            return False
        return True

    def wait(self) -> float | None:
        return self.wait_seconds
