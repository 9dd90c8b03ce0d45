"""The one structure both engines answer with, and its validation.

A diagnosis result is a JSON-able dict (stored in `diagnoses.result` and
`fault_records.diagnosis`, returned by POST /api/llm/diagnose):

    {
      "version": 1,
      "engine": "rules" | "llm",            # which engine produced the causes and steps
      "model": "…" | null,                  # the LLM's model name when engine == "llm"
      "llm_error": "…" | null,              # why the LLM was not used, when it was tried
      "generated_at": "2026-11-28T10:20:00+00:00",
      "subject": {"kind": "fault" | "log_text", "fault_id", "fault_type", "fault_types",
                  "title", "host"},
      "summary": "…",
      "probable_causes": [{"title", "confidence" (0..1), "explanation", "fault_type",
                           "evidence_refs": ["L1", "M2", "F1"]}],   # most probable first
      "evidence": {
        "log_lines": [{"ref", "log_id", "host", "time", "level", "component", "text", "why"}],
        "metrics": [{"ref", "name", "value", "threshold", "verdict", "source", "note"}],
        "related_faults": [{"ref", "fault_id", "fault_type", "host", "first_seen",
                            "last_seen", "status", "relation", "why"}],
        "cluster_snapshot": {"collected_at", "age_seconds", "stale"} | null
      },
      "remediation": ["step", …],
      "runbook_script": "restart_datanode.sh" | null
    }

Validation uses DRF serializers (already a dependency) rather than a hand-written checker.
"""

from rest_framework import serializers

SCHEMA_VERSION = 1
ENGINES = ("rules", "llm")
VERDICTS = ("confirms", "contradicts", "context")
RELATIONS = ("precursor", "consequence", "cluster", "nearby")


class InvalidResult(ValueError):
    """A result (usually an LLM reply) that does not fit the schema; str() says where."""


class CauseSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    confidence = serializers.FloatField(min_value=0.0, max_value=1.0)
    explanation = serializers.CharField(max_length=4000)
    fault_type = serializers.CharField(max_length=64, allow_null=True, required=False)
    evidence_refs = serializers.ListField(
        child=serializers.CharField(max_length=16), required=False, max_length=50
    )


class LogLineEvidenceSerializer(serializers.Serializer):
    ref = serializers.CharField(max_length=16)
    log_id = serializers.IntegerField(allow_null=True)
    host = serializers.CharField(allow_blank=True, max_length=255)
    time = serializers.CharField(allow_null=True)
    level = serializers.CharField(allow_blank=True, max_length=8)
    component = serializers.CharField(allow_blank=True, max_length=255)
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)
    why = serializers.CharField(max_length=500)


class MetricEvidenceSerializer(serializers.Serializer):
    ref = serializers.CharField(max_length=16)
    name = serializers.CharField(max_length=100)
    value = serializers.JSONField(allow_null=True)
    threshold = serializers.CharField(allow_blank=True, max_length=100)
    verdict = serializers.ChoiceField(choices=VERDICTS)
    source = serializers.CharField(max_length=300)
    note = serializers.CharField(allow_blank=True, max_length=1000)


class RelatedFaultEvidenceSerializer(serializers.Serializer):
    ref = serializers.CharField(max_length=16)
    fault_id = serializers.IntegerField()
    fault_type = serializers.CharField(max_length=64)
    host = serializers.CharField(allow_blank=True, max_length=255)
    first_seen = serializers.CharField()
    last_seen = serializers.CharField()
    status = serializers.CharField(max_length=16)
    relation = serializers.ChoiceField(choices=RELATIONS)
    why = serializers.CharField(max_length=500)


class SnapshotSerializer(serializers.Serializer):
    collected_at = serializers.CharField()
    age_seconds = serializers.IntegerField()
    stale = serializers.BooleanField()


class EvidenceSerializer(serializers.Serializer):
    log_lines = LogLineEvidenceSerializer(many=True)
    metrics = MetricEvidenceSerializer(many=True)
    related_faults = RelatedFaultEvidenceSerializer(many=True)
    cluster_snapshot = SnapshotSerializer(allow_null=True)


class SubjectSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=("fault", "log_text", "incident"))
    incident_id = serializers.IntegerField(allow_null=True, required=False)
    fault_id = serializers.IntegerField(allow_null=True)
    fault_type = serializers.CharField(allow_null=True, max_length=64)
    fault_types = serializers.ListField(child=serializers.CharField(max_length=64))
    title = serializers.CharField(allow_blank=True, max_length=300)
    host = serializers.CharField(allow_blank=True, max_length=255)


class DiagnosisResultSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=SCHEMA_VERSION, max_value=SCHEMA_VERSION)
    engine = serializers.ChoiceField(choices=ENGINES)
    model = serializers.CharField(allow_null=True, max_length=200)
    llm_error = serializers.CharField(allow_null=True, max_length=1000)
    generated_at = serializers.CharField()
    subject = SubjectSerializer()
    summary = serializers.CharField(max_length=4000)
    probable_causes = CauseSerializer(many=True, allow_empty=False)
    evidence = EvidenceSerializer()
    remediation = serializers.ListField(
        child=serializers.CharField(max_length=1000), allow_empty=False, max_length=30
    )
    runbook_script = serializers.CharField(allow_null=True, max_length=255)


class LLMReplySerializer(serializers.Serializer):
    """What the model is asked for: the parts of the result it writes."""

    summary = serializers.CharField(max_length=4000)
    probable_causes = CauseSerializer(many=True, allow_empty=False, max_length=8)
    remediation = serializers.ListField(
        child=serializers.CharField(max_length=1000), allow_empty=False, max_length=15
    )


def _flatten_errors(errors, prefix: str = "") -> str:
    if isinstance(errors, dict):
        parts = [_flatten_errors(value, f"{prefix}{key}.") for key, value in errors.items()]
        return "; ".join(part for part in parts if part)
    if isinstance(errors, list):
        if all(isinstance(item, str) for item in errors):
            return f"{prefix.rstrip('.')}: {' '.join(errors)}"
        parts = [_flatten_errors(item, f"{prefix}{index}.") for index, item in enumerate(errors)]
        return "; ".join(part for part in parts if part)
    return f"{prefix.rstrip('.')}: {errors}"


def _validated(serializer_class, data) -> dict:
    if not isinstance(data, dict):
        raise InvalidResult(f"expected a JSON object, got {type(data).__name__}")
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise InvalidResult(_flatten_errors(serializer.errors))
    return serializer.validated_data


def result_validate(data) -> dict:
    """`data` if it fits the result schema (as plain JSON types), else InvalidResult."""
    _validated(DiagnosisResultSerializer, data)
    return data


def llm_reply_validate(data) -> dict:
    """The model's reply as plain dicts, or InvalidResult naming what is wrong."""
    validated = _validated(LLMReplySerializer, data)
    return {
        "summary": validated["summary"],
        "probable_causes": [
            {
                "title": cause["title"],
                "confidence": round(float(cause["confidence"]), 2),
                "explanation": cause["explanation"],
                "fault_type": cause.get("fault_type"),
                "evidence_refs": list(cause.get("evidence_refs", [])),
            }
            for cause in validated["probable_causes"]
        ],
        "remediation": list(validated["remediation"]),
    }
