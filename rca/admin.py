"""The admin's "Diagnose selected faults" action, added to the fault list from here.

The fault admin lives in diagnosis, below this app: diagnosis.admin.fault_record.fault_admin_extend
is how an app above adds to it (docs/architecture.md).

The rules answer at once; with the LLM configured each fault's diagnosis is queued for the
background worker (`manage.py notify`) instead, so the admin request never waits for a model.
"""

from django.contrib import admin, messages

from diagnosis.admin.fault_record import fault_admin_extend
from rca.llm import llm_enabled
from rca.run import diagnosis_queue, fault_diagnose

# The rules read each fault's context in this request: keep one request within reason.
MAX_FAULTS_PER_ACTION = 20


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
    faults = queryset.select_related("fault_type")
    if llm_enabled():
        for fault in faults:
            diagnosis_queue(fault=fault, actor=actor)
        modeladmin.message_user(
            request,
            f"Queued the LLM diagnosis of {count} fault(s): the background worker "
            "(manage.py notify) writes each on its fault when the model has answered.",
            messages.SUCCESS,
        )
        return
    for fault in faults:
        fault_diagnose(fault=fault, actor=actor)
    modeladmin.message_user(
        request, f"Diagnosed {count} fault(s): {count} by the rules engine.", messages.SUCCESS
    )


fault_admin_extend(actions=[diagnose_faults])
