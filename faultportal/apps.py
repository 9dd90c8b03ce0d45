from django.apps import AppConfig


class FaultportalConfig(AppConfig):
    name = "faultportal"
    verbose_name = "Portal access"
