from django.contrib import admin

from diagnosis.models import FaultType


@admin.register(FaultType)
class FaultTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "default_severity", "enabled"]
    list_filter = ["category", "enabled"]
    search_fields = ["code", "name"]
