"""Take the README's screenshots from a running portal (the demo: ./bin/demo), 1280 px wide.

    ./bin/demo                     # prints "Admin login: admin / <password>"
    FP_PASSWORD=<password> .venv/bin/python docs/screenshots.py --url http://localhost:8000

Drives Debian's Chromium (apt-get install chromium) through Playwright, like the browser tests.
Writes docs/dashboard.png, docs/host.png, docs/fault.png, docs/admin-faults.png and
docs/admin-fault.png. The fault shown is --fault, else the first one the dashboard lists; it is
diagnosed first (the admin's "Diagnose selected faults" action, the offline rule engine).
"""

import argparse
import os
import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

DOCS = Path(__file__).resolve().parent
WIDTH = 1280


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:8000")
    parser.add_argument("--user", default=os.environ.get("FP_USER", "admin"))
    parser.add_argument("--fault", type=int, help="fault id to show (default: the newest)")
    parser.add_argument("--out", type=Path, default=DOCS)
    args = parser.parse_args()
    password = os.environ.get("FP_PASSWORD")
    if not password:
        parser.error("set FP_PASSWORD to the admin's password")
    base = args.url.rstrip("/")
    args.out.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": WIDTH, "height": 1000})
        page.goto(f"{base}/admin/login/?next=/dashboard/")
        page.fill("#id_username", args.user)
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        page.wait_for_url(f"{base}/dashboard/")

        def shoot(name: str, path: str, *, full_page: bool = True) -> None:
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            sidebar = page.locator("#toggle-nav-sidebar")
            if sidebar.count() and page.locator("#nav-sidebar").is_visible():
                sidebar.click()  # the admin's app list takes a third of 1280 px
                page.wait_for_timeout(300)
                page.evaluate("() => window.scrollTo(0, 0)")
            target = args.out / f"{name}.png"
            page.screenshot(path=str(target), full_page=full_page)
            print(f"{target} ({target.stat().st_size // 1024} KiB)")

        shoot("dashboard", "/dashboard/")
        fault = args.fault
        if fault is None:
            href = page.locator("#newest-faults a").first.get_attribute("href")
            fault = int(re.search(r"/faults/(\d+)/", href).group(1))
        diagnose(page, base, fault)
        shoot("fault", f"/dashboard/faults/{fault}/")
        host = page.locator("#fault-facts a[href*='/hosts/']").first
        if host.count():
            shoot("host", host.get_attribute("href"))
        shoot("admin-faults", "/admin/diagnosis/faultrecord/", full_page=False)
        shoot("admin-fault", f"/admin/diagnosis/faultrecord/{fault}/change/", full_page=False)
        browser.close()
    return 0


def diagnose(page, base: str, fault: int) -> None:
    """Run the admin's "Diagnose selected faults" on the fault, as an operator would."""
    page.goto(f"{base}/admin/diagnosis/faultrecord/?q={fault}")
    page.locator("input.action-select").first.check()
    page.select_option("select[name=action]", "diagnose_faults")
    page.click("button[name=index]")
    page.wait_for_load_state("networkidle")


if __name__ == "__main__":
    sys.exit(main())
