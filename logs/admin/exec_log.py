from django.contrib import admin

from logs.models import ExecLog


@admin.register(ExecLog)
class ExecLogAdmin(admin.ModelAdmin):
    list_display = ["id", "script", "host", "status", "exit_code", "started_at", "finished_at"]
    list_filter = ["status", "trigger"]
    raw_id_fields = ["fault"]
