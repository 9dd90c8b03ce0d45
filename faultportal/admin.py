from django.contrib import admin

from faultportal.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at"]
    search_fields = ["^name", "^prefix"]
    readonly_fields = ["prefix", "created_at", "created_by", "last_used_at"]
