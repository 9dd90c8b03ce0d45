"""The standalone client (client/faultportal_exec.py), run as a child process the way cron runs
it, against a live gunicorn portal on a real MariaDB database, and against a closed port."""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.support.server import PortalServer, free_port
from tests.support.services import REPO_ROOT, run_manage

CLIENT = REPO_ROOT / "client" / "faultportal_exec.py"


def create_token(database_url: str, scopes: str) -> str:
    name = f"exec-client-{uuid.uuid4().hex[:8]}"
    out = run_manage(
        "create_api_token", name, "--scopes", scopes, env={"DATABASE_URL": database_url}
    )
    return out.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def portal(migrated_mariadb, tmp_path_factory):
    log = tmp_path_factory.mktemp("portal") / "gunicorn.log"
    server = PortalServer({"DATABASE_URL": migrated_mariadb}, workers=1, log_path=log)
    with server:
        server.ingest_token = create_token(migrated_mariadb, "ingest")
        server.read_token = create_token(migrated_mariadb, "read")
        yield server


@pytest.fixture
def spool(tmp_path) -> Path:
    return tmp_path / "spool"


def run_client(
    *args: str, url: str, token: str, spool: Path, **popen
) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "FAULTPORTAL_URL": url,
        "FAULTPORTAL_TOKEN": token,
        "FAULTPORTAL_SPOOL_DIR": str(spool),
        "FAULTPORTAL_HTTP_TIMEOUT": "5",
    }
    return subprocess.run(
        [sys.executable, str(CLIENT), *args],
        env=env,
        capture_output=True,
        timeout=120,
        **popen,
    )


def runs_of(portal: PortalServer, script: str) -> list[dict]:
    status, body = portal.get_json(f"/api/exec/runs?script={script}", token=portal.read_token)
    assert status == 200, body
    return body["results"]


def run_detail(portal: PortalServer, run_id: int) -> dict:
    status, body = portal.get_json(f"/api/exec/runs/{run_id}", token=portal.read_token)
    assert status == 200, body
    return body


def spooled(spool: Path) -> list[Path]:
    return sorted(spool.glob("*.json")) if spool.exists() else []


def closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there: connection refused


def test_it_reports_a_run_through_the_api(portal, spool):
    script = f"report-{uuid.uuid4().hex[:6]}"
    result = run_client(
        "--script", script, "--host", "dn07", "--trigger", "cron", "--",
        "sh", "-c", "echo checked 42 blocks; echo warning >&2; exit 3",
        url=portal.url, token=portal.ingest_token, spool=spool,
    )  # fmt: skip
    assert result.returncode == 3
    assert result.stdout == b"checked 42 blocks\n"  # streamed through untouched
    assert result.stderr == b"warning\n"  # and nothing of the wrapper's own when all went well
    [run] = runs_of(portal, script)
    detail = run_detail(portal, run["id"])
    assert (detail["host"], detail["trigger"], detail["status"]) == ("dn07", "cron", "failed")
    assert detail["exit_code"] == 3
    assert detail["stdout_tail"] == "checked 42 blocks\n"
    assert detail["stderr_tail"] == "warning\n"
    assert detail["args"] == ["sh", "-c", "echo checked 42 blocks; echo warning >&2; exit 3"]
    assert spooled(spool) == []


def test_while_the_portal_is_down_the_command_runs_and_the_report_waits_in_the_spool(portal, spool):
    script = f"spooled-{uuid.uuid4().hex[:6]}"
    down = closed_port_url()
    result = run_client(
        "--script", script, "--", "sh", "-c", "echo still ran; exit 5",
        url=down, token=portal.ingest_token, spool=spool,
    )  # fmt: skip
    assert result.returncode == 5
    assert result.stdout == b"still ran\n"
    assert b"report kept in" in result.stderr
    [entry_path] = spooled(spool)
    assert not list(spool.glob(".tmp-*"))  # written atomically, nothing half-done left
    entry = json.loads(entry_path.read_text())
    assert entry["finish"]["exit_code"] == 5
    assert runs_of(portal, script) == []

    # The portal is back: --flush-spool delivers it.
    saved = entry_path.read_bytes()
    flushed = run_client("--flush-spool", url=portal.url, token=portal.ingest_token, spool=spool)
    assert flushed.returncode == 0, flushed.stderr
    assert spooled(spool) == []
    [run] = runs_of(portal, script)
    detail = run_detail(portal, run["id"])
    assert (detail["status"], detail["exit_code"]) == ("failed", 5)
    assert detail["stdout_tail"] == "still ran\n"
    assert detail["client_run_id"] == entry["client_run_id"]
    assert detail["started_at"].startswith(entry["start"]["started_at"][:19])

    # The same report delivered again (a flush that died before deleting it) is recorded once.
    entry_path.write_bytes(saved)
    run_client("--flush-spool", url=portal.url, token=portal.ingest_token, spool=spool)
    assert spooled(spool) == []
    assert len(runs_of(portal, script)) == 1


def test_the_next_invocation_sends_what_earlier_ones_left_behind(portal, spool):
    first, second = (f"cron-{uuid.uuid4().hex[:6]}" for _ in range(2))
    run_client(
        "--script",
        first,
        "--",
        "true",
        url=closed_port_url(),
        token=portal.ingest_token,
        spool=spool,
    )
    assert len(spooled(spool)) == 1

    result = run_client(
        "--script", second, "--", "true", url=portal.url, token=portal.ingest_token, spool=spool
    )
    assert result.returncode == 0
    assert spooled(spool) == []
    assert [r["status"] for r in runs_of(portal, first)] == ["succeeded"]
    assert [r["status"] for r in runs_of(portal, second)] == ["succeeded"]


def test_a_refused_token_keeps_the_report_for_when_the_token_is_fixed(portal, spool):
    script = f"token-{uuid.uuid4().hex[:6]}"
    result = run_client(
        "--script", script, "--", "true", url=portal.url, token="fpt_wrong", spool=spool
    )
    assert result.returncode == 0
    assert len(spooled(spool)) == 1
    assert b"HTTP 401" in result.stderr

    run_client("--flush-spool", url=portal.url, token=portal.ingest_token, spool=spool)
    assert spooled(spool) == []
    assert len(runs_of(portal, script)) == 1


def test_a_report_the_portal_refuses_is_set_aside_not_retried_forever(portal, spool):
    script = f"refused-{uuid.uuid4().hex[:6]}"
    result = run_client(
        "--script", script, "--fault", "987654321", "--", "sh", "-c", "echo done",
        url=portal.url, token=portal.ingest_token, spool=spool,
    )  # fmt: skip
    assert result.returncode == 0  # the command ran all the same
    assert result.stdout == b"done\n"
    assert b"No fault with id 987654321" in result.stderr
    assert spooled(spool) == []
    [rejected] = list((spool / "rejected").glob("*.json"))
    kept = json.loads(rejected.read_text())
    assert "No fault with id 987654321" in kept["rejected_reason"]
    assert kept["finish"]["stdout"] == "done\n"


@pytest.mark.parametrize(
    ("command", "exit_code", "status"),
    [
        (["true"], 0, "succeeded"),
        (["sh", "-c", "exit 7"], 7, "failed"),
        (["sh", "-c", "kill -TERM $$"], 143, "failed"),
        (["/nonexistent/runbook.sh"], 127, "failed"),
    ],
)
def test_the_client_exits_with_the_commands_code(portal, spool, command, exit_code, status):
    script = f"code-{uuid.uuid4().hex[:6]}"
    result = run_client(
        "--script", script, "--", *command, url=portal.url, token=portal.ingest_token, spool=spool
    )
    assert result.returncode == exit_code
    [run] = runs_of(portal, script)
    assert (run["status"], run["exit_code"]) == (status, exit_code)


def test_the_client_enforces_its_timeout(portal, spool):
    script = f"slow-{uuid.uuid4().hex[:6]}"
    result = run_client(
        "--script", script, "--timeout", "1", "--kill-after", "1", "--", "sleep", "60",
        url=portal.url, token=portal.ingest_token, spool=spool,
    )  # fmt: skip
    assert result.returncode == 124
    [run] = runs_of(portal, script)
    assert (run["status"], run["exit_code"], run["timeout_seconds"]) == ("timed_out", 124, 1)


def test_non_utf8_output_reaches_the_portal_as_text(portal, spool):
    script = f"latin1-{uuid.uuid4().hex[:6]}"
    result = run_client(
        "--script", script, "--", "printf", "caf\\351\\n",
        url=portal.url, token=portal.ingest_token, spool=spool,
    )  # fmt: skip
    assert result.stdout == b"caf\xe9\n"  # the terminal gets the bytes as they were
    [run] = runs_of(portal, script)
    assert run_detail(portal, run["id"])["stdout_tail"] == "caf\ufffd\n"


def test_a_wrapper_killed_mid_run_still_tells_the_portal_the_run_started(portal, spool, tmp_path):
    """Its start waits in the spool; once the wrapper is gone a flush sends it, and the portal
    will time the run out: a run that started and never reported its end."""
    script = f"killed-{uuid.uuid4().hex[:6]}"
    pidfile = tmp_path / "child.pid"
    env = {
        **os.environ,
        "FAULTPORTAL_URL": closed_port_url(),
        "FAULTPORTAL_TOKEN": portal.ingest_token,
        "FAULTPORTAL_SPOOL_DIR": str(spool),
    }
    wrapper = subprocess.Popen(
        [
            sys.executable,
            str(CLIENT),
            "--script",
            script,
            "--",
            "sh",
            "-c",
            f"echo $$ > {pidfile}; exec sleep 60",
        ],
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while not (list(spool.glob("*.running.json")) and pidfile.exists()):
            assert time.monotonic() < deadline, "the wrapper never marked its run as started"
            time.sleep(0.05)
        # A flush while the wrapper lives leaves its marker alone.
        run_client("--flush-spool", url=portal.url, token=portal.ingest_token, spool=spool)
        assert runs_of(portal, script) == []
        wrapper.kill()
        wrapper.wait()
    finally:
        if wrapper.poll() is None:
            wrapper.kill()
        if pidfile.exists() and pidfile.read_text().strip():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(int(pidfile.read_text()), signal.SIGKILL)
    run_client("--flush-spool", url=portal.url, token=portal.ingest_token, spool=spool)
    assert spooled(spool) == []
    [run] = runs_of(portal, script)
    assert run["status"] == "running" and run["finished_at"] is None


def test_the_client_needs_only_python_36():
    """Hadoop nodes run old distributions: vermin checks no newer syntax or library slipped in."""
    vermin = shutil.which("vermin", path=str(Path(sys.executable).parent))
    assert vermin, "vermin is in requirements-dev.txt"
    result = subprocess.run(
        [vermin, "-t=3.6-", "--no-tips", "--violations", "--eval-annotations", str(CLIENT)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_client_imports_nothing_outside_the_standard_library():
    program = (
        "import sys, runpy; sys.path[:] = [p for p in sys.path if 'site-packages' not in p]; "
        f"runpy.run_path({str(CLIENT)!r}, run_name='imported')"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", program], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_flush_spool_tells_cron_whether_reports_are_still_waiting(portal, spool):
    empty = run_client("--flush-spool", url=portal.url, token=portal.ingest_token, spool=spool)
    assert (empty.returncode, empty.stderr) == (0, b"")  # nothing to do: no cron mail

    down = closed_port_url()
    run_client("--", "true", url=down, token=portal.ingest_token, spool=spool)
    waiting = run_client("--flush-spool", url=down, token=portal.ingest_token, spool=spool)
    assert waiting.returncode == 75  # EX_TEMPFAIL
    assert b"1 waiting" in waiting.stderr
    assert len(spooled(spool)) == 1


def test_an_interrupted_wrapper_stops_the_command_and_reports_it_aborted(portal, spool, tmp_path):
    script = f"interrupted-{uuid.uuid4().hex[:6]}"
    pidfile = tmp_path / "child.pid"
    env = {
        **os.environ,
        "FAULTPORTAL_URL": portal.url,
        "FAULTPORTAL_TOKEN": portal.ingest_token,
        "FAULTPORTAL_SPOOL_DIR": str(spool),
    }
    wrapper = subprocess.Popen(
        [
            sys.executable,
            str(CLIENT),
            "--script",
            script,
            "--",
            "sh",
            "-c",
            f"echo $$ > {pidfile}; exec sleep 60",
        ],
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while not (pidfile.exists() and pidfile.read_text().strip()):
            assert time.monotonic() < deadline, "the command never started"
            time.sleep(0.05)
        wrapper.send_signal(signal.SIGTERM)  # e.g. an operator's kill, or systemd stopping cron
        assert wrapper.wait(timeout=60) == 128 + signal.SIGTERM
    finally:
        if wrapper.poll() is None:
            wrapper.kill()
    with pytest.raises(ProcessLookupError):
        os.kill(int(pidfile.read_text()), 0)  # the command went with it (and was reaped)
    [run] = runs_of(portal, script)
    assert (run["status"], run["exit_code"]) == ("aborted", 143)


def test_the_command_never_sees_the_token_in_its_environment(spool):
    """`ps e` and /proc/<pid>/environ would show it to every process of the job's user."""
    result = run_client(
        "--script", "env-check", "--",
        "sh", "-c", 'echo "token=${FAULTPORTAL_TOKEN-unset} url=${FAULTPORTAL_URL-unset}"',
        url=closed_port_url(), token="fpt_secret_in_env", spool=spool,
    )  # fmt: skip
    assert result.returncode == 0
    assert result.stdout.startswith(b"token=unset url=http://127.0.0.1:")
