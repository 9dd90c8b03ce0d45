"""One fault's page: what it is, where and since when, its evidence, diagnosis and history.

Queries (pinned in tests/dashboard/test_fault_page.py): the fault with its type, its sample log
rows, its latest events (diagnosis.selectors.fault_detail), its script runs, and what mutes it
(its snooze, the silences in force, the maintenance windows: oncall.silences).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.urls import reverse
from django.utils.http import urlencode

from dashboard.pages.logs import log_explorer_url
from diagnosis.selectors import diagnosis_pending_latest, fault_detail
from oncall.silences import ONE_CLICK, fault_suppressions
from oncall.suppression import Suppression
from runs.selectors import exec_runs_recent

FAULT_RUNS = 20
EVIDENCE_LINES = 20


@dataclass
class DiagnosisView:
    engine: str
    model: str
    generated_at: str
    summary: str
    llm_error: str
    causes: list[dict] = field(default_factory=list)
    remediation: list[str] = field(default_factory=list)
    runbook_script: str = ""
    log_lines: list[dict] = field(default_factory=list)
    metrics: list[dict] = field(default_factory=list)
    related_faults: list[dict] = field(default_factory=list)
    symptoms: list[dict] = field(default_factory=list)


def diagnosis_view(result) -> DiagnosisView | None:
    """The stored result (rca.result), shaped for the template; text stays text."""
    if not isinstance(result, dict) or not result.get("probable_causes"):
        return None
    evidence = result.get("evidence") or {}
    causes = []
    for cause in result.get("probable_causes", []):
        confidence = cause.get("confidence") or 0
        causes.append(
            {
                "title": cause.get("title", ""),
                "confidence_pct": round(float(confidence) * 100),
                "explanation": cause.get("explanation", ""),
                "fault_type": cause.get("fault_type") or "",
                "refs": ", ".join(cause.get("evidence_refs") or []),
                # An incident's causes list the signals their confidence is computed from.
                "signals": [
                    {"text": str(sig.get("text", "")), "against": bool(sig.get("against"))}
                    for sig in cause.get("signals") or []
                    if isinstance(sig, dict)
                ],
            }
        )
    related = []
    for item in evidence.get("related_faults") or []:
        related.append({**item, "url": reverse("dashboard-fault", args=[item["fault_id"]])})
    return DiagnosisView(
        engine=result.get("engine", ""),
        model=result.get("model") or "",
        generated_at=result.get("generated_at", ""),
        summary=result.get("summary", ""),
        llm_error=result.get("llm_error") or "",
        causes=causes,
        remediation=[str(step) for step in result.get("remediation") or []],
        runbook_script=result.get("runbook_script") or "",
        log_lines=list(evidence.get("log_lines") or [])[:EVIDENCE_LINES],
        metrics=list(evidence.get("metrics") or []),
        related_faults=related,
        symptoms=[
            {**item, "url": reverse("dashboard-fault", args=[item["fault_id"]])}
            for item in result.get("symptoms") or []
            if isinstance(item, dict) and isinstance(item.get("fault_id"), int)
        ],
    )


SUPPRESSION_ADMIN = {
    "silence": "admin:oncall_silence_change",
    "maintenance": "admin:oncall_maintenancewindow_change",
    "snooze": "admin:oncall_faultsnooze_change",
}


@dataclass
class MutedView:
    """What holds the fault's notifications: the latest end (None: a snooze that ends after
    more occurrences, or nothing known), and each hold with its end, reason and admin link."""

    until: object
    open_ended: bool
    holds: list[dict]
    snoozed: bool = False


def muted_view(suppressions: list[Suppression]) -> MutedView | None:
    if not suppressions:
        return None
    holds = []
    for held in suppressions:
        name = SUPPRESSION_ADMIN.get(held.kind)
        holds.append(
            {
                "kind": held.kind,
                "until": held.ends_at,
                "reason": held.reason,
                "url": reverse(name, args=[held.id]) if name and held.id else "",
            }
        )
    ends = [held.ends_at for held in suppressions if held.ends_at is not None]
    return MutedView(
        until=max(ends) if ends else None,
        open_ended=any(held.ends_at is None for held in suppressions),
        holds=holds,
        snoozed=any(held.kind == "snooze" for held in suppressions),
    )


def fault_links(fault) -> dict:
    changelist = reverse("admin:diagnosis_faultrecord_changelist")
    return {
        "change": reverse("admin:diagnosis_faultrecord_change", args=[fault.pk]),
        # The list narrowed to this fault: its bulk actions acknowledge, resolve, diagnose.
        "actions": f"{changelist}?{urlencode({'q': fault.pk})}",
        "lines": reverse("admin:diagnosis_faultrecord_lines", args=[fault.pk]),
        "type": reverse("admin:diagnosis_faulttype_change", args=[fault.fault_type_id]),
        "host": reverse("dashboard-host", args=[fault.host]) if fault.host else "",
        "silence": reverse("dashboard-fault-silence", args=[fault.pk]),
        "snooze": reverse("dashboard-fault-snooze", args=[fault.pk]),
        "unsnooze": reverse("dashboard-fault-unsnooze", args=[fault.pk]),
        # The explorer on the fault's host, WARN and above, 5 min either side of its occurrences.
        "explore": log_explorer_url(
            host=fault.host,
            level="WARN",
            from_=fault.first_seen - timedelta(minutes=5),
            to=fault.last_seen + timedelta(minutes=5),
        ),
    }


def fault_page(*, fault_id: int) -> dict:
    """The page's content; FaultRecord.DoesNotExist when there is no such fault."""
    detail = fault_detail(fault_id=fault_id)
    fault = detail.fault
    return {
        "fault": fault,
        "fault_type": fault.fault_type,
        "samples": detail.samples,
        "events": detail.events,
        "runs": exec_runs_recent(fault_id=fault.pk, limit=FAULT_RUNS),
        "diagnosis": diagnosis_view(fault.diagnosis),
        "pending_diagnosis": diagnosis_pending_latest(fault_id=fault.pk),
        "links": fault_links(fault),
        "muted": muted_view(fault_suppressions(fault=fault)),
        "one_click_hours": int(ONE_CLICK.total_seconds() // 3600),
    }
