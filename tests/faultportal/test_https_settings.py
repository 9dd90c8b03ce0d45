"""HTTPS=1 sets the safe group and `check --deploy` is clean; ALLOWED_HOSTS=* is warned about."""

import json
import subprocess
import sys

from tests.support.services import REPO_ROOT, run_manage

SETTINGS = [
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
]


def settings_with(env: dict) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {SETTINGS!r}}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "faultportal.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_https_sets_the_safe_group_and_each_setting_can_still_be_set(tmp_path):
    base = {"DATA_DIR": str(tmp_path)}
    plain = settings_with(base)
    assert plain["SECURE_SSL_REDIRECT"] is False and plain["SECURE_HSTS_SECONDS"] == 0
    assert plain["SESSION_COOKIE_SECURE"] is False and plain["SECURE_PROXY_SSL_HEADER"] is None
    https = settings_with({**base, "HTTPS": "1"})
    assert https == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }
    tuned = settings_with(
        {**base, "HTTPS": "1", "SECURE_HSTS_SECONDS": "3600", "SECURE_SSL_REDIRECT": "0"}
    )
    assert tuned["SECURE_HSTS_SECONDS"] == 3600 and tuned["SECURE_SSL_REDIRECT"] is False


def test_check_deploy_is_clean_with_https_and_named_hosts(tmp_path):
    env = {"DATA_DIR": str(tmp_path), "HTTPS": "1", "ALLOWED_HOSTS": "portal.example.com"}
    out = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert "no issues" in out


def test_allowed_hosts_any_is_warned_about_outside_the_demo(tmp_path):
    env = {"DATA_DIR": str(tmp_path), "HTTPS": "1", "ALLOWED_HOSTS": "*"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "faultportal.W001" in result.stderr and "ALLOWED_HOSTS is '*'" in result.stderr
    demo = run_manage("check", "--deploy", env={**env, "FAULTPORTAL_DEMO": "1"})
    assert "faultportal.W001" not in demo
