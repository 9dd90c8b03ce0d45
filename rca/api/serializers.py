from django.conf import settings
from rest_framework import serializers

from faultportal.api.errors import PayloadTooLarge


class DiagnoseRequestSerializer(serializers.Serializer):
    """Exactly one subject: a stored fault, an incident, or a pasted log excerpt (with its host
    if known)."""

    fault_id = serializers.IntegerField(required=False, min_value=1)
    incident_id = serializers.IntegerField(required=False, min_value=1)
    log_text = serializers.CharField(required=False, trim_whitespace=False)
    host = serializers.CharField(required=False, allow_blank=True, max_length=255)
    engine = serializers.ChoiceField(
        choices=[("auto", "the LLM when configured, else the rules"), ("rules", "rules only")],
        default="auto",
    )

    def validate_log_text(self, value: str) -> str:
        limit = settings.DIAGNOSE_MAX_LOG_TEXT_BYTES
        if len(value.encode("utf-8", "surrogatepass")) > limit:
            # Not a 400: the request is well-formed, only too big; say how big may pass.
            raise PayloadTooLarge(
                f"log_text is larger than {limit} bytes; send the lines around the error."
            )
        if not value.strip():
            raise serializers.ValidationError("log_text is blank.")
        return value

    def validate(self, attrs):
        if sum(key in attrs for key in ("fault_id", "incident_id", "log_text")) != 1:
            raise serializers.ValidationError(
                "Send exactly one of fault_id, incident_id or log_text."
            )
        if "incident_id" in attrs and attrs.get("host"):
            raise serializers.ValidationError(
                {"host": ["host goes with log_text; an incident carries its own hosts."]}
            )
        if "fault_id" in attrs and attrs.get("host"):
            raise serializers.ValidationError(
                {"host": ["host goes with log_text; a fault carries its own host."]}
            )
        attrs.setdefault("host", "")
        return attrs
