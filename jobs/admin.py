"""Background jobs in the admin: what is queued, running, done or failed, and which workers live."""

from django.contrib import admin, messages

from jobs.models import Job, WorkerHeartbeat
from jobs.services import job_retry_now


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "attempts", "run_after", "locked_by", "finished_at"]
    list_filter = ["status", "kind"]
    search_fields = ["=id", "=idempotency_key"]
    readonly_fields = [f.name for f in Job._meta.fields]
    actions = ["retry_now"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Run selected jobs again now", permissions=["view"])
    def retry_now(self, request, queryset):
        if not request.user.is_superuser:
            self.message_user(request, "Only superusers may re-run jobs.", messages.ERROR)
            return
        for job in queryset:
            job_retry_now(job=job)
        self.message_user(request, "Queued again (running jobs are left alone).")


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["worker_id", "host", "pid", "started_at", "beat_at", "stopped_at", "jobs_done"]
    readonly_fields = [f.name for f in WorkerHeartbeat._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
