"""GET a Hadoop daemon's JSON over HTTP, turning every way it can fail into one short reason.

The collector must store "NameNode unreachable: <reason>" rather than crash, so callers get
either parsed JSON or an EndpointError whose message an operator can act on. Redirects are not
followed: a standby ResourceManager redirects REST calls to the active one, and following that
would make a standby look active.
"""

import json
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

USER_AGENT = "faultportal-collector"
# A NameNodeInfo bean of a large cluster lists every DataNode; anything far beyond that is not
# a Hadoop daemon answering.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024


class EndpointError(Exception):
    """The endpoint could not give us usable JSON; str(exc) says why, briefly."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx status


_opener = urllib.request.build_opener(_NoRedirect)


def fetch_json(url: str, *, timeout: float) -> dict:
    """The JSON object at `url`; raises EndpointError (timeout, refused, HTTP error, bad JSON)."""
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "User-Agent": USER_AGENT}
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            location = exc.headers.get("Location", "")
            raise EndpointError(f"HTTP {exc.code} redirect to {location or '?'}") from None
        raise EndpointError(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise EndpointError(_reason(exc.reason, timeout)) from None
    except TimeoutError:
        raise EndpointError(f"timed out after {timeout:g} s") from None
    except (ConnectionError, OSError) as exc:  # reset mid-body, bad status line, …
        raise EndpointError(_reason(exc, timeout)) from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise EndpointError(f"response larger than {MAX_RESPONSE_BYTES} bytes")
    try:
        data = json.loads(body)
    except ValueError:
        raise EndpointError("answer is not JSON (a standby or a proxy page?)") from None
    if not isinstance(data, dict):
        raise EndpointError("answer is JSON but not an object")
    return data


def _reason(error, timeout: float) -> str:
    if isinstance(error, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.gaierror):
        return f"unknown host ({error.strerror})"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error) or error.__class__.__name__


def url_join(base: str, path: str) -> str:
    """`path` under the daemon's base URL (which may itself have a path, behind a proxy)."""
    return base.rstrip("/") + path


def url_host(url: str) -> str:
    """The host name of a daemon URL: how its node rows and faults are keyed."""
    return urlsplit(url).hostname or url
