from django.apps import AppConfig


class ClusterConfig(AppConfig):
    name = "cluster"
    verbose_name = "Cluster status"

    def ready(self):
        from cluster.retention import POLICIES
        from faultportal.retention import retention_register

        for policy in POLICIES:
            retention_register(policy)
