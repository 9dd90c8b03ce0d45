"""The MySQL backend pings a reused connection before a request only when it sat idle."""

import pytest
from django.db import connections

from faultportal.db.mysql import base

pytestmark = pytest.mark.django_db

connection = connections["default"]  # the wrapper itself (not the proxy), to patch it


@pytest.fixture
def pings(on_mariadb, monkeypatch):
    calls = []
    real = connection.is_usable

    def counting():
        calls.append(1)
        return real()

    monkeypatch.setattr(connection, "is_usable", counting)
    connection.ensure_connection()
    monkeypatch.setattr(connection, "health_check_enabled", True)
    return calls


def start_request():
    connection.health_check_done = False  # what Django does when a request starts


def test_a_just_used_connection_is_not_pinged(pings):
    connection.cursor().execute("SELECT 1")
    start_request()
    connection.cursor().execute("SELECT 1")
    assert pings == []


@pytest.mark.django_db(transaction=True)  # a connection can only be replaced between transactions
def test_an_idle_connection_is_pinged_and_replaced_when_dead(pings, monkeypatch):
    connection.cursor().execute("SELECT 1")
    monkeypatch.setattr(base, "IDLE_BEFORE_PING_SECONDS", 0.0)
    start_request()
    connection.cursor().execute("SELECT 1")
    assert pings == [1]

    monkeypatch.setattr(connection, "is_usable", lambda: False)  # the server went away
    start_request()
    with connection.cursor() as cursor:  # a fresh connection, not an error
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
