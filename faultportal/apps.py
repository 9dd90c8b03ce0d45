from django.apps import AppConfig


class FaultportalConfig(AppConfig):
    name = "faultportal"
    verbose_name = "Portal access"

    def ready(self):
        # checks registers the system checks; login_throttle its user_login_failed receiver.
        from faultportal import checks, login_throttle  # noqa: F401
        from faultportal.metrics import metrics_collector_register
        from faultportal.prune_metrics import prune_progress

        metrics_collector_register("prune", prune_progress)
        login_throttle.connect_signals()
