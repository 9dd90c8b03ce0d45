from django.contrib import admin

from diagnosis.admin.actions import diagnose_faults, latest_diagnosis
from diagnosis.models import Diagnosis, FaultRecord
from logs.admin.exec_log import ExecRunInline


@admin.register(FaultRecord)
class FaultRecordAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "host", "severity", "status", "occurrences", "last_seen"]
    list_filter = ["status", "severity"]
    raw_id_fields = ["first_log", "latest_log"]
    actions = [diagnose_faults]
    readonly_fields = [latest_diagnosis]
    inlines = [ExecRunInline]  # the script runs linked to the fault (logs app)


@admin.register(Diagnosis)
class DiagnosisAdmin(admin.ModelAdmin):
    list_display = ["id", "fault", "engine", "created_at"]
    raw_id_fields = ["fault"]
