"""deploy/systemd: every unit passes `systemd-analyze verify`, and the timers run what the
README says they run."""

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import services
from tests.support.services import REPO_ROOT

UNITS = REPO_ROOT / "deploy" / "systemd"
INSTALL_DIR = "/opt/faultportal"


def unit_files() -> list[Path]:
    return sorted(p for p in UNITS.iterdir() if p.suffix in (".service", ".timer", ".socket"))


def parse(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(path)
    return parser


@pytest.fixture(scope="module")
def systemd_analyze():
    found = shutil.which("systemd-analyze")
    if not found:
        services.unavailable("systemd-analyze is not installed (apt-get install systemd)")
    return found


def test_every_unit_passes_systemd_analyze_verify(systemd_analyze, tmp_path):
    # The units name the documented install path; here the checkout and its virtualenv stand
    # in for it, so verify can check that every ExecStart is an executable.
    venv_bin = str(Path(sys.executable).parent)
    copies = []
    for path in unit_files():
        text = path.read_text()
        text = text.replace(f"{INSTALL_DIR}/.venv/bin", venv_bin).replace(
            INSTALL_DIR, str(REPO_ROOT)
        )
        copy = tmp_path / path.name
        copy.write_text(text)
        copies.append(str(copy))
    result = subprocess.run(
        [systemd_analyze, "verify", "--man=no", *copies],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # verify exits 0 on some mistakes (an unknown key is only "ignoring"): any word is a fault.
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), (
        result.stdout + result.stderr
    )


def test_each_timer_starts_a_unit_that_exists():
    names = {p.name for p in unit_files()}
    for timer in (p for p in unit_files() if p.suffix == ".timer"):
        target = parse(timer)["Timer"].get("Unit", timer.stem + ".service")
        assert target in names, f"{timer.name} starts {target}, which is not in deploy/systemd"


def command_of(name: str) -> str:
    return parse(UNITS / name)["Service"]["ExecStart"]


@pytest.mark.parametrize(
    ("timer", "command"),
    [
        ("faultportal-collector.timer", "manage.py collect_cluster_status"),
        ("faultportal-prune.timer", "manage.py prune"),
        ("faultportal-auto-resolve.timer", "manage.py auto_resolve_faults"),
        ("faultportal-exec-timeouts.timer", "manage.py time_out_exec_runs"),
        ("faultportal-watchdogs.timer", "manage.py watchdogs"),
    ],
)
def test_the_periodic_commands_have_timers(timer, command):
    service = parse(UNITS / timer)["Timer"]["Unit"]
    assert command_of(service).endswith(command)
    assert parse(UNITS / service)["Service"]["Type"] == "oneshot"


def test_the_long_running_processes_have_services():
    assert command_of("faultportal.service").endswith(
        "gunicorn faultportal.wsgi -c gunicorn.conf.py"
    )
    assert command_of("faultportal-notify.service").endswith("manage.py notify")
    assert command_of("faultportal-thrift.service").endswith("manage.py flume_thrift_source")
    for name in ("faultportal.service", "faultportal-notify.service", "faultportal-thrift.service"):
        assert parse(UNITS / name)["Install"]["WantedBy"] == "multi-user.target"
