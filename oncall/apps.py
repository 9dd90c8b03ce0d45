from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "oncall"
    verbose_name = "On-call notifications"

    def ready(self):
        from oncall.silences import silences_suppressor
        from oncall.suppression import register_suppressor

        # Silences, maintenance windows and snoozes hold changes back (oncall/silences.py).
        register_suppressor("silences", silences_suppressor)
