from django.apps import AppConfig


class WatchdogsConfig(AppConfig):
    name = "watchdogs"
    verbose_name = "Watchdogs"
