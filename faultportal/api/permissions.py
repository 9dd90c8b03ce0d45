"""Scope-based access: a token needs the scope; a logged-in user needs the matching rights."""

from rest_framework.permissions import BasePermission

from faultportal.api.authentication import TokenInfo
from faultportal.models import ApiToken

Scope = ApiToken.Scope

# What a browser session needs in place of a token scope. Operators hold the permission to
# change fault records (the "operator" group); any staff user may read.
_SESSION_RULES = {
    Scope.READ: lambda user: user.is_staff,
    Scope.DIAGNOSE: lambda user: user.has_perm("diagnosis.change_faultrecord"),
    Scope.INGEST: lambda user: False,
}


def request_has_scope(request, scope: str) -> bool:
    if isinstance(request.auth, TokenInfo):
        return request.auth.has_scope(scope)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return _SESSION_RULES[scope](user)


def actor_name(request) -> str:
    """How a request's author is recorded in history fields: a username or token:<name>."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    return user.get_username()


class _ScopePermission(BasePermission):
    scope: str = ""

    def has_permission(self, request, view) -> bool:
        if request_has_scope(request, self.scope):
            return True
        # Unauthenticated requests become 401 in DRF; this message is for the 403 case.
        if isinstance(request.auth, TokenInfo):
            self.message = f"This API token lacks the '{self.scope}' scope."
        else:
            self.message = f"Your account lacks the rights of the '{self.scope}' scope."
        return False


class IngestScope(_ScopePermission):
    scope = Scope.INGEST


class ReadScope(_ScopePermission):
    scope = Scope.READ


class DiagnoseScope(_ScopePermission):
    scope = Scope.DIAGNOSE
