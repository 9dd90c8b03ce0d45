"""Run `manage.py flume_thrift_source` in a child process, as production does."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.services import REPO_ROOT

_LISTENING = re.compile(rb"listening on .*:(\d+) ")


class ThriftSourceProcess:
    def __init__(self, env: dict, *, log_path: Path, port: int = 0, workers: int = 4):
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.port = port
        self.workers = workers
        self.process: subprocess.Popen | None = None
        self._offset = 0

    def start(self, timeout: float = 60) -> ThriftSourceProcess:
        self._offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child writes to it
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "flume_thrift_source", "--bind", "127.0.0.1",
             "--port", str(self.port), "--workers", str(self.workers)],
            cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"flume_thrift_source exited: {self.log_text()[-2000:]}")
            found = _LISTENING.search(self.log_path.read_bytes()[self._offset :])
            if found:
                self.port = int(found.group(1))  # a restart listens on the same port
                return self
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("flume_thrift_source did not start listening")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self, timeout: float = 40) -> int:
        """SIGTERM and wait; the exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
