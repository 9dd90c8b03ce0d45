from django.apps import AppConfig


class DiagnosisConfig(AppConfig):
    name = "diagnosis"
    verbose_name = "Faults and diagnosis"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from diagnosis.catalogue import catalogue_changed
        from diagnosis.detection import (
            detect_faults,
            detected_record,
            detected_record_later,
            event_update,
            event_updates_record,
        )
        from diagnosis.flusher import fault_counting_start, fault_counting_stop
        from diagnosis.metrics import open_faults
        from diagnosis.models import FaultType
        from diagnosis.retention import POLICIES
        from faultportal.metrics import metrics_collector_register
        from faultportal.retention import retention_register
        from logs.hooks import LineDetection, line_detection_register

        # Stored lines reach detection through logs' registry: logs cannot import diagnosis.
        # An intake process (gunicorn worker, Thrift intake) starts the flusher of fault counts
        # through the same registry (diagnosis/counting.py).
        line_detection_register(
            LineDetection(
                detect=detect_faults,
                record=detected_record,
                record_later=detected_record_later,
                process_started=fault_counting_start,
                process_stopping=fault_counting_stop,
                event_update=event_update,
                event_record=event_updates_record,
            )
        )

        metrics_collector_register("faults", open_faults)

        for policy in POLICIES:
            retention_register(policy)

        # The process that edits a fault type sees the change at once; others within
        # FAULT_TYPES_REFRESH_SECONDS (diagnosis/catalogue.py says why).
        post_save.connect(catalogue_changed, sender=FaultType, dispatch_uid="fault_type_saved")
        post_delete.connect(catalogue_changed, sender=FaultType, dispatch_uid="fault_type_deleted")
