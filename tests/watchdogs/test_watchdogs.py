"""Watchdogs: inputs that stop raise faults, and the faults resolve when the inputs return."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone
from rest_framework.test import APIClient

from diagnosis.models import FaultRecord, FaultType
from jobs.models import WorkerHeartbeat
from jobs.worker import Worker
from logs.models import LogSource
from logs.parsing import ParsedLine
from logs.services import system_logs_ingest
from logs.sources import log_sources_flush
from tests.cluster.snapshots import store_snapshot
from watchdogs.services import watchdogs_run

pytestmark = pytest.mark.django_db

MIN = timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _windows(settings):
    settings.HOST_SILENT_MINUTES = 30
    settings.INGESTION_SILENT_MINUTES = 10
    settings.CLUSTER_STATUS_STALE_SECONDS = 300
    settings.LOG_SOURCES_FLUSH_SECONDS = 0  # every stored request is written at once


def send(host: str, at, logtype: str = "hadoop") -> None:
    """A line received at `at`, stored through ingestion's own service."""
    line = ParsedLine(
        host=host,
        logtype=logtype,
        log_time=at,
        level="INFO",
        component="org.apache.hadoop.hdfs.server.datanode.DataNode",
        thread="main",
        message="Receiving block blk_1",
        raw="raw",
        received_at=at,
    )
    system_logs_ingest(lines=[line])


def active(code: str) -> list[FaultRecord]:
    return list(
        FaultRecord.objects.filter(
            fault_type__code=code, status__in=("open", "acknowledged")
        ).order_by("host", "title")
    )


def test_a_silent_host_raises_host_silent_after_the_window_and_resolves_when_it_returns():
    now = timezone.now()
    start = now - 40 * MIN
    for host in ("dn01", "dn02"):
        send(host, start)
    send("dn02", start + 5 * MIN, logtype="yarn")

    # Within the window: nothing.
    watchdogs_run(now=start + 29 * MIN)
    assert active("host_silent") == []

    send("dn02", now - 2 * MIN)  # dn02 keeps sending its hadoop log
    watchdogs_run(now=now)
    silent = active("host_silent")
    assert [(f.host, f.title) for f in silent] == [
        ("dn01", "dn01 sent no hadoop lines for 40 min"),
        ("dn02", "dn02 sent no yarn lines for 35 min"),  # per host and log type
    ]
    assert silent[0].severity == "major" and silent[0].occurrences == 1
    watchdogs_run(now=now + MIN)  # still silent: the same fault counts again
    assert [f.occurrences for f in active("host_silent")] == [2, 2]

    send("dn01", now + 2 * MIN)
    applied = watchdogs_run(now=now + 3 * MIN)
    assert [f.host for f in applied.cleared] == ["dn01"]
    record = FaultRecord.objects.get(pk=silent[0].pk)
    assert record.status == "resolved" and record.resolution == "recovered"
    assert [f.host for f in active("host_silent")] == ["dn02"]
    assert active("ingestion_stopped") == []


def test_lines_posted_to_the_endpoint_are_what_the_watchdog_sees(make_token):
    client = APIClient()
    token = make_token("ingest")
    response = client.generic(
        "POST",
        f"/api/log/auto-upload?host=dn05&logtype=yarn&token={token}",
        b"2026-11-28 10:15:32,123 INFO org.apache.hadoop.yarn.Foo: hello",
        content_type="text/plain",
    )
    assert response.status_code == 200, response.content
    source = LogSource.objects.get(host="dn05", logtype="yarn")
    assert timezone.now() - source.last_received_at < MIN

    watchdogs_run(now=source.last_received_at + 9 * MIN)
    assert active("host_silent") == [] and active("ingestion_stopped") == []
    watchdogs_run(now=source.last_received_at + 31 * MIN)
    # The only source is silent, so the portal hears nobody: one ingestion fault, not per host.
    assert active("host_silent") == []
    assert [f.title for f in active("ingestion_stopped")] == [
        "No log line received from any host for 31 min"
    ]


def test_ingestion_stopped_as_a_whole_raises_one_fault_and_resolves():
    now = timezone.now()
    for host in ("dn01", "dn02", "dn03"):
        send(host, now - 45 * MIN)
    watchdogs_run(now=now)
    (stopped,) = active("ingestion_stopped")
    assert stopped.severity == "critical"
    assert active("host_silent") == []  # no storm of per-host faults

    send("dn01", now + MIN)
    applied = watchdogs_run(now=now + 2 * MIN)
    assert [f.pk for f in applied.cleared] == [stopped.pk]
    # The hosts still silent are now judged one by one.
    assert [f.host for f in active("host_silent")] == ["dn02", "dn03"]


def test_a_host_silent_for_more_than_a_day_is_no_longer_watched():
    now = timezone.now()
    send("dn01", now - 25 * timedelta(hours=1))
    send("dn02", now - MIN)
    watchdogs_run(now=now)
    assert active("host_silent") == []


def test_a_stale_snapshot_raises_a_fault_and_a_fresh_one_resolves_it():
    now = timezone.now()
    watchdogs_run(now=now)  # never a snapshot (no collector configured yet): nothing
    assert active("cluster_status_stale") == []

    store_snapshot(at=now - 10 * MIN)
    watchdogs_run(now=now - 6 * MIN)  # 4 min old: fresh enough
    assert active("cluster_status_stale") == []
    watchdogs_run(now=now)
    (stale,) = active("cluster_status_stale")
    assert stale.title == "Cluster status is 10 min old: the collector is not collecting"
    assert stale.host == ""

    store_snapshot(at=now + MIN)
    applied = watchdogs_run(now=now + 2 * MIN)
    assert [f.pk for f in applied.cleared] == [stale.pk]
    assert FaultRecord.objects.get(pk=stale.pk).resolution == "recovered"


def test_a_watchdog_disabled_in_the_admin_raises_nothing():
    FaultType.objects.filter(code="cluster_status_stale").update(enabled=False)
    store_snapshot(at=timezone.now() - 60 * MIN)
    watchdogs_run()
    assert active("cluster_status_stale") == []


def test_log_sources_keep_the_latest_time_whatever_order_flushes_come_in():
    now = timezone.now()
    log_sources_flush({("dn01", "hadoop"): now})
    log_sources_flush({("dn01", "hadoop"): now - 5 * MIN})  # a slower process, later
    source = LogSource.objects.get(host="dn01", logtype="hadoop")
    assert source.last_received_at == now
    assert source.first_received_at == now


def test_the_command_prints_one_line():
    store_snapshot(at=timezone.now() - 60 * MIN)
    out = io.StringIO()
    call_command("watchdogs", stdout=out)
    assert out.getvalue() == "watchdogs: 1 alarming (cluster_status_stale), 0 resolved\n"


def _age_heartbeats(seconds: float) -> None:
    """Every worker's last heartbeat `seconds` further back, as if that much time had passed."""
    WorkerHeartbeat.objects.update(beat_at=F("beat_at") - timedelta(seconds=seconds))


def test_a_silent_worker_raises_worker_silent_and_resolves_when_it_beats_again(settings):
    settings.WORKER_SILENT_SECONDS = 120
    client = APIClient()
    watchdogs_run()  # no worker ever ran: an install without one is not an outage
    assert active("worker_silent") == []
    assert client.get("/api/health").json()["checks"]["worker"]["ok"] is True

    Worker(once=True).run_once()  # a real worker pass: beats, then stops cleanly
    _age_heartbeats(60)  # stopped a minute ago: a restart takes that long, not silence yet
    watchdogs_run()
    assert active("worker_silent") == []
    assert client.get("/api/health").json()["checks"]["worker"]["silent"] is False

    _age_heartbeats(120)  # three minutes now
    watchdogs_run()
    (silent,) = active("worker_silent")
    assert silent.title == (
        "No background worker heartbeat for 3 min: notifications and LLM diagnoses are not running"
    )
    assert silent.host == "" and silent.severity == "major"
    # /api/health says the same thing at the same moment.
    body = client.get("/api/health").json()
    assert body["status"] == "degraded"
    assert body["checks"]["worker"]["ok"] is False and body["checks"]["worker"]["silent"] is True

    Worker(once=True)._beat()  # a worker is back
    applied = watchdogs_run()
    assert [f.pk for f in applied.cleared] == [silent.pk]
    assert FaultRecord.objects.get(pk=silent.pk).resolution == "recovered"
    assert client.get("/api/health").json()["checks"]["worker"]["ok"] is True
