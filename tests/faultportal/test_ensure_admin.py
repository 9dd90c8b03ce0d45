"""ensure_admin: the demo's login, a superuser whose password changes on every run."""

import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

LOGIN = re.compile(r"^Admin login: (\S+) / (\S+)$", re.MULTILINE)


def run(capsys, *args) -> tuple[str, str, str]:
    call_command("ensure_admin", *args)
    out = capsys.readouterr().out
    username, password = LOGIN.search(out).groups()
    return username, password, out


def test_it_creates_a_superuser_and_prints_a_working_login(capsys, monkeypatch):
    monkeypatch.setenv("PORT", "8765")
    username, password, out = run(capsys)
    assert username == "admin"
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.is_staff and user.is_active
    assert "http://localhost:8765/admin/" in out
    client = Client()
    assert client.login(username="admin", password=password)
    assert client.get("/admin/").status_code == 200


def test_each_run_sets_a_new_password_and_keeps_one_user(capsys):
    _, first, _ = run(capsys)
    _, second, out = run(capsys)
    assert first != second
    assert "Reset the password" in out
    assert get_user_model().objects.filter(username="admin").count() == 1
    assert authenticate(username="admin", password=first) is None
    assert authenticate(username="admin", password=second) is not None


def test_the_username_is_an_option_and_a_demoted_user_is_made_superuser_again(capsys):
    get_user_model().objects.create_user("oncall", password="old", is_active=False)
    username, password, _ = run(capsys, "--username", "oncall")
    user = get_user_model().objects.get(username="oncall")
    assert username == "oncall" and user.is_superuser and user.is_active
    assert user.check_password(password)
