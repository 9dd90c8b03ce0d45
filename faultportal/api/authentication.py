"""Token authentication for agents and scripts.

Tokens come as `Authorization: Token …` or as `?token=` (Flume's HTTP sink can only vary its
URL, and users' scripts already call read endpoints that way: both placements are a contract).
The header is the one to prefer; a token in a URL is redacted from the portal's and gunicorn's
logs (faultportal.logredact), but proxies and shell history are outside the portal. Lookups
are cached per process for API_TOKEN_CACHE_SECONDS so the ingest hot path does not pay a query
per request; revocation takes effect within that time.
"""

import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from rest_framework import authentication, exceptions

from faultportal.models import ApiToken
from faultportal.services import hash_token

# last_used_at is a hint for operators, not an audit trail: write it at most this often.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenInfo:
    """What a request knows about its token: immutable, so it can be shared across threads."""

    id: int
    name: str
    scopes: frozenset[str]

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class TokenUser:
    """request.user for a token-authenticated request; it has no Django permissions."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, token: TokenInfo):
        self.token = token
        self.username = f"token:{token.name}"

    def __str__(self) -> str:
        return self.username

    def has_perm(self, perm, obj=None) -> bool:
        return False

    def get_username(self) -> str:
        return self.username


_cache: dict[str, tuple[TokenInfo | None, float]] = {}
_cache_lock = threading.Lock()


def clear_token_cache() -> None:
    with _cache_lock:
        _cache.clear()


def lookup_token(raw: str) -> TokenInfo | None:
    """The active token for a plaintext value, or None; cached briefly per process."""
    key = hash_token(raw)
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None and hit[1] > now:
        return hit[0]
    row = (
        ApiToken.objects.filter(key_hash=key, revoked_at__isnull=True)
        .values("id", "name", "scopes")
        .first()
    )
    info = None
    if row is not None:
        info = TokenInfo(row["id"], row["name"], frozenset(row["scopes"].split(",")))
        _touch_last_used(row["id"])
    with _cache_lock:
        if len(_cache) > 10_000:  # garbage tokens must not grow the cache without bound
            _cache.clear()
        _cache[key] = (info, now + settings.API_TOKEN_CACHE_SECONDS)
    return info


def _touch_last_used(token_id: int) -> None:
    now = timezone.now()
    ApiToken.objects.filter(pk=token_id).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)


def raw_token_from_request(request) -> str | None:
    # META, not request.headers: building the headers mapping costs more than the whole token
    # lookup on the ingest hot path.
    django_request = getattr(request, "_request", request)  # a DRF Request wraps Django's
    header = django_request.META.get("HTTP_AUTHORIZATION", "")
    if isinstance(header, str):
        header = header.encode("iso-8859-1", "replace")
    header = header.split()
    if header and header[0].lower() == b"token":
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header: use 'Token <token>'."
            )
        try:
            return header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(
                "The token contains invalid characters."
            ) from None
    return django_request.GET.get("token") or None


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token …`, or `?token=` for senders that cannot set headers."""

    keyword = "Token"

    def authenticate(self, request):
        raw = raw_token_from_request(request)
        if raw is None:
            return None
        info = lookup_token(raw)
        if info is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API token.")
        return TokenUser(info), info

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) when credentials are missing or wrong.
        return 'Token realm="faultportal"'
