"""Writes for API tokens."""

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from faultportal.models import ApiToken

TOKEN_PREFIX = "fpt_"


def hash_token(raw: str) -> str:
    # Tokens are 256 random bits, so a fast unsalted hash is enough and keeps lookups cheap.
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def parse_scopes(scopes: str | list[str]) -> list[str]:
    items = scopes.split(",") if isinstance(scopes, str) else list(scopes)
    cleaned = []
    for item in (s.strip().lower() for s in items):
        if not item:
            continue
        if item not in ApiToken.Scope.values:
            allowed = ", ".join(ApiToken.Scope.values)
            raise ValidationError(f"Unknown scope {item!r}; choose from {allowed}.")
        if item not in cleaned:
            cleaned.append(item)
    if not cleaned:
        raise ValidationError("A token needs at least one scope.")
    return cleaned


def api_token_create(
    *, name: str, scopes: str | list[str], created_by=None
) -> tuple[ApiToken, str]:
    """Create a token and return it with its plaintext, which is never stored or shown again."""
    name = name.strip()
    if not name:
        raise ValidationError("A token needs a name.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        prefix=raw[: len(TOKEN_PREFIX) + 4],
        key_hash=hash_token(raw),
        scopes=",".join(parse_scopes(scopes)),
        created_by=created_by,
    )
    try:
        with transaction.atomic():
            token.save()
    except IntegrityError:
        raise ValidationError(f"A token named {name!r} already exists.") from None
    return token, raw


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def admin_login_ensure(*, username: str = "admin") -> tuple[object, str, bool]:
    """Make `username` an active superuser with a fresh random password.

    The demo's login: the password changes on every call, so a printed one never outlives the
    next start. Returns (user, password, created).
    """
    from django.contrib.auth import get_user_model

    username = username.strip()
    if not username:
        raise ValidationError("The admin user needs a name.")
    User = get_user_model()
    password = secrets.token_urlsafe(12)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        created = user is None
        if created:
            user = User(username=username)
        user.is_active = user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
    return user, password, created
