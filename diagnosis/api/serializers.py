"""Fault representations: thin, every value read from the selectors' objects."""

from rest_framework import serializers

from diagnosis.models import FaultEvent, FaultRecord, FaultType
from logs.models import SystemLog

# Longest note accepted with a transition; history stays readable.
MAX_NOTE_CHARS = 2000


class FaultTypeBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = FaultType
        fields = ["code", "name", "category"]


class FaultTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = FaultType
        fields = [
            "code",
            "name",
            "category",
            "default_severity",
            "description",
            "cause",
            "remediation",
            "confirm_metrics",
            "runbook_script",
        ]


class FaultSerializer(serializers.ModelSerializer):
    type = FaultTypeBriefSerializer(source="fault_type")

    class Meta:
        model = FaultRecord
        fields = [
            "id",
            "title",
            "type",
            "severity",
            "status",
            "host",
            "component",
            "first_seen",
            "last_seen",
            "occurrences",
            "is_regression",
            "regressed_at",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_by",
            "resolution",
            "ignored_at",
            "ignored_by",
        ]


class LogLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = SystemLog
        fields = ["id", "host", "logtype", "log_time", "level", "component", "message", "trace"]


class SampleSerializer(serializers.Serializer):
    which = serializers.CharField()
    text = serializers.CharField(help_text="The line as stored with the fault.")
    log = LogLineSerializer(allow_null=True, help_text="The system_logs row, until it is pruned.")


class FaultEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = FaultEvent
        fields = ["action", "actor", "note", "at"]


class FaultDetailSerializer(serializers.Serializer):
    """GET /api/faults/{id}/: the fault, its evidence, its latest diagnosis and its history."""

    def to_representation(self, detail):
        fault = detail.fault
        data = FaultSerializer(fault).data
        data.update(
            message=fault.message,
            resolution_note=fault.resolution_note,
            fault_type=FaultTypeSerializer(fault.fault_type).data,
            samples=SampleSerializer(detail.samples, many=True).data,
            diagnosis=fault.diagnosis,
            diagnosed_at=serializers.DateTimeField().to_representation(fault.diagnosed_at)
            if fault.diagnosed_at
            else None,
            events=FaultEventSerializer(detail.events, many=True).data,
        )
        return data


class TransitionSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_NOTE_CHARS, default=""
    )
