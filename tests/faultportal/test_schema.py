"""The API documentation: a valid OpenAPI 3 schema for every endpoint, one documented error
format, Swagger UI without any CDN, and a bounded schemathesis run against a live server.

Nothing here names an endpoint: the checks walk the URL configuration and the schema, so they
cover every app's endpoints as they are added.
"""

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient
from rest_framework.views import APIView

from tests.support.server import PortalServer
from tests.support.services import run_manage

pytestmark = pytest.mark.django_db

ERROR_REF = "#/components/schemas/Error"
# Routes under /api/ that are documentation, not API operations.
DOC_ROUTES = {"api/schema/", "api/docs/"}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def schema() -> dict:
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_the_schema_passes_drf_spectacular_validation(tmp_path):
    """What `manage.py spectacular --validate --fail-on-warn` checks: the OpenAPI 3 schema is
    valid and no view left drf-spectacular guessing."""
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.read_text().startswith("openapi: 3.")


def test_every_error_answer_is_documented_in_the_one_error_format(schema):
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"status", "code", "detail"}
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        if operation.get("security") != [{}]:  # authenticated operations
            assert {"401", "403"} <= set(responses), f"{method} {path}"
        for code, response in responses.items():
            if code.startswith(("4", "5")) and path != "/api/health":
                body = response.get("content", {}).get("application/json", {})
                assert body.get("schema", {}).get("$ref") == ERROR_REF, f"{method} {path} {code}"


def _api_routes(resolver=None, prefix=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _api_routes(pattern, route)
        elif isinstance(pattern, URLPattern) and route.lstrip("^").startswith("api/"):
            yield route, pattern.callback


def test_every_api_route_is_a_documented_drf_view(schema):
    """A plain Django view under /api/ would escape the schema, the error format and the
    token authentication; every route must be a DRF view that the schema lists."""
    documented = {re.sub(r"\{[^}]+\}", "{}", path).rstrip("/") for path in schema["paths"]}
    for route, callback in _api_routes():
        if route.lstrip("^") in DOC_ROUTES or "(?P<format>" in route:  # router format suffixes
            continue
        view = getattr(callback, "cls", None)
        assert view is not None and issubclass(view, APIView), f"{route} is not a DRF view"
        if view.schema is None:  # deliberately undocumented, e.g. a router's API root
            continue
        path = "/" + re.sub(r"\(\?P<[^>]+>[^)]+\)|<[^>]+>", "{}", route)
        path = path.replace("^", "").replace("/?$", "").replace("$", "").rstrip("/")
        assert path in documented, f"{route} is missing from the schema"


def test_routes_that_accept_both_spellings_are_documented_without_the_slash(schema):
    for path in schema["paths"]:
        if path.startswith("/api/exec/"):
            assert not path.endswith("/"), path


def test_operations_carry_examples_where_scripts_post(schema):
    start = schema["paths"]["/api/exec/runs"]["post"]["requestBody"]["content"]
    assert start["application/json"]["examples"]
    finish = schema["paths"]["/api/exec/runs/{id}/finish"]["post"]["requestBody"]["content"]
    assert finish["application/json"]["examples"]


def test_swagger_ui_is_served_from_the_portal_itself():
    client = APIClient()
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "://" not in html  # no CDN, no validator.swagger.io: works on an offline network
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    # The page's own script is a URL too (no inline script under the CSP, faultportal/csp.py).
    own_script = "/api/docs/?script="
    assert own_script in assets
    served_text = {}
    for asset in assets:
        assert asset.startswith("/static/") or asset == own_script, asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        body = b"".join(served.streaming_content if served.streaming else [served.content])
        assert body
        served_text[asset] = body.decode(errors="replace")
    assert '"/api/schema/"' in served_text[own_script]


# --- schemathesis against a live server ----------------------------------------------------------

MAX_EXAMPLES = int(os.environ.get("FP_SCHEMATHESIS_MAX_EXAMPLES", "25"))
BUDGET_SECONDS = int(os.environ.get("FP_SCHEMATHESIS_BUDGET_SECONDS", "600"))
SEED = os.environ.get("FP_SCHEMATHESIS_SEED", "20261128")
# Stable for every endpoint: no 5xx; every documented answer matches its schema and media type.
# (status_code_conformance would also fail on answers a view gives but does not document.)
CHECKS = os.environ.get(
    "FP_SCHEMATHESIS_CHECKS",
    "not_a_server_error,response_schema_conformance,content_type_conformance",
)


@pytest.fixture(scope="module")
def live_portal(migrated_mariadb, tmp_path_factory):
    log = tmp_path_factory.mktemp("schemathesis") / "gunicorn.log"
    env = {
        "DATABASE_URL": migrated_mariadb,
        # The run sends bursts; throttling would only hide the endpoints behind 429s.
        "INGEST_RATE_LIMIT": "1000000/min",
        "DIAGNOSE_RATE_LIMIT": "1000000/min",
    }
    with PortalServer(env, workers=2, log_path=log) as server:
        token = run_manage(
            "create_api_token",
            f"schemathesis-{uuid.uuid4().hex[:8]}",
            "--scopes",
            "ingest,read,diagnose",
            env={"DATABASE_URL": migrated_mariadb},
        )
        server.token = token.strip().splitlines()[-1]
        server.log = log
        yield server


def test_schemathesis_finds_no_server_errors(live_portal, tmp_path):
    """Property-based requests for every operation in the schema, bounded per operation."""
    st = Path(sys.executable).with_name("st")
    command = [
        str(st),
        "run",
        f"{live_portal.url}/api/schema/",
        "--header",
        f"Authorization: Token {live_portal.token}",
        "--checks",
        CHECKS,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        SEED,
        "--generation-database",
        "none",
        "--request-timeout",
        "20",
        "--no-color",
    ]
    try:
        result = subprocess.run(
            command, cwd=tmp_path, capture_output=True, text=True, timeout=BUDGET_SECONDS
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(
            f"schemathesis ran over its {BUDGET_SECONDS} s budget; lower "
            f"FP_SCHEMATHESIS_MAX_EXAMPLES.\n{exc.stdout or ''}"
        )
    report = result.stdout + result.stderr
    server_log = live_portal.log.read_text(errors="replace")[-5000:]
    assert result.returncode == 0, f"{report}\n--- server log (end) ---\n{server_log}"
    assert re.search(r"\d+ generated, \d+ passed", report), report
