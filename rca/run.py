"""Diagnose a fault or a log excerpt: gather the context, run the engines, store the answer.

The rule engine always runs (it is the fallback and the LLM's reference reading); the LLM runs
when LLM_BASE_URL is set, outside any database transaction, and any failure of it leaves the
rule result with `llm_error` saying why.
"""

import logging

from django.db import transaction
from django.db.models import Q

from diagnosis.models import Diagnosis, FaultEvent, FaultRecord, Incident
from rca.context import DiagnosisContext, context_for_excerpt, context_for_fault
from rca.incident import incident_llm_result, incident_result
from rca.llm import LLMError, llm_diagnose, llm_enabled
from rca.rules import rules_diagnose

logger = logging.getLogger(__name__)


def diagnosis_result(ctx: DiagnosisContext, *, use_llm: bool = True) -> dict:
    rules = rules_diagnose(ctx)
    if not (use_llm and llm_enabled()):
        return rules
    try:
        return llm_diagnose(ctx, rules)
    except LLMError as exc:
        logger.warning("LLM diagnosis not used, answering from the rules: %s", exc)
        return {**rules, "llm_error": str(exc)[:1000]}


def _event_note(result: dict) -> str:
    top = result["probable_causes"][0]
    note = f"{result['engine']}: {top['title']} ({top['confidence']:.0%})"
    if result.get("llm_error"):
        note += f"; LLM not used: {result['llm_error']}"
    return note[:2000]


def fault_diagnose(*, fault: FaultRecord, actor: str, use_llm: bool = True) -> Diagnosis:
    """Diagnose a fault; keeps the answer in its history and as the fault's latest diagnosis."""
    result = diagnosis_result(context_for_fault(fault=fault), use_llm=use_llm)
    with transaction.atomic():
        diagnosis = Diagnosis.objects.create(
            fault=fault,
            engine=result["engine"],
            result=result,
            host=fault.host,
            requested_by=actor[:150],
        )
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
    return diagnosis


def incident_diagnose(*, incident, actor: str, use_llm: bool = False) -> Diagnosis:
    """Diagnose an incident from its evidence (rca/incident.py); the answer is kept
    in its history and as the incident's latest diagnosis. With use_llm the LLM reads the
    evidence too: call this from a background worker, never from a request thread."""
    result = incident_result(incident)
    if use_llm and llm_enabled():
        try:
            result = incident_llm_result(result)
        except LLMError as exc:
            logger.warning("LLM diagnosis of incident %s not used: %s", incident.pk, exc)
            result = {**result, "llm_error": str(exc)[:1000]}
    with transaction.atomic():
        diagnosis = Diagnosis.objects.create(
            incident=incident,
            engine=result["engine"],
            result=result,
            host=", ".join(incident.hosts)[:255],
            requested_by=actor[:150],
        )
        Incident.objects.filter(pk=incident.pk).filter(
            Q(diagnosed_at__isnull=True) | Q(diagnosed_at__lte=diagnosis.created_at)
        ).update(diagnosis=result, diagnosed_at=diagnosis.created_at)
    incident.diagnosis, incident.diagnosed_at = result, diagnosis.created_at
    return diagnosis


def log_excerpt_diagnose(
    *, log_text: str, host: str = "", actor: str, use_llm: bool = True
) -> Diagnosis:
    """Diagnose a pasted excerpt; kept in the diagnoses history without a fault."""
    result = diagnosis_result(context_for_excerpt(log_text=log_text, host=host), use_llm=use_llm)
    return Diagnosis.objects.create(
        fault=None,
        engine=result["engine"],
        result=result,
        log_text=log_text,
        host=host,
        requested_by=actor[:150],
    )
