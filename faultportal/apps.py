from django.apps import AppConfig


class FaultportalConfig(AppConfig):
    name = "faultportal"
    verbose_name = "Portal access"

    def ready(self):
        from faultportal import checks  # noqa: F401 (registers the system checks)
        from faultportal.metrics import metrics_collector_register
        from faultportal.prune_metrics import prune_progress

        metrics_collector_register("prune", prune_progress)
