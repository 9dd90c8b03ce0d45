from django.apps import AppConfig


class ClusterConfig(AppConfig):
    name = "cluster"
    verbose_name = "Cluster status"

    def ready(self):
        from cluster.metrics import collector_age
        from cluster.retention import POLICIES
        from faultportal.metrics import metrics_collector_register
        from faultportal.retention import retention_register

        metrics_collector_register("collector", collector_age)

        for policy in POLICIES:
            retention_register(policy)
