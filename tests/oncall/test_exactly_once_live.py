"""Exactly once under faults, with real `manage.py notify` processes on MariaDB and a real HTTP
receiver on loopback: two workers racing, a worker SIGKILLed after sending and before marking,
the database cut for 30 s after a send. No message is lost; none is received twice except the
documented re-send of a message whose sender died before marking it, with the same key."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest

from tests.support import services
from tests.support.receivers import HttpReceiver, wait_for
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.mariadb

WORKER_ENV = {
    "REDIS_URL": "",
    "JOBS_LEASE_SECONDS": "5",
    "WORKER_HEARTBEAT_SECONDS": "1",
    "JOBS_RETRY_BASE_SECONDS": "0.5",
    "JOBS_RETRY_MAX_SECONDS": "2",
    "NOTIFICATION_DISPATCH_SECONDS": "0.2",
    "WORKER_POLL_SECONDS": "0.1",
    "PORTAL_BASE_URL": "https://portal.example",
}


@pytest.fixture(scope="module")
def scratch(mariadb_server):
    name = services.create_scratch_database("fp_oncall")
    url = services.database_url_for(name)
    try:
        services.run_manage("migrate", "--no-input", "-v0", env={"DATABASE_URL": url})
        yield url
    finally:
        services.drop_database(name)


def action(database_url: str, name: str, **args) -> dict:
    out = services.run_python(
        "tests/oncall/live_actions.py", name, json.dumps(args), env={"DATABASE_URL": database_url}
    )
    return json.loads(out.strip().splitlines()[-1])


class Workers:
    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.procs: list[subprocess.Popen] = []

    def start(self, database_url: str) -> subprocess.Popen:
        log = open(self.tmp_path / f"worker{len(self.procs)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "notify"],
            cwd=services.REPO_ROOT,
            env={**os.environ, **WORKER_ENV, "DATABASE_URL": database_url},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        return proc

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.tmp_path.glob("*.log")))


@pytest.fixture
def workers(tmp_path):
    made = Workers(tmp_path)
    yield made
    made.stop()


@pytest.fixture
def http():
    receiver = HttpReceiver()
    yield receiver
    receiver.close()


def keys_received(http: HttpReceiver) -> Counter:
    return Counter(r.headers["idempotency-key"] for r in http.posts("/hook"))


def messages_of(state: dict, channel_id: int) -> dict:
    return {k: m for k, m in state["messages"].items() if m["channel"] == channel_id}


def test_two_workers_racing_send_each_message_once(scratch, workers, http):
    (channel_id,) = action(
        scratch,
        "configure",
        channels={"race": f"json://{http.url}/hook"},
        host_glob="race*",
    ).values()
    workers.start(scratch)
    workers.start(scratch)
    action(scratch, "open", prefix="race", count=60)  # 60 hosts: 60 incidents, 60 messages
    wait_for(lambda: len(http.posts("/hook")) >= 60, "60 messages", timeout=90)
    time.sleep(3)  # a duplicate, if any, would arrive now
    received = keys_received(http)
    assert len(received) == 60 and set(received.values()) == {1}, workers.logs()[-3000:]
    state = action(scratch, "state")
    mine = messages_of(state, channel_id)
    assert set(mine) == set(received)
    assert all(m["status"] == "sent" and m["attempts"] == 1 for m in mine.values())
    sent = [d for d in state["deliveries"] if d["key"] in mine]
    assert len(sent) == 60 and {d["status"] for d in sent} == {"sent"}


def test_a_worker_killed_after_sending_before_marking_resends_with_the_same_key(
    scratch, workers, http
):
    (channel_id,) = action(
        scratch, "configure", channels={"kill": f"json://{http.url}/hook"}, host_glob="kill*"
    ).values()
    victim = workers.start(scratch)
    killed = []

    def kill_the_sender_once(received):
        if not killed:  # the message is here; its sender dies before it can mark it sent
            killed.append(received.headers["idempotency-key"])
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait()

    http.on_request = kill_the_sender_once
    action(scratch, "open", prefix="kill", count=10)
    wait_for(lambda: killed, "the first send", timeout=60)
    http.on_request = None
    workers.start(scratch)  # takes the killed worker's job when its lease runs out
    wait_for(lambda: len(keys_received(http)) >= 10, "every message", timeout=90)
    wait_for(lambda: keys_received(http)[killed[0]] >= 2, "the re-send", timeout=60)
    time.sleep(3)
    received = keys_received(http)
    assert received[killed[0]] == 2  # the documented re-send, with the same key
    assert len(received) == 10 and all(n == 1 for k, n in received.items() if k != killed[0])
    state = action(scratch, "state")
    mine = messages_of(state, channel_id)
    assert set(mine) == set(received) and {m["status"] for m in mine.values()} == {"sent"}
    assert mine[killed[0]]["attempts"] == 2
    (logged,) = [d for d in state["deliveries"] if d["key"] == killed[0]]
    assert (logged["status"], logged["attempt"]) == ("sent", 2)  # the killed one logged nothing


def test_the_database_gone_for_30_s_after_a_send_loses_nothing(scratch, workers, http):
    (channel_id,) = action(
        scratch, "configure", channels={"cut": f"json://{http.url}/hook"}, host_glob="cut*"
    ).values()
    parts = urlsplit(scratch)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 3306)
    through_proxy = f"mysql://{parts.username or 'root'}@127.0.0.1:{proxy.port}{parts.path}"
    cut_at = []

    def cut_after_the_first_send(received):
        if not cut_at:  # received, and the worker can no longer mark it
            cut_at.append((received.headers["idempotency-key"], time.monotonic()))
            proxy.cut()

    try:
        http.on_request = cut_after_the_first_send
        workers.start(through_proxy)
        action(scratch, "open", prefix="cut", count=10)
        wait_for(lambda: cut_at, "the first send", timeout=60)
        http.on_request = None
        action(scratch, "open", prefix="cutlater", count=5)  # changes made during the outage
        time.sleep(30)
        during = len(http.posts("/hook"))
        proxy.restore()
        try:
            wait_for(lambda: len(keys_received(http)) >= 15, "every message", timeout=120)
        except AssertionError:
            raise AssertionError(
                f"{len(keys_received(http))} of 15:\n{workers.logs()[-3000:]}"
            ) from None
        time.sleep(3)
    finally:
        proxy.close()
    first_key = cut_at[0][0]
    received = keys_received(http)
    assert during == 1  # nothing could be claimed while the database was gone
    assert len(received) == 15
    assert received[first_key] <= 2  # sent before the cut, re-sent with its key after it
    assert all(n == 1 for k, n in received.items() if k != first_key), received
    state = action(scratch, "state")
    mine = messages_of(state, channel_id)
    assert set(mine) == set(received) and {m["status"] for m in mine.values()} == {"sent"}
    assert "database unavailable" in workers.logs()
