from django.apps import AppConfig


class LogsConfig(AppConfig):
    name = "logs"
    verbose_name = "Logs"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from faultportal.retention import retention_register
        from logs.layout_cache import log_layouts_changed
        from logs.models import LogLayout
        from logs.retention import POLICIES

        for policy in POLICIES:
            retention_register(policy)

        # The process that edits a layout reads with it at once; others within
        # LOG_LAYOUTS_REFRESH_SECONDS (logs/layout_cache.py says why).
        post_save.connect(log_layouts_changed, sender=LogLayout, dispatch_uid="log_layout_saved")
        post_delete.connect(
            log_layouts_changed, sender=LogLayout, dispatch_uid="log_layout_deleted"
        )
