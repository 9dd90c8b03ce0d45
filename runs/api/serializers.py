"""Input and output shapes of the execution-run API."""

from django.core.validators import RegexValidator
from django.utils.encoding import force_str
from rest_framework import serializers

from diagnosis.models import FaultRecord
from runs.models import ExecLog
from runs.services import FINISHED_STATUS_CHOICES, FinishReport

MAX_TIMEOUT_SECONDS = 30 * 24 * 3600
MAX_DURATION_SECONDS = 10 * 365 * 24 * 3600.0
MAX_OUTPUT_BYTES = 2**62


class OutputField(serializers.CharField):
    """Script output: any text at all, stored (capped) rather than refused.

    DRF's CharField refuses NUL and lone surrogates; output is hostile data the portal must keep,
    so those are accepted here and made storable by the capping (runs/output.py).
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        self.validators = [
            v
            for v in self.validators
            if type(v).__name__
            not in ("ProhibitNullCharactersValidator", "ProhibitSurrogateCharactersValidator")
        ]

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str):
            self.fail("invalid")
        return force_str(data)


class ExecRunStartSerializer(serializers.Serializer):
    script = serializers.CharField(
        max_length=255, help_text="The script's name, e.g. `hdfs-balancer` (what stats group by)."
    )
    args = serializers.ListField(
        child=serializers.CharField(max_length=4096, allow_blank=True, trim_whitespace=False),
        max_length=200,
        default=list,
        help_text="The command line that was run, as a list (argv). Never put secrets in it.",
    )
    host = serializers.CharField(max_length=255, help_text="The node the script runs on.")
    trigger = serializers.ChoiceField(choices=ExecLog.Trigger.choices, default="manual")
    fault = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="Id of the fault this run remediates or inspects.",
    )
    timeout_seconds = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_TIMEOUT_SECONDS,
        help_text="A run still running after this long is marked timed_out "
        "(default: EXEC_DEFAULT_TIMEOUT_SECONDS).",
    )
    client_run_id = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=64,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9][A-Za-z0-9._:-]*$", "Use letters, digits and . _ : - only."
            )
        ],
        help_text="The wrapper's own id for the run (e.g. a UUID): a start re-sent with the same "
        "id returns the run already recorded (200) instead of a new one.",
    )
    started_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When the run started, for reports sent late from a spool (default: now). "
        "ISO 8601; without an offset it is read in CLUSTER_TIME_ZONE.",
    )

    def validate_fault(self, value):
        if value is None:
            return None
        fault = FaultRecord.objects.filter(pk=value).first()
        if fault is None:
            raise serializers.ValidationError(f"No fault with id {value}.")
        return fault


class ExecRunFinishSerializer(serializers.Serializer):
    exit_code = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=-255,
        max_value=255,
        help_text="The command's exit code (128+N when killed by signal N). Required unless "
        "status is given.",
    )
    status = serializers.ChoiceField(
        choices=FINISHED_STATUS_CHOICES,
        required=False,
        help_text="Default: succeeded for exit code 0, else failed. Wrappers send timed_out when "
        "they killed the command at its timeout, aborted when it was interrupted.",
    )
    stdout = OutputField(
        required=False, default="", help_text="The output (its end is kept, size-capped)."
    )
    stderr = OutputField(required=False, default="")
    stdout_bytes = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_OUTPUT_BYTES,
        help_text="Size of the whole stdout when only its tail is sent.",
    )
    stderr_bytes = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_OUTPUT_BYTES
    )
    finished_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When the run ended (default: now)."
    )
    duration_seconds = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_DURATION_SECONDS,
        help_text="Default: finished_at − started_at.",
    )

    def validate(self, attrs):
        if attrs.get("exit_code") is None and not attrs.get("status"):
            raise serializers.ValidationError({"exit_code": ["Give an exit_code, or a status."]})
        return attrs

    def to_report(self) -> FinishReport:
        return FinishReport(**self.validated_data)


class ExecRunSummarySerializer(serializers.ModelSerializer):
    """A run in a list: everything but the output."""

    fault = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    args = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="The command line (argv)."
    )

    class Meta:
        model = ExecLog
        fields = [
            "id",
            "script",
            "args",
            "host",
            "trigger",
            "status",
            "exit_code",
            "started_at",
            "finished_at",
            "duration_seconds",
            "timeout_seconds",
            "stdout_bytes",
            "stderr_bytes",
            "fault",
            "client_run_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ExecRunSerializer(ExecRunSummarySerializer):
    """One run with the end of its output."""

    stdout_truncated = serializers.SerializerMethodField(
        help_text="True when stdout_tail is only the end of a longer output (see stdout_bytes)."
    )
    stderr_truncated = serializers.SerializerMethodField()

    class Meta(ExecRunSummarySerializer.Meta):
        fields = [
            *ExecRunSummarySerializer.Meta.fields,
            "stdout_tail",
            "stderr_tail",
            "stdout_truncated",
            "stderr_truncated",
        ]
        read_only_fields = fields

    def get_stdout_truncated(self, run) -> bool:
        return len(run.stdout_tail.encode()) < (run.stdout_bytes or 0)

    def get_stderr_truncated(self, run) -> bool:
        return len(run.stderr_tail.encode()) < (run.stderr_bytes or 0)


class ScriptStatsSerializer(serializers.Serializer):
    script = serializers.CharField()
    runs = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    timed_out = serializers.IntegerField()
    aborted = serializers.IntegerField()
    running = serializers.IntegerField()
    success_rate = serializers.FloatField(
        allow_null=True, help_text="succeeded / finished runs, 0–1; null before any run ended."
    )
    last_run_id = serializers.IntegerField()
    last_run_at = serializers.DateTimeField()
    last_status = serializers.ChoiceField(choices=ExecLog.Status.choices)
    p50_duration_seconds = serializers.FloatField(allow_null=True)
    p95_duration_seconds = serializers.FloatField(allow_null=True)
