"""The Content-Security-Policy header on every page, and no template that would need it loosened
(in Chromium: tests/browser/test_csp_browser.py)."""

import re

import pytest
from django.test import Client

from faultportal.csp import POLICY
from faultportal.errors import database_unavailable
from tests.support.services import REPO_ROOT

pytestmark = pytest.mark.django_db

INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an event-handler attribute"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_pages_and_errors_carry_the_policy(admin_client):
    for url in ("/dashboard/", "/admin/", "/admin/logs/systemlog/", "/api/docs/", "/no-such-page"):
        response = admin_client.get(url)
        assert response["Content-Security-Policy"] == POLICY, url
    assert Client().get("/admin/login/")["Content-Security-Policy"] == POLICY


def test_the_database_down_page_has_no_inline_style(rf):
    page = database_unavailable(rf.get("/dashboard/")).content.decode()
    assert "style=" not in page and "<style" not in page
    assert 'href="/static/faultportal/error.css"' in page


def test_no_template_of_the_portal_has_inline_script_or_style():
    found = []
    templates = [
        path
        for path in REPO_ROOT.rglob("*.html")
        if ".venv" not in path.parts and "tests" not in path.parts and "var" not in path.parts
    ]
    assert len(templates) > 15
    for path in templates:
        text = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", "", path.read_text(), flags=re.S)
        for pattern, what in INLINE:
            if pattern.search(text):
                found.append(f"{path.relative_to(REPO_ROOT)}: {what}")
    assert found == []
