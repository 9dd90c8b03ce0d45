"""The admin's "Diagnose selected faults" action, added to the fault list from here.

The fault admin lives in diagnosis, below this app: diagnosis.admin.fault_record.fault_admin_extend
is how an app above adds to it (docs/architecture.md).
"""

import time

from django.contrib import admin, messages

from diagnosis.admin.fault_record import fault_admin_extend
from rca.llm import llm_enabled
from rca.run import fault_diagnose

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


fault_admin_extend(actions=[diagnose_faults])
