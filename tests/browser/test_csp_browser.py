"""The Content-Security-Policy in Chromium: every page renders and works with no violation (the
dashboard, the log explorer, the admin and its scripts, the API docs), and the header is strict."""

import pytest
from django.urls import reverse

from cluster.cache import status_cache_invalidate
from logs.volume import log_volume_forget
from tests.browser.conftest import ADMIN_PASSWORD, ADMIN_USERNAME, expect
from tests.dashboard.pages_data import add_fault, add_line, add_run, populate

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _fresh_caches():
    status_cache_invalidate()
    log_volume_forget()
    yield


@pytest.fixture
def violations(page):
    """Every CSP violation Chromium reports, from the console and the DOM event."""
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    # Injected by the browser itself (DevTools), not by the page, so the policy does not apply.
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + "
        "e.blockedURI));"
    )
    return seen


def visit(page, url: str):
    response = page.goto(url)
    assert response.status == 200, url
    page.wait_for_load_state("networkidle")
    return response


def test_the_policy_is_strict(page, live_server, violations):
    response = visit(page, f"{live_server.url}/admin/login/")
    policy = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no host
    assert directives["style-src"].startswith("'self'")
    assert "unsafe" not in policy and "http" not in policy
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert violations == []


def test_signing_in_and_every_page_render_without_a_violation(page, live_server, violations):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser(ADMIN_USERNAME, "ops@example.com", ADMIN_PASSWORD)
    populate(faults=6, datanodes=2)
    fault = add_fault(host="dn01.example.com")
    line = add_line(host="dn01.example.com", level="ERROR", message="DiskErrorException")
    add_run(host="dn01.example.com", fault=fault, exit_code=1)

    visit(page, f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", ADMIN_USERNAME)
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    pages = [
        reverse("dashboard"),
        reverse("dashboard-host", args=["dn01.example.com"]),
        reverse("dashboard-fault", args=[fault.pk]),
        reverse("dashboard-logs"),
        reverse("dashboard-log-context", args=[line.pk]),
        reverse("admin:index"),
        reverse("admin:logs_systemlog_changelist"),
        reverse("admin:logs_systemlog_change", args=[line.pk]),
        reverse("admin:diagnosis_faultrecord_changelist"),
        reverse("admin:diagnosis_faultrecord_change", args=[fault.pk]),
        reverse("admin:diagnosis_faulttype_changelist"),
        reverse("admin:runs_execlog_changelist"),
        reverse("admin:runs_execlog_scripts"),
        reverse("admin:cluster_clusterstatus_changelist"),
        reverse("admin:faultportal_apitoken_add"),
    ]
    for url in pages:
        visit(page, f"{live_server.url}{url}")
        assert violations == [], (url, violations)

    # The admin's own scripts run: the filter sidebar and the action bar of the fault list.
    visit(page, f"{live_server.url}{reverse('admin:diagnosis_faultrecord_changelist')}")
    page.locator("#action-toggle").check()
    expect(page.locator(".action-counter")).to_contain_text("selected")
    assert violations == []


def test_the_token_created_page_s_copy_button_works(page, live_server, violations):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser(ADMIN_USERNAME, "ops@example.com", ADMIN_PASSWORD)
    visit(page, f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", ADMIN_USERNAME)
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    visit(page, f"{live_server.url}{reverse('admin:faultportal_apitoken_add')}")
    page.fill("#id_name", "flume-dn01")
    page.locator("input[name=scopes][value=ingest]").check()
    page.locator("input[name=_save]").click()
    expect(page.locator("#api-token-plaintext")).to_be_visible()
    page.click("#api-token-copy")  # its handler is a static file now
    selected = page.evaluate(
        "(() => { const f = document.getElementById('api-token-plaintext');"
        " return [f.selectionStart, f.selectionEnd, f.value.length]; })()"
    )
    assert selected[0] == 0 and selected[1] == selected[2] > 20
    assert violations == []


def test_the_api_docs_render_under_the_policy(page, live_server, violations):
    visit(page, f"{live_server.url}{reverse('api-docs')}")
    expect(page.locator("#swagger-ui .info .title")).to_contain_text("faultportal API")
    expect(page.locator("#swagger-ui .opblock").first).to_be_visible()
    assert violations == []


def test_the_lockout_page_renders_in_the_browser_without_a_violation(page, live_server, violations):
    from django.conf import settings
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser(ADMIN_USERNAME, "ops@example.com", ADMIN_PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        visit(page, f"{live_server.url}/admin/login/?next=/admin/")
        page.fill("#id_username", ADMIN_USERNAME)
        page.fill("#id_password", "not-the-password")
        with page.expect_navigation() as answer:
            page.click("input[type=submit]")
    assert answer.value.status == 429
    expect(page.locator("h1")).to_contain_text("Too many failed sign-ins")
    expect(page.get_by_role("link", name="Back to sign-in")).to_be_visible()
    assert violations == []
