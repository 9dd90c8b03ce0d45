from django.apps import AppConfig


class RunsConfig(AppConfig):
    """Script runs (`exec_logs`): reported by the wrapper, listed in the admin and the API."""

    name = "runs"
    verbose_name = "Script runs"

    def ready(self):
        from faultportal.retention import retention_register
        from runs.retention import POLICIES

        for policy in POLICIES:
            retention_register(policy)
