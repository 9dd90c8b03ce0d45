from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo week (`manage.py seed_demo`): top of the layers, it writes into every app."""

    name = "demo"
    verbose_name = "Demo data"
