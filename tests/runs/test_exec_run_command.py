"""python manage.py exec_run: runs a command, records it, exits with the command's exit code."""

import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from runs.models import ExecLog

pytestmark = pytest.mark.django_db


def process_gone(pid: int, wait: float = 5.0) -> bool:
    """True once pid has exited (a zombie waiting for init to reap it counts as exited)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state in ("Z", "X"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def exec_run(*args: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        call_command("exec_run", *args)
    return exit_info.value.code


def test_it_exits_with_the_commands_code_and_records_its_output(capfd):
    code = exec_run(
        "--script", "probe", "--host", "nn01", "--", "sh", "-c", "echo out; echo err >&2; exit 7"
    )
    assert code == 7
    run = ExecLog.objects.get()
    assert (run.script, run.host, run.status, run.exit_code) == ("probe", "nn01", "failed", 7)
    assert (run.stdout_tail, run.stderr_tail) == ("out\n", "err\n")
    assert run.args == ["sh", "-c", "echo out; echo err >&2; exit 7"]
    assert run.finished_at >= run.started_at and run.duration_seconds >= 0
    streamed = capfd.readouterr()
    assert "out" in streamed.out and "err" in streamed.err  # passed through to the terminal


def test_a_successful_command_is_recorded_as_succeeded():
    assert exec_run("--", "true") == 0
    run = ExecLog.objects.get()
    assert (run.script, run.status, run.exit_code) == ("true", "succeeded", 0)


def test_the_timeout_stops_the_whole_process_group_and_exits_124(tmp_path):
    pidfile = tmp_path / "pid"
    script = f"sleep 60 & echo $! > {pidfile}; wait"
    code = exec_run(
        "--script", "hang", "--timeout", "1", "--kill-after", "2", "--", "sh", "-c", script
    )
    assert code == 124
    run = ExecLog.objects.get()
    assert (run.status, run.exit_code, run.timeout_seconds) == ("timed_out", 124, 1)
    assert "timed out after 1 s" in run.stderr_tail
    assert process_gone(int(pidfile.read_text()))  # the background sleep went with its parent


def test_a_missing_command_exits_127_and_is_recorded_as_failed():
    assert exec_run("--script", "ghost", "--", "/nonexistent/fix-it.sh") == 127
    run = ExecLog.objects.get()
    assert (run.status, run.exit_code) == ("failed", 127)
    assert "command not found" in run.stderr_tail


def test_a_command_killed_by_a_signal_exits_128_plus_the_signal():
    assert exec_run("--", "sh", "-c", "kill -9 $$") == 137
    assert ExecLog.objects.get().exit_code == 137


def test_non_utf8_output_is_kept_as_text():
    exec_run("--", "printf", "caf\\351 \\377\\n")
    assert ExecLog.objects.get().stdout_tail == "caf\ufffd \ufffd\n"


@override_settings(EXEC_OUTPUT_TAIL_BYTES=1024)
def test_big_output_keeps_its_end_and_its_size():
    program = "import sys; sys.stdout.write('x' * 100000 + '\\nEND\\n')"
    exec_run("--script", "chatty", "--", sys.executable, "-c", program)
    run = ExecLog.objects.get()
    assert run.stdout_tail.endswith("x\nEND\n")
    assert len(run.stdout_tail.encode()) == 1024
    assert run.stdout_bytes == 100005


def test_an_unknown_fault_stops_before_running(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(CommandError, match="No fault with id 424242"):
        call_command("exec_run", "--fault", "424242", "--", "touch", str(marker))
    assert not marker.exists()
    assert not ExecLog.objects.exists()
