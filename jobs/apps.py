from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Background jobs"

    def ready(self):
        from faultportal.health import health_check_register
        from jobs.registry import periodic_task_register
        from jobs.selectors import workers_health
        from jobs.services import jobs_prune

        # /api/health says whether a worker is alive (faultportal cannot import jobs: it asks).
        health_check_register("worker", workers_health, required=False)
        periodic_task_register("jobs.prune", lambda: jobs_prune(), every_seconds=3600)
