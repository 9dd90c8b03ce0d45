"""Debian's nginx, unprivileged, running deploy/nginx/faultportal.conf in front of a test gunicorn.

The site file is used as shipped; only what must differ on a test machine is substituted: the
listen address (a free loopback port), the upstream (the test's gunicorn), the certificate
paths (a self-signed pair made here, or no TLS at all) and the include's path (this checkout).
"""

import os
import socket
import subprocess
import time
from pathlib import Path

from tests.support import services
from tests.support.server import free_port
from tests.support.services import REPO_ROOT

NGINX = "/usr/sbin/nginx"
SITE = REPO_ROOT / "deploy" / "nginx" / "faultportal.conf"
PROXY = REPO_ROOT / "deploy" / "nginx" / "faultportal-proxy.conf"


def nginx_available() -> None:
    """Fail under CI, skip elsewhere, when Debian's nginx is not installed."""
    if not os.access(NGINX, os.X_OK):
        services.unavailable(f"{NGINX} is not installed (apt-get install nginx)")


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def site_config(upstream_port: int, port: int, tls: tuple[Path, Path] | None) -> str:
    text = SITE.read_text()
    replacements = {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream_port};",
        "include /opt/faultportal/deploy/nginx/faultportal-proxy.conf;": f"include {PROXY};",
        "listen [::]:443 ssl;\n": "",
    }
    if tls:
        cert, key = tls
        replacements |= {
            "listen 443 ssl;": f"listen 127.0.0.1:{port} ssl;",
            "/etc/ssl/faultportal/fullchain.pem": str(cert),
            "/etc/ssl/faultportal/privkey.pem": str(key),
        }
    else:
        replacements["listen 443 ssl;"] = f"listen 127.0.0.1:{port};"
    for old, new in replacements.items():
        assert old in text, f"{SITE.name} no longer has {old!r}: update tests/support/nginx.py"
        text = text.replace(old, new)
    if not tls:
        text = "\n".join(line for line in text.splitlines() if "ssl_" not in line)
    return text


class NginxFront:
    def __init__(self, directory: Path, upstream_port: int, *, tls: bool = False):
        nginx_available()
        self.dir = directory
        self.port = free_port()
        self.scheme = "https" if tls else "http"
        self.url = f"{self.scheme}://127.0.0.1:{self.port}"
        self.error_log = directory / "error.log"
        cert = self_signed_cert(directory) if tls else None
        (directory / "site.conf").write_text(site_config(upstream_port, self.port, cert))
        temp = {name: directory / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
        for path in temp.values():
            path.mkdir(exist_ok=True)
        (directory / "nginx.conf").write_text(
            f"""
daemon off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {self.error_log} info;
events {{ worker_connections 1024; }}
http {{
    access_log {directory}/access.log;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {directory}/site.conf;
}}
"""
        )
        self.process: subprocess.Popen | None = None

    def command(self, *extra: str) -> list[str]:
        conf = str(self.dir / "nginx.conf")
        return [NGINX, "-p", str(self.dir), "-c", conf, "-e", str(self.error_log), *extra]

    def test_config(self) -> subprocess.CompletedProcess:
        return subprocess.run(self.command("-t"), capture_output=True, text=True)

    def start(self, timeout: float = 15) -> "NginxFront":
        self.process = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.process.stderr.read().decode()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("nginx did not listen")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # the master's own pid, which this test started
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
