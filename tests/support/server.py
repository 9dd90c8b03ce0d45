"""Run the portal under gunicorn in a child process, as production does."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.support.services import REPO_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PortalServer:
    """gunicorn serving faultportal.wsgi on a free loopback port with the given environment."""

    def __init__(
        self,
        env: dict,
        *,
        workers: int = 2,
        threads: int = 4,
        log_path: Path | None = None,
        config_file: bool = False,
        worker_class: str | None = "gthread",
        health_headers: dict | None = None,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = {**os.environ, **env}
        self._workers = workers
        self._threads = threads
        self._log_path = log_path
        # gunicorn.conf.py as production runs it (its hooks: the metrics directory); the
        # arguments below still override its settings.
        self._config = ["-c", "gunicorn.conf.py"] if config_file else []
        self._worker_class = worker_class
        # e.g. X-Forwarded-Proto: https for a server with HTTPS=1 (it redirects plain HTTP)
        self._health_headers = health_headers or {}
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "PortalServer":
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        log = open(self._log_path, "wb") if self._log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                gunicorn,
                "faultportal.wsgi",
                *self._config,
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self._workers),
                "--threads",
                str(self._threads),
                # None: the config file's own worker class (gunicorn.conf.py's, as production).
                *(["--worker-class", self._worker_class] if self._worker_class else []),
                "--timeout",
                "60",
            ],
            cwd=REPO_ROOT,
            env=self._env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                probe = urllib.request.Request(
                    self.url + "/api/health", headers=self._health_headers
                )
                with urllib.request.urlopen(probe, timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer /api/health within {timeout} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def get_json(self, path: str, token: str | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(self.url + path)
        if token:
            request.add_header("Authorization", f"Token {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
