from django.apps import AppConfig


class LogsConfig(AppConfig):
    name = "logs"
    verbose_name = "Logs"

    def ready(self):
        from faultportal.retention import retention_register
        from logs.retention import POLICIES

        for policy in POLICIES:
            retention_register(policy)
