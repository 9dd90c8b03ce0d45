"""Rows for the dashboard page tests, written through the models and services the portal uses."""

import itertools
import uuid
from datetime import timedelta

from django.utils import timezone

from cluster.services import host_metrics_push
from diagnosis.models import FaultRecord, FaultType
from logs.models import SystemLog
from runs.services import FinishReport, exec_run_finish, exec_run_start
from tests.cluster.snapshots import store_snapshot

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
HOSTILE = f"{SCRIPT} {IMG}"

_numbers = itertools.count(1)


def add_line(*, minutes_ago: float = 1, **fields) -> SystemLog:
    now = timezone.now()
    values = {
        "host": "dn01.example.com",
        "logtype": "hadoop",
        "level": "INFO",
        "component": "org.apache.hadoop.hdfs.server.datanode.DataNode",
        "message": "Receiving block blk_1073741825_1001",
        "raw": "raw line",
        "log_time": now - timedelta(minutes=minutes_ago),
        "received_at": now,
    }
    values.update(fields)
    return SystemLog.objects.create(**values)


def add_fault(
    *,
    host: str = "dn01.example.com",
    severity: str = "major",
    status: str = "open",
    title: str | None = None,
    code: str = "too_many_open_files",
    minutes_ago: float = 5,
    **fields,
) -> FaultRecord:
    now = timezone.now()
    values = {
        "fault_type": FaultType.objects.get(code=code),
        "fingerprint": uuid.uuid4().hex,
        "host": host,
        "title": title or f"Fault {next(_numbers)} on {host}",
        "severity": severity,
        "status": status,
        "first_seen": now - timedelta(minutes=minutes_ago + 60),
        "last_seen": now - timedelta(minutes=minutes_ago),
        "occurrences": 3,
    }
    values.update(fields)
    return FaultRecord.objects.create(**values)


def add_run(*, host: str = "dn01.example.com", fault=None, exit_code: int | None = 0):
    run, _ = exec_run_start(
        script="check_datanode_disks.sh",
        host=host,
        args=["--all"],
        fault=fault,
        started_at=timezone.now() - timedelta(minutes=30),
    )
    if exit_code is not None:
        run, _ = exec_run_finish(
            run_id=run.pk, report=FinishReport(exit_code=exit_code, duration_seconds=12.5)
        )
    return run


def populate(*, faults: int = 36, datanodes: int = 5) -> None:
    """A cluster with enough rows that a query per row would show: `datanodes` workers (each a
    DataNode, a NodeManager and pushed host metrics), `faults` faults spread over the workers
    in every severity and status, WARN+ and INFO lines, and script runs."""
    store_snapshot(datanodes=datanodes, live=datanodes - 1)
    hosts = [f"dn{i:02}.example.com" for i in range(1, datanodes + 1)]
    for host in hosts:
        host_metrics_push(host=host, metrics={"cpu_pct": 40.0, "disk_used_pct": 61.5})
    severities = ["critical", "major", "minor", "warning", "info"]
    statuses = ["open", "acknowledged", "open", "resolved"]
    for k in range(faults):
        add_fault(
            host=hosts[k % len(hosts)],
            severity=severities[k % len(severities)],
            status=statuses[k % len(statuses)],
            minutes_ago=k,
        )
    for k, host in enumerate(hosts * 3):
        add_line(host=host, level=["WARN", "ERROR", "INFO"][k % 3], minutes_ago=k + 1)
    for host in hosts:
        add_run(host=host)
