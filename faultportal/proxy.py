"""Trust X-Forwarded-For / X-Forwarded-Proto from the portal's own front proxy, and only from it.

Behind the nginx front of deploy/nginx/, every request reaches gunicorn from the proxy's address
(127.0.0.1 when nginx runs on the same host): the sender's address (the ingest's host fallback,
/metrics' network check, the login throttle's IP) is in the X-Forwarded-For header that nginx
sets — sets, not appends, so a client cannot slip an address of its choice in. That header, and
X-Forwarded-Proto (Django's SECURE_PROXY_SSL_HEADER under HTTPS=1), are believed only when the
direct peer is one of TRUSTED_PROXIES; from anyone else they are removed before anything reads
them, so a client that talks to gunicorn directly cannot claim to be 127.0.0.1 or to have come
over HTTPS.
"""

import ipaddress

from django.conf import settings

FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")


def _address(value: str):
    try:
        return ipaddress.ip_address(value.strip().partition("%")[0])
    except ValueError:
        return None


def is_trusted_proxy(remote_addr: str) -> bool:
    if not remote_addr:  # a Unix socket: only processes on this host can connect
        return True
    address = _address(remote_addr)
    return address is not None and any(address in net for net in settings.TRUSTED_PROXIES)


def client_address(meta: dict) -> str:
    """The sender's address: the right-most X-Forwarded-For entry that is not a trusted proxy."""
    for entry in reversed(meta.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(entry)
        if address is not None and not any(address in n for n in settings.TRUSTED_PROXIES):
            return str(address)
    return meta.get("REMOTE_ADDR", "")


class TrustedProxyMiddleware:
    """First in MIDDLEWARE, ahead of the ingest fast path: every view sees the real sender."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        if is_trusted_proxy(meta.get("REMOTE_ADDR", "")):
            if "HTTP_X_FORWARDED_FOR" in meta:
                meta["REMOTE_ADDR"] = client_address(meta)
                # Resolved: nothing downstream (DRF's throttles read it) may read it again.
                del meta["HTTP_X_FORWARDED_FOR"]
        else:
            for name in FORWARDED_HEADERS:
                meta.pop(name, None)
        return self.get_response(request)
