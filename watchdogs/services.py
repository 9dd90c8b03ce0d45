"""Raise and resolve the watchdogs' faults (the same way cluster thresholds do)."""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from diagnosis.models import FaultRecord, FaultType
from diagnosis.services import (
    ACTIVE_STATUSES,
    fault_metric_clear,
    fault_metric_raise,
    metric_fingerprint,
)
from watchdogs.checks import Verdict, watchdogs_evaluate


@dataclass
class Applied:
    raised: list[FaultRecord] = field(default_factory=list)
    cleared: list[FaultRecord] = field(default_factory=list)


def watchdogs_apply(*, verdicts: list[Verdict], seen_at: datetime) -> Applied:
    applied = Applied()
    codes = [v.code for v in verdicts]
    # Fault types are data: an operator may disable a watchdog in the admin (Fault types).
    enabled = set(
        FaultType.objects.filter(code__in=codes, enabled=True).values_list("code", flat=True)
    )
    for verdict in verdicts:
        alarming = {alarm.key for alarm in verdict.alarms}
        if verdict.code in enabled:
            for alarm in verdict.alarms:
                applied.raised.append(
                    fault_metric_raise(
                        code=verdict.code,
                        key=alarm.key,
                        host=alarm.host,
                        title=alarm.title,
                        seen_at=seen_at,
                        sample=alarm.sample,
                        severity=alarm.severity,
                    )
                )
        recovered = {
            metric_fingerprint(code=verdict.code, key=key): key for key in verdict.judged - alarming
        }
        if not recovered:
            continue
        active = FaultRecord.objects.filter(
            fault_type__code=verdict.code,
            status__in=ACTIVE_STATUSES,
            fingerprint__in=list(recovered),
        ).values_list("fingerprint", flat=True)
        for fingerprint in active:
            cleared = fault_metric_clear(
                code=verdict.code,
                key=recovered[fingerprint],
                note=f"The input is back ({seen_at.isoformat()}).",
            )
            if cleared is not None:
                applied.cleared.append(cleared)
    return applied


def watchdogs_run(*, now: datetime | None = None) -> Applied:
    now = now or timezone.now()
    return watchdogs_apply(verdicts=watchdogs_evaluate(now=now), seen_at=now)
