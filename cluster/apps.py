from django.apps import AppConfig


class ClusterConfig(AppConfig):
    name = "cluster"
    verbose_name = "Cluster status"

    def ready(self):
        from cluster.health import check_collector
        from cluster.metrics import collector_age
        from cluster.retention import POLICIES
        from faultportal.health import health_check_register
        from faultportal.metrics import metrics_collector_register
        from faultportal.retention import retention_register

        metrics_collector_register("collector", collector_age)
        health_check_register("collector", check_collector, required=False)

        for policy in POLICIES:
            retention_register(policy)
