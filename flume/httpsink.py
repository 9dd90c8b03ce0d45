"""Flume's HttpSink settings and its answer to each HTTP status, as `HttpSink.configure` reads them.

What the sink does with a response (HttpSink.process / findOverrideValue, Flume 1.8–1.11):
the exact code (`rollback.503`) beats the class (`rollback.5XX`, upper-case XX only), which beats
`defaultRollback`; the same lookup for backoff and incrementMetrics. Defaults: rollback and backoff
true, incrementMetrics false — for every status, 2xx included. Values are read with Java's
Boolean.valueOf: only "true" (any case) is true, anything else is false.

Two things happen whatever the overrides say: a status >= 400 with an empty body rolls back and
backs off (getErrorStream() is null, the NullPointerException lands in the catch-all), and so do
connection errors, timeouts and unreadable status lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_TIMEOUT_MS = 5000
DEFAULT_CONTENT_TYPE = "text/plain"
DEFAULT_ACCEPT = "text/plain"
OVERRIDE_KINDS = ("rollback", "backoff", "incrementMetrics")
KNOWN_KEYS = {
    "type",
    "channel",
    "endpoint",
    "connectTimeout",
    "requestTimeout",
    "acceptHeader",
    "contentTypeHeader",
    "defaultBackoff",
    "defaultRollback",
    "defaultIncrementMetrics",
}


class HttpSinkConfigError(ValueError):
    """HttpSink.configure would throw: Flume removes the sink from the agent."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


def java_boolean(value: str) -> bool:
    return value.strip().lower() == "true"


def java_int(key: str, value: str | None, default: int) -> int:
    """Context.getInteger: Integer.parseInt of the trimmed text, or the default when absent."""
    if value is None:
        return default
    text = value.strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isascii() or not digits.isdigit() or not -(2**31) <= int(text) < 2**31:
        raise HttpSinkConfigError(key, f"{text!r} is not an integer")
    return int(text)


@dataclass(frozen=True)
class Decision:
    rollback: bool
    backoff: bool
    increment_metrics: bool
    rollback_from: str  # the key that decided, e.g. "rollback.2XX" or "defaultRollback"
    backoff_from: str


@dataclass(frozen=True)
class HttpSinkSettings:
    endpoint: str
    connect_timeout_ms: int = DEFAULT_TIMEOUT_MS
    request_timeout_ms: int = DEFAULT_TIMEOUT_MS
    accept: str = DEFAULT_ACCEPT
    content_type: str = DEFAULT_CONTENT_TYPE
    default_rollback: bool = True
    default_backoff: bool = True
    default_increment_metrics: bool = False
    overrides: dict[str, dict[str, bool]] = field(default_factory=dict)

    @classmethod
    def from_keys(cls, keys: dict[str, str]) -> HttpSinkSettings:
        """Read a sink's (already trimmed) keys; raises where HttpSink.configure would."""
        endpoint = keys.get("endpoint", "")
        parts = urlsplit(endpoint)
        # java.net.URL accepts any known protocol; only http(s) makes sense for HttpURLConnection.
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HttpSinkConfigError("endpoint", f"{endpoint!r} is not a valid http(s) URL")
        connect = java_int("connectTimeout", keys.get("connectTimeout"), DEFAULT_TIMEOUT_MS)
        if connect <= 0:
            raise HttpSinkConfigError("connectTimeout", "must be a positive number of ms")
        request = java_int("requestTimeout", keys.get("requestTimeout"), DEFAULT_TIMEOUT_MS)
        if request <= 0:
            raise HttpSinkConfigError("requestTimeout", "must be a positive number of ms")
        overrides: dict[str, dict[str, bool]] = {kind: {} for kind in OVERRIDE_KINDS}
        for key, value in keys.items():
            kind, dot, code = key.partition(".")
            if dot and kind in OVERRIDE_KINDS:
                overrides[kind][code] = java_boolean(value)
        return cls(
            endpoint=endpoint,
            connect_timeout_ms=connect,
            request_timeout_ms=request,
            accept=keys.get("acceptHeader", DEFAULT_ACCEPT),
            content_type=keys.get("contentTypeHeader", DEFAULT_CONTENT_TYPE),
            default_rollback=java_boolean(keys.get("defaultRollback", "true")),
            default_backoff=java_boolean(keys.get("defaultBackoff", "true")),
            default_increment_metrics=java_boolean(keys.get("defaultIncrementMetrics", "false")),
            overrides=overrides,
        )

    def _lookup(self, kind: str, status: int, default: bool, default_key: str):
        table = self.overrides.get(kind, {})
        exact = str(status)
        if exact in table:
            return table[exact], f"{kind}.{exact}"
        klass = exact[0] + "XX"
        if klass in table:
            return table[klass], f"{kind}.{klass}"
        return default, default_key

    def decide(self, status: int) -> Decision:
        """What the sink does with a response of this status that has a body."""
        rollback, rollback_from = self._lookup(
            "rollback", status, self.default_rollback, "defaultRollback"
        )
        backoff, backoff_from = self._lookup(
            "backoff", status, self.default_backoff, "defaultBackoff"
        )
        increment, _ = self._lookup(
            "incrementMetrics", status, self.default_increment_metrics, "defaultIncrementMetrics"
        )
        return Decision(rollback, backoff, increment, rollback_from, backoff_from)
