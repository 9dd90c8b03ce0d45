"""Per-token rate limit for ingestion: a fixed-window counter in the shared cache.

DRF's SimpleRateThrottle keeps a list of every request's timestamp per key and rewrites it on
each request: at the tens of thousands of requests a minute a Flume agent makes, that value is
huge. Here there is one counter per token and window in the cache (Redis in production), so
every portal instance counts against the same limit.

Even one Redis round trip per request costs the ingest hot path about a sixth of its CPU
(measured with bench/ingest_bench.py --redis-url). So each process counts locally and adds its
count to the shared counter every SYNC_EVERY requests or SYNC_SECONDS, whichever comes
first, deciding in between on the last shared total plus its own count. The limit can thus be
overshot by what the other processes counted since their last sync: fine for what it is, a
safety valve against a runaway sender, not a quota.

When the cache is unreachable requests pass (fail open) rather than losing lines, and the
cache is left alone for a few seconds.
"""

import functools
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from faultportal.api.authentication import TokenInfo

SYNC_EVERY = 100
SYNC_SECONDS = 0.5
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


def add_to_shared_count(key: str, delta: int, timeout: int) -> int | None:
    """Add to a counter in the cache and return its total; None when the cache does not answer."""
    try:
        return cache.incr(key, delta)  # django-redis answers None for a swallowed error
    except ValueError:  # the first count of the window
        if cache.add(key, delta, timeout):
            return delta
        try:
            return cache.incr(key, delta)
        except ValueError:  # expired between the two calls, or the cache lost it
            return None


@dataclass
class _Window:
    shared: int = 0  # the shared total at the last sync, this process's counts included
    pending: int = 0  # counted here since
    synced_at: float = float("-inf")


class _LocalCounter:
    """This process's view of each token's shared counter in the current window."""

    def __init__(self):
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()

    def count(self, key: str, timeout: int) -> int | None:
        """Count one request; returns the estimated total, or None when the cache is down."""
        now = time.monotonic()
        with self._lock:
            window = self._windows.get(key)
            if window is None:
                if len(self._windows) > 10_000:  # past windows of every token: start afresh
                    self._windows.clear()
                window = self._windows[key] = _Window()
            window.pending += 1
            if window.pending < SYNC_EVERY and now - window.synced_at < SYNC_SECONDS:
                return window.shared + window.pending
            delta, window.pending, window.synced_at = window.pending, 0, now
        total = add_to_shared_count(key, delta, timeout)
        if total is None:
            return None
        with self._lock:
            window.shared = max(window.shared, total)
            return window.shared + window.pending


_counter = _LocalCounter()


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
        count = _counter.count(f"throttle:{self.scope}:{token.id}:{window}", period + 1)
        if count is None:
            IngestRateThrottle._cache_down_until = now + CACHE_RETRY_SECONDS
            return True
        if count > limit:
            self.wait_seconds = (window + 1) * period - now
            return False
        return True

    def wait(self) -> float | None:
        return self.wait_seconds
