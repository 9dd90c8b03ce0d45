from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Background jobs"

    def ready(self):
        from faultportal.health import health_check_register
        from faultportal.retention import retention_register
        from jobs.retention import POLICIES
        from jobs.selectors import workers_health

        # /api/health says whether a worker is alive (faultportal cannot import jobs: it asks).
        health_check_register("worker", workers_health, required=False)
        for policy in POLICIES:
            retention_register(policy)
