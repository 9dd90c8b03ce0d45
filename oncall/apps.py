from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "oncall"
    verbose_name = "On-call notifications"

    def ready(self):
        from django.conf import settings

        from diagnosis.changes import fault_change_listener_register
        from faultportal.metrics import metrics_collector_register
        from faultportal.retention import retention_register
        from jobs.registry import (
            backlog_probe_register,
            job_handler_register,
            periodic_task_register,
        )
        from oncall.delivery import message_deliver
        from oncall.dispatch import dispatch_tick, repeats_scan
        from oncall.metrics import notification_metrics, outbox_oldest_due
        from oncall.retention import POLICIES
        from oncall.services import DELIVER_JOB, outbox_write
        from oncall.silences import silences_suppressor
        from oncall.suppression import register_suppressor

        # Fault changes reach the outbox inside the transaction that makes them.
        fault_change_listener_register("oncall", outbox_write)
        # `manage.py notify` moves the outbox on and delivers the messages.
        periodic_task_register(
            "oncall.dispatch", dispatch_tick, every_seconds=settings.NOTIFICATION_DISPATCH_SECONDS
        )
        periodic_task_register("oncall.repeats", repeats_scan, every_seconds=60)
        job_handler_register(
            DELIVER_JOB,
            message_deliver,
            atomic=False,
            max_attempts=settings.NOTIFICATION_MAX_ATTEMPTS,
        )
        backlog_probe_register("oncall.outbox", outbox_oldest_due)
        metrics_collector_register("notifications", notification_metrics)
        for policy in POLICIES:
            retention_register(policy)

        # Silences, maintenance windows and snoozes hold changes back (oncall/silences.py).
        register_suppressor("silences", silences_suppressor)
