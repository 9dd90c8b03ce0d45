from django.core.exceptions import ValidationError
from django.db import models

from diagnosis.patterns import PatternError, pattern_compile


class Severity(models.TextChoices):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    WARNING = "warning"
    INFO = "info"


# Most severe first; used for sorting and for "at least this severe" filters.
SEVERITY_RANK = {s: rank for rank, s in enumerate(Severity.values)}


def validate_patterns(text: str) -> None:
    """Each non-blank line must compile on RE2, the linear-time engine patterns run on."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            pattern_compile(line)
        except PatternError as exc:
            raise ValidationError(
                f"Line {number} is not a valid regular expression for RE2 (the linear-time "
                f"engine patterns run on, so that no pattern can stall ingestion): {exc}."
            ) from None


class FaultType(models.Model):
    """A kind of fault the portal recognises: data, not code, so operators add them in the admin."""

    class Category(models.TextChoices):
        HDFS = "hdfs", "HDFS"
        YARN = "yarn", "YARN"
        MAPREDUCE = "mapreduce", "MapReduce"
        JVM = "jvm", "JVM"
        HA = "ha", "High availability"
        NETWORK = "network"
        OS = "os", "OS / host"
        OTHER = "other"

    class Grouping(models.TextChoices):
        HOST_MESSAGE = "host_message", "per host and normalised message"
        HOST = "host", "per host"
        CLUSTER = "cluster", "one per cluster"

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=16, choices=Category.choices)
    default_severity = models.CharField(max_length=16, choices=Severity.choices)
    patterns = models.TextField(
        blank=True,
        validators=[validate_patterns],
        help_text="Regular expressions (RE2 syntax: Python's, without lookarounds or "
        "backreferences), one per line, searched in the message and trace. "
        "Empty: the type is raised by metrics or rules, never by log text.",
    )
    component_pattern = models.CharField(
        max_length=255,
        blank=True,
        validators=[validate_patterns],
        help_text="Optional regex the logger/class must match, e.g. NameNode-only messages.",
    )
    min_level = models.CharField(
        max_length=8,
        default="WARN",
        help_text="Lowest log level considered; some Hadoop signatures are logged at INFO.",
    )

    class Subject(models.TextChoices):
        HOST = "host", "the host that logged it"
        PEER = "peer", "the remote peer the line names"
        DATANODE = "datanode", "the DataNode the line names"
        CLUSTER = "cluster", "the cluster"

    grouping = models.CharField(
        max_length=16, choices=Grouping.choices, default=Grouping.HOST_MESSAGE
    )
    subject = models.CharField(
        max_length=16,
        choices=Subject.choices,
        default=Subject.HOST,
        help_text="What the fault is about, for incidents: faults about the same peer, DataNode "
        "or host at the same time share a cause.",
    )
    description = models.TextField(blank=True)
    cause = models.TextField(blank=True, help_text="Usual root causes.")
    remediation = models.TextField(blank=True)
    confirm_metrics = models.TextField(
        blank=True, help_text="Cluster metrics that confirm the fault, e.g. MissingBlocks > 0."
    )
    runbook_script = models.CharField(
        max_length=255, blank=True, help_text="Script name operators run to remediate."
    )
    precursors = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="consequences",
        help_text="Fault types that often come first and explain this one.",
    )
    enabled = models.BooleanField(default=True)
    is_builtin = models.BooleanField(default=False, help_text="Shipped with the catalogue.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "fault_types"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def pattern_list(self) -> list[str]:
        return [line for line in self.patterns.splitlines() if line.strip()]


class Incident(models.Model):
    """Faults that share a cause, told as one story: the cause, its symptoms, where and when."""

    class Status(models.TextChoices):
        OPEN = "open"
        ACKNOWLEDGED = "acknowledged"
        RESOLVED = "resolved"
        MERGED = "merged", "merged into another incident"

    class Kind(models.TextChoices):
        PEER = "peer", "peer unreachable"
        DATANODE = "datanode", "DataNode down"
        HOST = "host", "host fault"
        CLUSTER = "cluster", "cluster fault"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The hosts (names and addresses) the incident is about: the unreachable peer, the dead
    # DataNode, the host whose disk fills.
    subjects = models.JSONField(default=list, blank=True)
    title = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    cause_fault = models.ForeignKey(
        "FaultRecord", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hosts = models.JSONField(default=list, blank=True, help_text="Hosts whose logs show it.")
    components = models.JSONField(default=list, blank=True)
    peers = models.JSONField(default=list, blank=True, help_text="Peers named, with roles.")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    diagnosis = models.JSONField(null=True, blank=True)
    diagnosed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "incidents"
        ordering = ["-last_seen", "-id"]
        indexes = [
            models.Index(fields=["status", "last_seen"], name="incidents_status_seen"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.ACKNOWLEDGED)


class FaultRecord(models.Model):
    """One fault as operators act on it: every occurrence with the same fingerprint lands here."""

    class Status(models.TextChoices):
        OPEN = "open"
        ACKNOWLEDGED = "acknowledged"
        RESOLVED = "resolved"
        IGNORED = "ignored"

    class Resolution(models.TextChoices):
        MANUAL = "manual"
        QUIET = "quiet", "auto: quiet period"
        RECOVERED = "recovered", "auto: metric recovered"

    fault_type = models.ForeignKey(FaultType, on_delete=models.PROTECT, related_name="records")
    # Unique: a fault keeps its record for life; a new occurrence after resolution reopens it.
    fingerprint = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255, blank=True, help_text="Empty for cluster-wide faults.")
    component = models.CharField(max_length=255, blank=True)
    title = models.CharField(max_length=255)
    message = models.TextField(blank=True, help_text="The normalised message that was grouped.")
    severity = models.CharField(max_length=16, choices=Severity.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    first_seen = models.DateTimeField(help_text="Log time of the first occurrence.")
    last_seen = models.DateTimeField(help_text="Log time of the latest occurrence.")
    occurrences = models.PositiveBigIntegerField(default=0)
    # Sample lines are copied so a fault keeps its evidence after system_logs is pruned; the ids
    # link to the rows while they exist (no FK constraint: pruning must not touch this table).
    first_sample = models.TextField(blank=True)
    latest_sample = models.TextField(blank=True)
    first_log = models.ForeignKey(
        "logs.SystemLog",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    latest_log = models.ForeignKey(
        "logs.SystemLog",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    is_regression = models.BooleanField(
        default=False, help_text="Seen again after it was resolved."
    )
    regressed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=150, blank=True)
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True)
    resolution_note = models.TextField(blank=True)
    ignored_at = models.DateTimeField(null=True, blank=True)
    ignored_by = models.CharField(max_length=150, blank=True)
    # The latest diagnosis result (same structure as Diagnosis.result); history in `diagnoses`.
    diagnosis = models.JSONField(null=True, blank=True)
    diagnosed_at = models.DateTimeField(null=True, blank=True)
    # What the first sample line is about (diagnosis/entities.py): peers with roles, DataNodes,
    # block/container/application/attempt ids, paths, exception classes.
    entities = models.JSONField(default=dict, blank=True)
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="faults"
    )
    is_symptom = models.BooleanField(
        default=False, help_text="Explained by its incident's cause, not a cause of its own."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "fault_records"
        ordering = ["-last_seen", "-id"]
        indexes = [
            # Fault lists filtered by status, newest activity first; the auto-resolve sweep.
            models.Index(fields=["status", "last_seen"], name="fault_records_status_seen"),
            # The dashboard's open faults by severity.
            models.Index(fields=["status", "severity"], name="fault_records_status_sev"),
            # A host's page: its faults.
            models.Index(fields=["host", "last_seen"], name="fault_records_host_seen"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.ACKNOWLEDGED)


class FaultEvent(models.Model):
    """The history of a fault: each state change and who made it."""

    class Action(models.TextChoices):
        OPENED = "opened"
        ACKNOWLEDGED = "acknowledged"
        RESOLVED = "resolved"
        IGNORED = "ignored"
        REOPENED = "reopened"
        REGRESSED = "regressed"
        DIAGNOSED = "diagnosed"

    fault = models.ForeignKey(FaultRecord, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.CharField(max_length=150, blank=True, help_text="User, token:<name> or system.")
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "fault_events"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor or 'system'}"


class Diagnosis(models.Model):
    """One answer of the diagnosis engine, for a fault or for a pasted log excerpt."""

    class Engine(models.TextChoices):
        RULES = "rules"
        LLM = "llm"

    class State(models.TextChoices):
        DONE = "done"
        PENDING = "pending", "waiting for a worker"
        FAILED = "failed"

    fault = models.ForeignKey(
        FaultRecord, null=True, blank=True, on_delete=models.CASCADE, related_name="diagnoses"
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="diagnoses"
    )
    engine = models.CharField(max_length=8, choices=Engine.choices)
    state = models.CharField(max_length=8, choices=State.choices, default=State.DONE)
    error = models.TextField(blank=True, help_text="Why a background diagnosis failed.")
    result = models.JSONField(
        null=True, blank=True, help_text="Causes, evidence, remediation, engine notes."
    )
    log_text = models.TextField(blank=True, help_text="The excerpt diagnosed, when not a fault.")
    host = models.CharField(max_length=255, blank=True)
    requested_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "diagnoses"
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "diagnoses"

    def __str__(self) -> str:
        return f"{self.engine} diagnosis #{self.pk}"
