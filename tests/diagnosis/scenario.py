"""Building realistic diagnosis context in the database: log lines, faults, status snapshots.

Faults are recorded through diagnosis.services (as detection will), lines and snapshots
through the models, so the engine reads them exactly as it reads production data.
"""

import uuid
from datetime import datetime, timedelta

from django.utils import timezone

from cluster.models import ClusterStatus
from diagnosis import services
from diagnosis.models import FaultRecord, FaultType
from logs.models import SystemLog

# A fixed moment an hour ago: faults are diagnosed "now", their lines are from T0.
T0 = timezone.now().replace(microsecond=0) - timedelta(hours=1)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def log_line(
    host: str,
    seconds: float,
    level: str,
    component: str,
    message: str,
    *,
    trace: str = "",
    logtype: str = "hadoop",
) -> SystemLog:
    moment = at(seconds)
    stamp = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S,000")
    raw = f"{stamp} {level} {component}: {message}" + (f"\n{trace}" if trace else "")
    return SystemLog.objects.create(
        host=host,
        logtype=logtype,
        log_time=moment,
        level=level,
        component=component,
        message=message,
        trace=trace,
        raw=raw,
        received_at=moment + timedelta(seconds=1),
    )


def fault(
    code: str,
    host: str,
    line: SystemLog | None = None,
    *,
    seconds: float | None = None,
    last_seconds: float | None = None,
    occurrences: int = 1,
    sample: str = "",
) -> FaultRecord:
    """Record a fault as detection would: from its line (or a sample text and a time)."""
    fault_type = FaultType.objects.get(code=code)
    first = line.log_time if line is not None else at(seconds or 0)
    sample = sample or (line.raw if line is not None else code)
    first_occurrence = services.Occurrence(
        fault_type=fault_type,
        fingerprint=services.fingerprint_for(code, host, sample, uuid.uuid4().hex),
        host=host,
        title=fault_type.name,
        seen_at=first,
        sample=sample,
        message=line.message if line is not None else sample,
        component=line.component if line is not None else "",
        log_id=line.pk if line is not None else None,
        count=occurrences,
    )
    occurrences_list = [first_occurrence]
    if last_seconds is not None:
        occurrences_list.append(
            services.Occurrence(**{**first_occurrence.__dict__, "seen_at": at(last_seconds)})
        )
    (record,) = services.fault_occurrences_record(occurrences=occurrences_list)
    return record


def snapshot(
    *, cluster: dict | None = None, nodes: list[dict] = (), age: timedelta = timedelta(seconds=30)
) -> str:
    """One collection: a cluster row with `cluster` metrics and a row per entry of `nodes`."""
    collection = uuid.uuid4().hex
    collected_at = timezone.now() - age
    if cluster is not None:
        fields = {"state": "ok", **cluster}
        ClusterStatus.objects.create(
            collection_id=collection,
            collected_at=collected_at,
            scope=ClusterStatus.Scope.CLUSTER,
            source=ClusterStatus.Source.COLLECTOR,
            role=ClusterStatus.Role.CLUSTER,
            **fields,
        )
    for node in nodes:
        ClusterStatus.objects.create(
            collection_id=collection,
            collected_at=collected_at,
            scope=ClusterStatus.Scope.NODE,
            source=ClusterStatus.Source.COLLECTOR,
            **node,
        )
    return collection


def cause_titled(result: dict, text: str) -> dict | None:
    return next((c for c in result["probable_causes"] if text in c["title"]), None)


def metric_named(result: dict, name: str, source: str | None = None) -> dict | None:
    return next(
        (
            m
            for m in result["evidence"]["metrics"]
            if m["name"] == name and (source is None or m["source"] == source)
        ),
        None,
    )


def lines_cited(result: dict, text: str) -> list[dict]:
    return [line for line in result["evidence"]["log_lines"] if text in line["text"]]
