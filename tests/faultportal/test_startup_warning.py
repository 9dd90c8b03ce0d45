"""The portal's process logs a warning at start when ALLOWED_HOSTS is '*', except in the demo
(the check under `check --deploy`: test_https_settings.py)."""

import subprocess
import sys

from tests.support.services import REPO_ROOT


def start_wsgi(tmp_path, **env) -> str:
    result = subprocess.run(
        [sys.executable, "-c", "import faultportal.wsgi"],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_a_wildcard_allowed_hosts_is_warned_about_when_the_application_loads(tmp_path):
    assert "ALLOWED_HOSTS is '*'" in start_wsgi(tmp_path, ALLOWED_HOSTS="*")
    assert "ALLOWED_HOSTS is '*'" in start_wsgi(tmp_path)  # the default


def test_no_warning_with_named_hosts_or_in_the_demo(tmp_path):
    assert "ALLOWED_HOSTS" not in start_wsgi(tmp_path, ALLOWED_HOSTS="portal.example.com")
    assert "ALLOWED_HOSTS" not in start_wsgi(tmp_path, FAULTPORTAL_DEMO="1")
