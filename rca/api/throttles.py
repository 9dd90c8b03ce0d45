"""The rate limit of POST /api/llm/diagnose (DIAGNOSE_RATE_LIMIT, scope "diagnose").

DRF's ScopedRateThrottle keys authenticated requests by user.pk, which every API token shares
(TokenUser.pk is None): one busy script would throttle all the others. This one keys a token
request by its token, a session by its user, anything else by address; and it reads the rate
at request time, so a changed setting applies without a restart of the class.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from faultportal.api.authentication import TokenInfo


class DiagnoseRateThrottle(ScopedRateThrottle):
    def get_rate(self):
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        return super().get_rate()

    def get_cache_key(self, request, view):
        if isinstance(request.auth, TokenInfo):
            ident = f"token-{request.auth.id}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"addr-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
