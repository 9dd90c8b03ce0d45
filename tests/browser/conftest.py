"""Browser tests: Playwright for Python driving Debian's Chromium against the live test server.

Chromium comes from the distribution (`apt-get install chromium`; .ci/run does it), not from
`playwright install`, which needs internet access. Without /usr/bin/chromium (or the playwright
package) these tests are skipped on a developer machine and fail under CI=true.

pytest-django's live_server runs Django in a thread of this process; Playwright's sync API runs
its event loop in the main thread. While that loop runs, Django refuses ORM calls from the main
thread (SynchronousOnlyOperation), so the `page` fixture allows them for the test's duration:
the test thread makes its calls one at a time and never inside the loop itself.
"""

import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from tests.support import services

try:
    from playwright.sync_api import expect
except ImportError:  # the page fixture reports it: a skip, or a failure under CI
    expect = None

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",  # CI runs as root in a container
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    # Nothing may leave the machine: no updates, sync, metrics or component downloads.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_USERNAME = "ops"
ADMIN_PASSWORD = "browser-test-password"


def _sync_playwright():
    if not CHROMIUM.exists():
        services.unavailable(f"{CHROMIUM} is missing: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        services.unavailable(
            "the playwright package is missing: pip install -r requirements-dev.txt"
        )
    return sync_playwright


@pytest.fixture
def page(tmp_path, monkeypatch):
    """A page in a fresh headless Chromium profile, closed after the test."""
    sync_playwright = _sync_playwright()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 900},
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            context.close()


@pytest.fixture
def dialogs(page):
    """Messages of every alert/confirm/prompt the page opens (each is dismissed)."""
    opened: list[str] = []

    def on_dialog(dialog):
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return opened


@pytest.fixture
def admin_account(transactional_db):
    return get_user_model().objects.create_superuser(
        ADMIN_USERNAME, "ops@example.com", ADMIN_PASSWORD
    )


@pytest.fixture
def logged_in_page(page, live_server, admin_account):
    """`page`, logged in to the admin through its login form."""
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", ADMIN_USERNAME)
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page


def save_screenshot(page, name: str) -> None:
    """Write a PNG to $BROWSER_SCREENSHOTS/<name>.png when that directory is set (docs/)."""
    directory = os.environ.get("BROWSER_SCREENSHOTS")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=True)
