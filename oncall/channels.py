"""Sending one message to one channel: apprise for every service it knows, Alertmanager natively.

A channel is a URL. ``alertmanager://host:9093[/prefix]`` (``alertmanagers://`` for HTTPS,
``user:password@`` for basic auth) is pushed to Alertmanager's ``/api/v2/alerts`` here; every
other scheme is an apprise URL (``mailto://``/``mailtos://`` e-mail over SMTP, ``json://`` a
generic JSON webhook, ``slack://``, ``msteams://``/``workflow://``, ``dingtalk://``,
``wecombot://``, ``feishu://``, ``lark://``, ``tgram://``, ``pagerduty://``…).

``file://NAME`` appends each message (its text form) to ``DATA_DIR/notifications/NAME``: the
demo's channel, and a first try without any service. NAME is a plain file name; the channel
can write nowhere else.

The idempotency key goes with every send where the channel can carry it: the
``Idempotency-Key`` header of Alertmanager pushes and of apprise's HTTP and e-mail plugins
(json/form/xml webhooks, mailto), and the ``idempotency_key`` field of the JSON webhook's body.
A message re-sent after a worker died between sending and marking carries the same key.

Secrets live in the URL (passwords, tokens in the path): :func:`channel_url_masked` is the
only form shown back (admin, commands, delivery log errors).
"""

import base64
import json
import logging
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from django.conf import settings

from oncall.models import ALERTMANAGER_SCHEMES
from oncall.rendering import alertmanager_alerts, message_html, message_text

log = logging.getLogger("oncall.channels")

IDEMPOTENCY_HEADER = "Idempotency-Key"
_HTTP_CODE = re.compile(r"error=([1-5][0-9][0-9])\b")


class ChannelUrlError(ValueError):
    """A channel URL that neither apprise nor the Alertmanager channel understands."""


@dataclass(frozen=True)
class SendResult:
    ok: bool
    error: str = ""
    response_code: int | None = None
    duration_ms: int = 0


def _scheme(url: str) -> str:
    return urlsplit(url.strip()).scheme.lower()


FILE_SCHEME = "file"
_FILE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$")


def _file_path(url: str):
    parts = urlsplit(url)
    name = parts.netloc
    if not _FILE_NAME.match(name) or parts.path not in ("", "/") or parts.query:
        raise ChannelUrlError(
            "A file channel is file://NAME: a plain file name (letters, digits, . _ -), "
            "written under DATA_DIR/notifications/."
        )
    return Path(settings.DATA_DIR) / "notifications" / name


def channel_url_check(url: str) -> None:
    """Raises ChannelUrlError unless the URL can be sent to."""
    url = url.strip()
    if _scheme(url) == FILE_SCHEME:
        _file_path(url)
        return
    if _scheme(url) in ALERTMANAGER_SCHEMES:
        parts = urlsplit(url)
        if not parts.hostname:
            raise ChannelUrlError("An Alertmanager URL needs a host: alertmanager://host:9093")
        try:
            parts.port  # noqa: B018 (raises on a bad port)
        except ValueError as exc:
            raise ChannelUrlError(f"Bad port in the Alertmanager URL: {exc}") from None
        return
    if _apprise_plugin(url) is None:
        raise ChannelUrlError(
            "Not a URL apprise can send to (e.g. mailto://user:pass@smtp.example?to=oncall@"
            "example, json://hooks.example/path, slack://T/B/C), nor alertmanager://host:port."
        )


def channel_url_masked(url: str) -> str:
    """The URL with its secrets hidden (apprise's privacy form; ours for Alertmanager)."""
    url = url.strip()
    if _scheme(url) == FILE_SCHEME:
        return url
    if _scheme(url) in ALERTMANAGER_SCHEMES:
        parts = urlsplit(url)
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        if parts.username:
            netloc = f"{parts.username[:1]}…:****@{netloc}"
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    plugin = _apprise_plugin(url)
    if plugin is not None:
        try:
            return plugin.url(privacy=True)
        except Exception:  # a plugin's url() failing must not show the raw URL instead
            log.debug("apprise could not mask %s", _scheme(url), exc_info=True)
    return f"{_scheme(url) or '?'}://****"


def channel_send(*, url: str, payload: dict, idempotency_key: str) -> SendResult:
    """Send a rendered message (a NotificationMessage's payload) once; never raises for the
    channel's answer (the result says), only for programming errors."""
    started = time.monotonic()
    try:
        if _scheme(url) == FILE_SCHEME:
            result = _file_send(url.strip(), payload, idempotency_key)
        elif _scheme(url) in ALERTMANAGER_SCHEMES:
            result = _alertmanager_send(url.strip(), payload, idempotency_key)
        else:
            result = _apprise_send(url.strip(), payload, idempotency_key)
    except Exception as exc:  # the channel's library failing is a failed attempt, retried
        log.warning("sending to a %s channel failed", _scheme(url), exc_info=True)
        result = SendResult(ok=False, error=f"{type(exc).__name__}: {exc}")
    duration = int((time.monotonic() - started) * 1000)
    return SendResult(result.ok, result.error[:2000], result.response_code, duration)


# --- a file ----------------------------------------------------------------------------------


def _file_send(url: str, payload: dict, key: str) -> SendResult:
    try:
        path = _file_path(url)
    except ChannelUrlError as exc:
        return SendResult(ok=False, error=str(exc))
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    entry = (
        f"=== {stamp}  {payload.get('title', '')}\n"
        f"Idempotency-Key: {key}\n\n{message_text(payload)}\n\n"
    )
    with path.open("a", encoding="utf-8") as out:
        out.write(entry)
    return SendResult(ok=True)


# --- Alertmanager --------------------------------------------------------------------------------


def _alertmanager_send(url: str, payload: dict, key: str) -> SendResult:
    parts = urlsplit(url)
    scheme = "https" if parts.scheme.lower() == "alertmanagers" else "http"
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port:
        netloc += f":{parts.port}"
    prefix = parts.path.rstrip("/")
    target = urlunsplit((scheme, netloc, f"{prefix}/api/v2/alerts", "", ""))
    body = json.dumps(alertmanager_alerts(payload)).encode()
    request = urllib.request.Request(
        target,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", IDEMPOTENCY_HEADER: key},
    )
    if parts.username:
        user = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password or "")
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(
            request, timeout=settings.NOTIFICATION_SEND_TIMEOUT_SECONDS
        ) as response:
            return SendResult(ok=200 <= response.status < 300, response_code=response.status)
    except urllib.error.HTTPError as exc:
        detail = exc.read(500).decode("utf-8", "replace")
        return SendResult(
            ok=False, error=f"Alertmanager answered {exc.code}: {detail}", response_code=exc.code
        )
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return SendResult(ok=False, error=f"Alertmanager unreachable: {reason}")


# --- apprise -------------------------------------------------------------------------------------


def _apprise_asset():
    import apprise

    # No files: apprise's persistent store would write under the service user's home.
    return apprise.AppriseAsset(storage_mode="memory")


def _apprise_plugin(url: str):
    import apprise

    try:
        return apprise.Apprise.instantiate(url, asset=_apprise_asset())
    except Exception:  # apprise raises for some malformed URLs even when told not to
        return None


def _prefers_html(plugin) -> bool:
    from apprise import NotifyFormat

    fmt = plugin.notify_format
    first = fmt[0] if isinstance(fmt, (tuple, list)) else fmt
    return first == NotifyFormat.HTML


def _apprise_send(url: str, payload: dict, key: str) -> SendResult:
    import apprise
    from apprise import NotifyFormat
    from apprise.plugins.custom_json import NotifyJSON

    plugin = _apprise_plugin(url)
    if plugin is None:
        return SendResult(ok=False, error="not a URL apprise can send to")
    # Per message: the key in a header where the plugin sends headers (HTTP, e-mail).
    if isinstance(getattr(plugin, "headers", None), dict):
        plugin.headers[IDEMPOTENCY_HEADER] = key
    if isinstance(plugin, NotifyJSON):
        # The generic JSON webhook: apprise's fields (version, title, message, type) plus ours.
        plugin.payload_extras["faultportal"] = {**_webhook_fields(payload), "idempotency_key": key}
    for attr in ("socket_read_timeout", "socket_connect_timeout"):
        if hasattr(plugin, attr):
            setattr(plugin, attr, settings.NOTIFICATION_SEND_TIMEOUT_SECONDS)
    # Our own escaped HTML where the service renders HTML (e-mail); plain text elsewhere, which
    # apprise escapes for each service's markup (Slack's &<>, Markdown's punctuation).
    if _prefers_html(plugin):
        body, body_format = message_html(payload), NotifyFormat.HTML
    else:
        body, body_format = message_text(payload), NotifyFormat.TEXT
    notify_type = (
        apprise.NotifyType.SUCCESS
        if payload.get("event") == "resolved"
        else apprise.NotifyType.FAILURE
        if payload.get("severity") in ("critical", "major")
        else apprise.NotifyType.WARNING
    )
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
        ok = plugin.notify(
            body=body,
            title=payload.get("title", ""),
            body_format=body_format,
            notify_type=notify_type,
        )
    error = "" if ok else (captured.getvalue().strip()[-1500:] or "apprise reported a failure")
    # apprise logs the HTTP status of a refusal ("…, error=500."): keep it for the log.
    code = _HTTP_CODE.findall(error)
    return SendResult(
        ok=bool(ok), error=_redact(error, url), response_code=int(code[-1]) if code else None
    )


def _webhook_fields(payload: dict) -> dict:
    keep = ("kind", "event", "severity", "title", "counts", "hosts", "incident", "faults", "more")
    return {k: payload[k] for k in keep if k in payload} | {"url": payload.get("url")}


def _redact(text: str, url: str) -> str:
    """Error text from a library may quote the URL: never let its secrets into the log."""
    parts = urlsplit(url)
    for secret in (parts.password, parts.username, *parts.path.split("/")):
        if secret and len(secret) >= 6:
            text = text.replace(secret, "****").replace(quote(secret, safe=""), "****")
    return text
