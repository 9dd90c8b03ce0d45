"""Fault representations: thin, every value read from the selectors' objects."""

from drf_spectacular.utils import extend_schema_field
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


class FaultDetailSerializer(FaultSerializer):
    """GET /api/faults/{id}/: the fault, its evidence, its latest diagnosis and its history.

    Serialises detail.fault; the samples and events come from the selector's FaultDetail in the
    context ("detail").
    """

    fault_type = FaultTypeSerializer()
    samples = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField(help_text="The latest state changes, newest first.")

    class Meta(FaultSerializer.Meta):
        fields = [
            *FaultSerializer.Meta.fields,
            "message",
            "resolution_note",
            "fault_type",
            "samples",
            "diagnosis",
            "diagnosed_at",
            "events",
        ]

    @extend_schema_field(SampleSerializer(many=True))
    def get_samples(self, fault):
        return SampleSerializer(self.context["detail"].samples, many=True).data

    @extend_schema_field(FaultEventSerializer(many=True))
    def get_events(self, fault):
        return FaultEventSerializer(self.context["detail"].events, many=True).data


class TransitionSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_NOTE_CHARS, default=""
    )
