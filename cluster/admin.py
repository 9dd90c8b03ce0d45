from django.contrib import admin

from cluster.models import ClusterStatus


@admin.register(ClusterStatus)
class ClusterStatusAdmin(admin.ModelAdmin):
    list_display = ["collected_at", "scope", "host", "role", "state", "reachable"]
    list_filter = ["scope", "role", "reachable"]
