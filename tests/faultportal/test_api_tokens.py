"""API tokens: hashed, scoped, revocable; accepted in the query or the Authorization header."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from faultportal.api.authentication import clear_token_cache, lookup_token
from faultportal.models import ApiToken
from faultportal.services import api_token_create, api_token_revoke, hash_token

pytestmark = pytest.mark.django_db


def test_it_stores_only_a_hash(make_token):
    raw = make_token("ingest")
    token = ApiToken.objects.get()
    assert raw not in (token.key_hash, token.prefix, token.scopes)
    assert token.key_hash == hash_token(raw)
    assert raw.startswith(token.prefix)


def test_the_command_prints_the_token_alone_on_its_last_line(capsys):
    call_command("create_api_token", "flume-dn01", "--scopes", "ingest,read")
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    token = lookup_token(last_line)
    assert token is not None and token.name == "flume-dn01"
    assert token.scopes == {"ingest", "read"}


def test_the_command_defaults_to_the_ingest_scope(capsys):
    call_command("create_api_token", "scripts")
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    assert lookup_token(raw).scopes == {"ingest"}


def test_it_refuses_unknown_scopes_and_duplicate_names():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Unknown scope"):
        api_token_create(name="x", scopes="ingest,admin")
    api_token_create(name="dup", scopes="read")
    with pytest.raises(ValidationError, match="already exists"):
        api_token_create(name="dup", scopes="read")


def test_a_revoked_token_stops_working():
    token, raw = api_token_create(name="old", scopes="read")
    assert lookup_token(raw) is not None
    api_token_revoke(token=token)
    clear_token_cache()
    assert lookup_token(raw) is None


@pytest.mark.parametrize("placement", ["query", "header"])
def test_health_and_auth_placements(placement, make_token):
    """The authentication class takes the token in either place (scripts use both)."""
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from faultportal.api.authentication import ApiTokenAuthentication

    raw = make_token("read")
    factory = APIRequestFactory()
    if placement == "query":
        django_request = factory.get(f"/api/x?token={raw}")
    else:
        django_request = factory.get("/api/x", HTTP_AUTHORIZATION=f"Token {raw}")
    user, info = ApiTokenAuthentication().authenticate(Request(django_request))
    assert info.has_scope("read")
    assert str(user).startswith("token:")


def test_read_endpoints_keep_taking_a_token_in_the_url(make_token):
    """Existing scripts call the read API with ?token=: that contract stays (the logs redact it)."""
    from rest_framework.test import APIClient

    raw = make_token("read,ingest")
    client = APIClient()
    for path in ("/api/faults/", "/api/cluster/status", "/api/exec/runs"):
        assert client.get(f"{path}?token={raw}").status_code == 200, path
        assert client.get(f"{path}?token=fpt_wrong").status_code == 401, path
    ingest = client.post(
        f"/api/log/auto-upload?token={raw}&host=dn01", b"a line", content_type="text/plain"
    )
    assert ingest.status_code == 200


def test_last_used_is_recorded(make_token):
    raw = make_token("read")
    assert ApiToken.objects.get().last_used_at is None
    lookup_token(raw)
    assert ApiToken.objects.get().last_used_at is not None


def test_unknown_api_paths_answer_json_404():
    response = APIClient().get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
