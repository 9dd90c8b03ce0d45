"""OpenAPI schema pieces shared by every endpoint (drf-spectacular).

- `ErrorSerializer` documents the one error format of the API (see faultportal/api/errors.py).
- `PortalAutoSchema` (DEFAULT_SCHEMA_CLASS) adds the error answers every view can give, so each
  operation documents them without repeating them in every `extend_schema`.
- `ApiTokenScheme` describes the token, accepted in the Authorization header or as `?token=`.
- `canonical_slashless_paths` (a preprocessing hook) documents `re_path(r"^…/?$")` routes, which
  answer with and without a trailing slash, under their slash-less spelling.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorSerializer(serializers.Serializer):
    """Every error answer of the API, whatever its status code."""

    status = serializers.IntegerField(help_text="The HTTP status code, repeated.")
    code = serializers.CharField(
        help_text="A stable machine-readable code, e.g. invalid, not_found, not_authenticated, "
        "conflict, database_unavailable."
    )
    detail = serializers.CharField(help_text="A human-readable explanation.")
    fields = serializers.DictField(
        required=False,
        help_text="Validation errors by field name (400 only): a list of messages per field.",
    )


ERROR_DESCRIPTIONS = {
    "400": "Invalid input: see `fields` for what is wrong with each field.",
    "401": "No valid API token: send `Authorization: Token <token>` or `?token=<token>`.",
    "403": "The token (or the signed-in user) lacks the scope this operation needs.",
    "404": "No such object (or no such endpoint).",
    "415": "Unsupported Content-Type: send `application/json`.",
    "503": "The database is unavailable; nothing was stored. Retry after `Retry-After` seconds.",
}

_BODY_METHODS = {"POST", "PUT", "PATCH"}


class PortalAutoSchema(AutoSchema):
    """AutoSchema that documents the portal's error answers on every operation.

    Codes an operation documents itself (through `extend_schema(responses=…)`) are kept as they
    are; the rest are added from what the view can actually answer: 400 for input, 401/403 for
    authenticated views, 404 for paths with parameters, 415 for request bodies and 503 when the
    database is down.
    """

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ErrorSerializer, code, direction=direction
                )
                responses[code]["description"] = ERROR_DESCRIPTIONS[code]
        return responses

    def _error_codes(self) -> list[str]:
        codes = []
        query = {p["name"] for p in self._get_parameters() if p.get("in") == "query"}
        if self.method in _BODY_METHODS or query:
            codes.append("400")
        if not self._allows_anonymous():
            codes += ["401", "403"]
        # An unknown object in the path, or a stale/forged pagination cursor.
        if "{" in self.path or "cursor" in query:
            codes.append("404")
        if self.method in _BODY_METHODS:
            codes.append("415")
        codes.append("503")
        return codes

    def _allows_anonymous(self) -> bool:
        return all(isinstance(p, AllowAny) for p in self.view.get_permissions())


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The portal's API token, in the Authorization header or in the query (for Flume)."""

    target_class = "faultportal.api.authentication.ApiTokenAuthentication"
    name = ["tokenHeader", "tokenQuery"]

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Token <token>` (create one with "
                "`python manage.py create_api_token NAME --scopes ingest,read`). Prefer this.",
            },
            {
                "type": "apiKey",
                "in": "query",
                "name": "token",
                "description": "The token in the URL, for senders that cannot set headers "
                "(Flume's HTTP sink). Access logs redact it; proxies may not.",
            },
        ]

    def get_security_requirement(self, auto_schema):
        # Either placement works: alternatives, not both at once.
        return [{"tokenHeader": []}, {"tokenQuery": []}]


def canonical_slashless_paths(endpoints):
    """PREPROCESSING_HOOK: `^exec/runs/?$` is documented as /…/exec/runs, not /…/exec/runs/.

    Scripts post to these routes with and without the slash and neither redirects; the schema
    names each once, without the slash, as the README and the clients do.
    """
    normalised = []
    for path, path_regex, method, callback in endpoints:
        if path_regex.endswith("/?$") and path.endswith("/") and len(path) > 1:
            path = path.rstrip("/")
        normalised.append((path, path_regex, method, callback))
    return normalised
