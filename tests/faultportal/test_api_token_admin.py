"""API tokens in the admin: the plaintext is shown once, at creation, and never again."""

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from faultportal.api.authentication import lookup_token
from faultportal.models import ApiToken
from faultportal.services import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:faultportal_apitoken_changelist")
ADD_URL = reverse("admin:faultportal_apitoken_add")


def shown_token(response) -> str:
    match = re.search(r'id="api-token-plaintext"[^>]*value="([^"]+)"', response.content.decode())
    assert match, "no token field on the page"
    return match.group(1)


def test_creating_a_token_shows_a_working_plaintext_once(admin_client, admin_user):
    response = admin_client.post(ADD_URL, {"name": "flume-dn01", "scopes": ["ingest", "read"]})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = shown_token(response)

    info = lookup_token(raw)
    assert info is not None and info.name == "flume-dn01"
    assert info.scopes == {"ingest", "read"}
    token = ApiToken.objects.get(name="flume-dn01")
    assert token.created_by == admin_user

    # Never again: not on the list, the change page or its history, not kept in the session.
    for url in (
        LIST_URL,
        reverse("admin:faultportal_apitoken_change", args=[token.pk]),
        reverse("admin:faultportal_apitoken_history", args=[token.pk]),
    ):
        page = admin_client.get(url).content.decode()
        assert raw not in page
        assert token.prefix in page
    assert raw not in str(dict(admin_client.session.items()))
    assert all(raw not in morsel.value for morsel in admin_client.cookies.values())


def test_the_key_hash_is_neither_shown_nor_editable(admin_client):
    token, _ = api_token_create(name="scripts", scopes="ingest")
    change_url = reverse("admin:faultportal_apitoken_change", args=[token.pk])
    page = admin_client.get(change_url).content.decode()
    assert token.key_hash not in page and "key_hash" not in page

    admin_client.post(
        change_url, {"name": "scripts-renamed", "scopes": "ingest,read,diagnose", "key_hash": "0"}
    )
    token_after = ApiToken.objects.get(pk=token.pk)
    assert token_after.name == "scripts-renamed"  # the one editable field
    assert token_after.scopes == "ingest"
    assert token_after.key_hash == token.key_hash


def test_a_duplicate_name_or_no_scope_is_a_form_error(admin_client):
    api_token_create(name="taken", scopes="read")
    duplicate = admin_client.post(ADD_URL, {"name": "taken", "scopes": ["read"]})
    assert "already exists" in duplicate.content.decode()
    no_scope = admin_client.post(ADD_URL, {"name": "fresh", "scopes": []})
    assert "This field is required" in no_scope.content.decode()
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["taken"]


def test_the_revoke_action_revokes_the_selected_tokens(admin_client):
    keep, keep_raw = api_token_create(name="keep", scopes="ingest")
    old, old_raw = api_token_create(name="old", scopes="ingest")
    gone, _ = api_token_create(name="gone", scopes="ingest")
    api_token_revoke(token=gone)
    revoked_at = ApiToken.objects.get(pk=gone.pk).revoked_at

    response = admin_client.post(
        LIST_URL, {"action": "revoke_tokens", "_selected_action": [old.pk, gone.pk]}, follow=True
    )
    assert "Revoked 1 token(s)" in response.content.decode()
    assert lookup_token(old_raw) is None
    assert lookup_token(keep_raw) is not None
    assert ApiToken.objects.get(pk=gone.pk).revoked_at == revoked_at  # first revocation kept


def test_the_status_filter(admin_client):
    api_token_create(name="live", scopes="read")
    dead, _ = api_token_create(name="dead", scopes="read")
    api_token_revoke(token=dead)
    active = admin_client.get(LIST_URL + "?status=active").content.decode()
    revoked = admin_client.get(LIST_URL + "?status=revoked").content.decode()
    assert ">live<" in active and ">dead<" not in active
    assert ">dead<" in revoked and ">live<" not in revoked


def test_the_list_runs_five_queries_whatever_the_tokens(admin_client, django_assert_num_queries):
    for number in range(12):
        creator = User.objects.create_user(f"creator{number}")
        api_token_create(name=f"agent-{number}", scopes="ingest", created_by=creator)
    # 1 session, 2 user, 3 filtered count, 4 total count (a small table: the exact total is
    # cheap), 5 the tokens joined to their creators (list_select_related: no query per row).
    with django_assert_num_queries(5):
        response = admin_client.get(LIST_URL)
    assert response.content.decode().count('class="field-name"') == 12


def test_staff_without_token_rights_cannot_see_tokens(client):
    api_token_create(name="secret", scopes="ingest")
    staff = User.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get(LIST_URL).status_code == 403
    assert client.get(ADD_URL).status_code == 403
