"""Diagnose a fault, an incident or a log excerpt: gather the context, run the engines, store
the answer.

Two paths:
- the rules only (`use_llm=False`), answered at once in the caller's thread;
- the LLM (`diagnosis_queue`): a pending row in `diagnoses` and a job in the durable queue
  (jobs/), committed together. A background worker (`manage.py notify`) runs the job
  (rca/background.py): it gathers the same context, lets the rule engine read it first (the
  fallback and the LLM's reference), asks the model outside any database transaction, and
  stores the answer on the row (state done). A request thread never waits for a model.

Any failure of the LLM leaves the rule result with `llm_error` saying why.
"""

import logging

from django.db import transaction
from django.db.models import Q

from diagnosis.models import Diagnosis, FaultEvent, FaultRecord, Incident
from jobs.services import job_enqueue
from rca.context import DiagnosisContext, context_for_excerpt, context_for_fault
from rca.incident import incident_llm_result, incident_result
from rca.llm import LLMError, llm_diagnose, llm_enabled
from rca.rules import rules_diagnose

logger = logging.getLogger(__name__)

# The job kind the worker runs for a queued LLM diagnosis (registered in RcaConfig.ready).
LLM_JOB_KIND = "rca.llm_diagnose"

State = Diagnosis.State


def diagnosis_result(ctx: DiagnosisContext, *, use_llm: bool = True) -> dict:
    """The rule result, or the LLM's when `use_llm` and it is configured (this waits for the
    model: call it with use_llm from a background worker, never from a request thread)."""
    rules = rules_diagnose(ctx)
    if not (use_llm and llm_enabled()):
        return rules
    try:
        return llm_diagnose(ctx, rules)
    except LLMError as exc:
        logger.warning("LLM diagnosis not used, answering from the rules: %s", exc)
        return {**rules, "llm_error": str(exc)[:1000]}


def incident_diagnosis_result(incident: Incident, *, use_llm: bool = False) -> dict:
    """The incident's rule result (rca/incident.py), read by the LLM too when `use_llm`."""
    result = incident_result(incident)
    if use_llm and llm_enabled():
        try:
            result = incident_llm_result(result)
        except LLMError as exc:
            logger.warning("LLM diagnosis of incident %s not used: %s", incident.pk, exc)
            result = {**result, "llm_error": str(exc)[:1000]}
    return result


def _event_note(result: dict) -> str:
    top = result["probable_causes"][0]
    note = f"{result['engine']}: {top['title']} ({top['confidence']:.0%})"
    if result.get("llm_error"):
        note += f"; LLM not used: {result['llm_error']}"
    return note[:2000]


def _fault_latest(*, fault: FaultRecord, diagnosis: Diagnosis, actor: str) -> None:
    """The fault holds its newest finished diagnosis; its history records the diagnosis."""
    result = diagnosis.result
    # Two diagnoses finishing together: the one created last is the fault's latest.
    FaultRecord.objects.filter(pk=fault.pk).filter(
        Q(diagnosed_at__isnull=True) | Q(diagnosed_at__lte=diagnosis.created_at)
    ).update(diagnosis=result, diagnosed_at=diagnosis.created_at)
    FaultEvent.objects.create(
        fault=fault,
        action=FaultEvent.Action.DIAGNOSED,
        actor=actor[:150],
        note=_event_note(result),
    )
    fault.diagnosis, fault.diagnosed_at = result, diagnosis.created_at


def _incident_latest(*, incident: Incident, diagnosis: Diagnosis) -> None:
    result = diagnosis.result
    Incident.objects.filter(pk=incident.pk).filter(
        Q(diagnosed_at__isnull=True) | Q(diagnosed_at__lte=diagnosis.created_at)
    ).update(diagnosis=result, diagnosed_at=diagnosis.created_at)
    incident.diagnosis, incident.diagnosed_at = result, diagnosis.created_at


def fault_diagnose(*, fault: FaultRecord, actor: str, use_llm: bool = False) -> Diagnosis:
    """Diagnose a fault now; keeps the answer in its history and as the fault's latest
    diagnosis. With use_llm this waits for the model (background workers only)."""
    result = diagnosis_result(context_for_fault(fault=fault), use_llm=use_llm)
    with transaction.atomic():
        diagnosis = Diagnosis.objects.create(
            fault=fault,
            engine=result["engine"],
            result=result,
            host=fault.host,
            requested_by=actor[:150],
        )
        _fault_latest(fault=fault, diagnosis=diagnosis, actor=actor)
    return diagnosis


def incident_diagnose(*, incident: Incident, actor: str, use_llm: bool = False) -> Diagnosis:
    """Diagnose an incident now from its evidence (rca/incident.py); the answer is kept in its
    history and as the incident's latest diagnosis. With use_llm this waits for the model
    (background workers only)."""
    result = incident_diagnosis_result(incident, use_llm=use_llm)
    with transaction.atomic():
        diagnosis = Diagnosis.objects.create(
            incident=incident,
            engine=result["engine"],
            result=result,
            host=", ".join(incident.hosts)[:255],
            requested_by=actor[:150],
        )
        _incident_latest(incident=incident, diagnosis=diagnosis)
    return diagnosis


def log_excerpt_diagnose(
    *, log_text: str, host: str = "", actor: str, use_llm: bool = False
) -> Diagnosis:
    """Diagnose a pasted excerpt now; kept in the diagnoses history without a fault."""
    result = diagnosis_result(context_for_excerpt(log_text=log_text, host=host), use_llm=use_llm)
    return Diagnosis.objects.create(
        fault=None,
        engine=result["engine"],
        result=result,
        log_text=log_text,
        host=host,
        requested_by=actor[:150],
    )


def diagnosis_queue(
    *,
    actor: str,
    fault: FaultRecord | None = None,
    incident: Incident | None = None,
    log_text: str = "",
    host: str = "",
) -> Diagnosis:
    """An LLM diagnosis for a background worker: the pending row and its job commit together
    (a rollback leaves neither). Poll the row (GET /api/diagnoses/{id}) for the answer."""
    if fault is not None:
        host = fault.host
    elif incident is not None:
        host = ", ".join(incident.hosts)[:255]
    with transaction.atomic():
        diagnosis = Diagnosis.objects.create(
            fault=fault,
            incident=incident,
            engine=Diagnosis.Engine.LLM,
            state=State.PENDING,
            result=None,
            log_text=log_text if fault is None and incident is None else "",
            host=host,
            requested_by=actor[:150],
        )
        job_enqueue(
            kind=LLM_JOB_KIND,
            payload={"diagnosis_id": diagnosis.pk},
            idempotency_key=f"diagnosis-{diagnosis.pk}",
        )
    return diagnosis


def pending_diagnosis_compute(diagnosis: Diagnosis) -> dict:
    """The answer a pending diagnosis waits for: the rules, then the LLM (which may take up to
    LLM_TIMEOUT). No transaction is open meanwhile."""
    if diagnosis.incident_id:
        return incident_diagnosis_result(diagnosis.incident, use_llm=True)
    if diagnosis.fault_id:
        fault = FaultRecord.objects.select_related("fault_type").get(pk=diagnosis.fault_id)
        return diagnosis_result(context_for_fault(fault=fault), use_llm=True)
    ctx = context_for_excerpt(log_text=diagnosis.log_text, host=diagnosis.host)
    return diagnosis_result(ctx, use_llm=True)


def pending_diagnosis_finish(*, diagnosis_id: int, result: dict) -> bool:
    """Store the answer on a pending diagnosis (and as its fault's or incident's latest).
    False when it is no longer pending (another worker finished it first, or it was deleted):
    a job run twice writes once."""
    with transaction.atomic():
        diagnosis = (
            Diagnosis.objects.select_for_update()
            .filter(pk=diagnosis_id, state=State.PENDING)
            .select_related("fault", "incident")
            .first()
        )
        if diagnosis is None:
            return False
        diagnosis.result, diagnosis.engine, diagnosis.state = result, result["engine"], State.DONE
        diagnosis.save(update_fields=["result", "engine", "state"])
        if diagnosis.fault_id:
            _fault_latest(fault=diagnosis.fault, diagnosis=diagnosis, actor=diagnosis.requested_by)
        elif diagnosis.incident_id:
            _incident_latest(incident=diagnosis.incident, diagnosis=diagnosis)
    return True


def pending_diagnosis_fail(*, diagnosis_id: int, error: str) -> None:
    """The worker gave up on it (its job failed for good): the poll says why."""
    Diagnosis.objects.filter(pk=diagnosis_id, state=State.PENDING).update(
        state=State.FAILED, error=error[:4000]
    )
