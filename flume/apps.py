from django.apps import AppConfig


class FlumeConfig(AppConfig):
    """Holds the Flume agent configuration, its documentation and the commands that check it."""

    name = "flume"
    verbose_name = "Flume agents"
