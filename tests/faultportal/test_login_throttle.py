"""Sign-in throttling: a username + address pair is locked out after LOGIN_FAILURE_LIMIT wrong
passwords; the admin from elsewhere, API tokens and ingestion are not affected; every failure
is logged. Runs on both databases (the suite's two passes)."""

import logging

import pytest
from django.conf import settings
from django.test import Client

from logs.models import SystemLog

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.7"
ADMIN_DESK = "10.0.3.15"
LOGIN = "/admin/login/"


def sign_in(client, username, password, address):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address
    )


def fail(times: int, username="admin", address=ATTACKER):
    client = Client()
    for _ in range(times):
        response = sign_in(client, username, "wrong-password", address)
    return response


def test_the_limit_is_five_failures_by_default():
    assert settings.AXES_FAILURE_LIMIT == settings.LOGIN_FAILURE_LIMIT == 5


def test_failures_below_the_limit_show_the_form_again(admin_user):
    response = fail(settings.AXES_FAILURE_LIMIT - 1)
    assert response.status_code == 200 and b'name="password"' in response.content
    # and the right password still works
    assert sign_in(Client(), "admin", "password", ATTACKER).status_code == 302


def test_the_pair_is_locked_out_after_the_limit_even_with_the_right_password(admin_user):
    response = fail(settings.AXES_FAILURE_LIMIT)
    assert response.status_code == 429
    again = sign_in(Client(), "admin", "password", ATTACKER)
    assert again.status_code == 429
    assert int(again["Retry-After"]) == settings.LOGIN_LOCKOUT_MINUTES * 60
    assert again["Content-Type"].startswith("text/html")
    page = again.content.decode()
    assert "Too many failed sign-ins" in page and "Traceback" not in page
    assert f"paused for {settings.LOGIN_LOCKOUT_MINUTES} minutes" in page
    assert 'name="password"' not in page  # nothing to try


def test_the_admin_from_another_address_is_not_locked_out(admin_user):
    fail(settings.AXES_FAILURE_LIMIT + 3)
    client = Client()
    response = sign_in(client, "admin", "password", ADMIN_DESK)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/", REMOTE_ADDR=ADMIN_DESK).status_code == 200


def test_another_username_from_the_locked_address_is_not_locked_out(django_user_model):
    django_user_model.objects.create_user("oper", password="oper-pass-123", is_staff=True)
    fail(settings.AXES_FAILURE_LIMIT, username="admin")
    assert sign_in(Client(), "oper", "oper-pass-123", ATTACKER).status_code == 302


def test_ingest_and_the_api_are_unaffected_while_locked_out(admin_user, make_token):
    fail(settings.AXES_FAILURE_LIMIT + 2)
    assert sign_in(Client(), "admin", "password", ATTACKER).status_code == 429
    token = make_token("ingest,read")
    client = Client()
    response = client.post(
        f"/api/log/auto-upload?host=dn01&token={token}",
        b"2026-11-28 10:15:32,123 INFO a.B: while locked",
        content_type="text/plain",
        REMOTE_ADDR=ATTACKER,
    )
    assert response.status_code == 200 and SystemLog.objects.count() == 1
    api = client.get("/api/faults/", HTTP_AUTHORIZATION=f"Token {token}", REMOTE_ADDR=ATTACKER)
    assert api.status_code == 200


def test_a_success_below_the_limit_resets_the_count(admin_user):
    fail(settings.AXES_FAILURE_LIMIT - 1)
    assert sign_in(Client(), "admin", "password", ATTACKER).status_code == 302
    response = fail(settings.AXES_FAILURE_LIMIT - 1)
    assert response.status_code == 200  # counting from zero again


def test_failures_and_the_lockout_are_logged_with_the_username_quoted(admin_user, caplog):
    caplog.set_level(logging.WARNING, logger="faultportal.auth")
    fail(1, username="admin\nFAKE LINE")
    fail(settings.AXES_FAILURE_LIMIT)
    messages = [r.getMessage() for r in caplog.records if r.name == "faultportal.auth"]
    assert f"sign-in failed: username 'admin' from {ATTACKER} (1 of 5 before a lockout)" in messages
    assert any("'admin\\nFAKE LINE'" in m for m in messages)
    assert all("\n" not in m for m in messages)
    assert any(
        m.startswith("sign-in locked out for 15 minutes: username 'admin'") for m in messages
    )
