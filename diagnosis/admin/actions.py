"""The admin's "diagnose" action on faults, and the latest diagnosis on a fault's page.

Every text shown comes from log lines or an LLM: it is escaped (format_html), never marked safe.
"""

import time

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from diagnosis.engine.evidence import iso
from diagnosis.engine.llm import llm_enabled
from diagnosis.engine.run import fault_diagnose

# Each diagnosis may wait LLM_TIMEOUT for a model: keep one admin request within reason.
MAX_FAULTS_PER_ACTION = 20
# Past this many seconds of one action, the remaining faults are diagnosed by the rules only.
LLM_BUDGET_SECONDS = 60.0


@admin.action(description="Diagnose selected faults", permissions=["change"])
def diagnose_faults(modeladmin, request, queryset):
    count = queryset.count()
    if count > MAX_FAULTS_PER_ACTION:
        modeladmin.message_user(
            request,
            f"Select at most {MAX_FAULTS_PER_ACTION} faults to diagnose at once ({count} "
            "selected); nothing was diagnosed.",
            messages.ERROR,
        )
        return
    actor = request.user.get_username()
    engines: dict[str, int] = {}
    llm_errors = set()
    rules_only = 0
    deadline = time.monotonic() + LLM_BUDGET_SECONDS
    for fault in queryset.select_related("fault_type"):
        use_llm = time.monotonic() < deadline
        rules_only += not use_llm
        result = fault_diagnose(fault=fault, actor=actor, use_llm=use_llm).result
        engines[result["engine"]] = engines.get(result["engine"], 0) + 1
        if result.get("llm_error"):
            llm_errors.add(result["llm_error"])
    done = ", ".join(f"{n} by the {engine} engine" for engine, n in sorted(engines.items()))
    modeladmin.message_user(request, f"Diagnosed {count} fault(s): {done}.", messages.SUCCESS)
    if rules_only and llm_enabled():
        modeladmin.message_user(
            request,
            f"The LLM's time budget ({LLM_BUDGET_SECONDS:g} s) ran out: {rules_only} fault(s) "
            "were diagnosed by the rules only.",
            messages.WARNING,
        )
    for error in sorted(llm_errors)[:3]:
        modeladmin.message_user(
            request, f"The LLM was not used, the rules answered: {error}", messages.WARNING
        )


@admin.display(description="Latest diagnosis")
def latest_diagnosis(obj) -> str:
    result = obj.diagnosis if obj is not None else None
    if not isinstance(result, dict) or not result.get("probable_causes"):
        return "Not diagnosed yet: use the “Diagnose selected faults” action on the list."
    engine = result.get("engine", "")
    if result.get("model"):
        engine = f"{engine} ({result['model']})"
    header = format_html(
        "<p><strong>{}</strong> engine, {}{}</p><p>{}</p>",
        engine,
        iso(obj.diagnosed_at) or result.get("generated_at", ""),
        format_html(" — LLM not used: {}", result["llm_error"]) if result.get("llm_error") else "",
        result.get("summary", ""),
    )
    causes = format_html_join(
        "",
        "<li>{} <strong>{}</strong>: {}</li>",
        (
            (f"{c.get('confidence', 0):.0%}", c.get("title", ""), c.get("explanation", ""))
            for c in result["probable_causes"]
        ),
    )
    steps = format_html_join("", "<li>{}</li>", ((step,) for step in result.get("remediation", [])))
    lines = format_html_join(
        "",
        "<li><code>{} {} {}</code> {} <em>({})</em></li>",
        (
            (
                line.get("time") or "",
                line.get("host", ""),
                line.get("level", ""),
                line.get("text", "")[:300],
                line.get("why", ""),
            )
            for line in result.get("evidence", {}).get("log_lines", [])[:15]
        ),
    )
    metrics = format_html_join(
        "",
        "<li>{} = {} (threshold {}, {}): {} — {}</li>",
        (
            (
                m.get("name"),
                m.get("value"),
                m.get("threshold") or "–",
                m.get("source"),
                m.get("verdict"),
                m.get("note"),
            )
            for m in result.get("evidence", {}).get("metrics", [])
        ),
    )
    runbook = result.get("runbook_script")
    return format_html(
        "{}<p>Probable causes:</p><ol>{}</ol><p>Remediation:</p><ol>{}</ol>{}"
        "<p>Evidence — log lines:</p><ul>{}</ul><p>Evidence — metrics:</p><ul>{}</ul>",
        header,
        causes,
        steps,
        format_html("<p>Runbook script: <code>{}</code></p>", runbook) if runbook else "",
        lines or format_html("<li>{}</li>", "none"),
        metrics or format_html("<li>{}</li>", "none"),
    )
