from django.db import models


class LogLevel(models.TextChoices):
    TRACE = "TRACE"
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARN = "WARN"  # log4j's WARNING spelling is stored as WARN
    ERROR = "ERROR"
    FATAL = "FATAL"
    UNKNOWN = "UNKNOWN"  # a line in no known layout, stored raw rather than dropped


# Levels at or above WARN, in the order operators rank them.
SEVERE_LEVELS = (LogLevel.WARN, LogLevel.ERROR, LogLevel.FATAL)


class SystemLog(models.Model):
    """One Hadoop/YARN log event as delivered by a Flume agent (or another sender).

    The largest table by far (millions of rows a day): rows are written in bulk, never updated,
    and pruned by receipt time in primary-key order (`manage.py prune`, logs/retention.py).
    Every index below costs insert speed, so each names the query it serves.
    """

    host = models.CharField(max_length=255)
    logtype = models.CharField(
        max_length=32, help_text="Which log family sent it, e.g. hadoop, yarn, hdfs, mapreduce."
    )
    source_file = models.CharField(max_length=512, blank=True, help_text="Path on the node.")
    # The event's own timestamp, in UTC (parsed in CLUSTER_TIME_ZONE). NULL when the line carries
    # none: a stack-trace line that arrived on its own, or a line in an unknown layout.
    log_time = models.DateTimeField(null=True, blank=True)
    level = models.CharField(max_length=8, choices=LogLevel.choices)
    component = models.CharField(max_length=255, blank=True, help_text="Logger / class name.")
    thread = models.CharField(max_length=255, blank=True, help_text="Thread name or pid.")
    # Where the logging call is, for layouts that print it (%F, %L, %l): e.g. the HDP/Ambari
    # layout's `(FSNamesystem.java:startCommonServices(1234))`, the docker image's `%c{1}:%L`.
    code_file = models.CharField(
        max_length=255,
        blank=True,
        default="",
        db_default="",  # an insert that does not name it (an older process) still works
        help_text="Source file of the logging call (%F).",
    )
    code_line = models.PositiveIntegerField(
        null=True, blank=True, help_text="Line of the logging call (%L)."
    )
    message = models.TextField(help_text="The text after the logger, untouched.")
    # Stack-trace lines that arrived in the same request as the event they continue.
    trace = models.TextField(blank=True)
    raw = models.TextField(help_text="The line(s) exactly as received, after decoding.")
    is_continuation = models.BooleanField(
        default=False, help_text="A stack-trace line that arrived without its event."
    )
    truncated = models.BooleanField(default=False, help_text="Cut at INGEST_MAX_LINE_BYTES.")
    decode_errors = models.PositiveIntegerField(
        default=0, help_text="Bytes that were not valid UTF-8 and were replaced."
    )
    received_at = models.DateTimeField()
    # Events across requests (docs/events.md). `stream`: the sender's stream (a 64-bit hash of
    # token, host, log type and source file), so a line that continues an event in a later
    # request finds the stream's last row by index. `event_head`: for a row that continues an
    # event stored by an earlier request, the id of the event's first row (such a row carries
    # that row's log time, level and component); NULL for the first row of an event.
    # `event_seq`: the row's place in its event (0 for the first row).
    stream = models.BigIntegerField(default=0, db_default=0)
    event_head = models.BigIntegerField(null=True, blank=True)
    event_seq = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        db_table = "system_logs"
        ordering = ["-id"]
        verbose_name = "system log line"
        indexes = [
            # Time-range scans: the dashboard's 24 h volume, API and admin time filters.
            models.Index(fields=["log_time"], name="system_logs_time"),
            # "Recent ERROR/FATAL lines" and the volume-by-level chart.
            models.Index(fields=["level", "log_time"], name="system_logs_level_time"),
            # A host's page and the diagnosis context: one node's lines around a moment.
            models.Index(fields=["host", "log_time"], name="system_logs_host_time"),
            # "Errors on this host": the admin's host+level filter, a host's page, and the
            # diagnosis context's WARN+ lines of one node.
            models.Index(fields=["host", "level", "log_time"], name="system_logs_host_level_time"),
            # A line that continues an event: its stream's last row (the id orders a stream).
            models.Index(fields=["stream", "id"], name="system_logs_stream"),
        ]

    def __str__(self) -> str:
        return f"{self.host} {self.level} {self.message[:80]}"


class IngestRequest(models.Model):
    """A request that carried an Idempotency-Key, stored in the same transaction as its lines.

    A retry with the same key finds this row and is answered without storing anything again.
    """

    token = models.ForeignKey("faultportal.ApiToken", on_delete=models.CASCADE, related_name="+")
    idempotency_key = models.CharField(max_length=255)
    # A key reused for a different body is a sender bug, answered 422 rather than "stored".
    body_sha256 = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the request body."
    )
    accepted = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ingest_requests"
        constraints = [
            # Serves the retry lookup, and makes two concurrent retries store the batch once.
            models.UniqueConstraint(
                fields=["token", "idempotency_key"], name="ingest_requests_token_key"
            ),
        ]
        indexes = [
            # Pruning of old keys by `manage.py prune` (INGEST_REQUEST_RETENTION_HOURS).
            models.Index(fields=["created_at"], name="ingest_requests_created"),
        ]

    def __str__(self) -> str:
        return self.idempotency_key


class LogSource(models.Model):
    """Each (host, log type) that ever sent lines, and when it last did: the watchdogs' input.

    Written by ingestion at most every LOG_SOURCES_FLUSH_SECONDS per process (logs/sources.py),
    so "who went silent" is a read of a few hundred rows, never a scan of system_logs.
    """

    host = models.CharField(max_length=255)
    logtype = models.CharField(max_length=32)
    first_received_at = models.DateTimeField()
    last_received_at = models.DateTimeField()

    class Meta:
        db_table = "log_sources"
        ordering = ["host", "logtype"]
        constraints = [
            models.UniqueConstraint(fields=["host", "logtype"], name="log_sources_host_logtype"),
        ]
        indexes = [
            # The watchdogs: sources heard from in the last day.
            models.Index(fields=["last_received_at"], name="log_sources_last_received"),
        ]

    def __str__(self) -> str:
        return f"{self.host} {self.logtype}"


class LogLayout(models.Model):
    """An operator's log4j layout: the ConversionPattern of a log4j.properties appender (or a
    log4j2 PatternLayout), read by preprocess_log when no built-in layout reads a line.

    Compiled to RE2 (logs/layouts.py), so a pattern an operator pastes cannot stall a worker;
    each process re-reads this table when it changes (logs/layout_cache.py).
    """

    name = models.CharField(max_length=64, unique=True)
    pattern = models.CharField(
        max_length=1000,
        help_text="The ConversionPattern, e.g. %d{ISO8601} %-5p [%t] %c{2} (%F:%M(%L)) - %m%n",
    )
    enabled = models.BooleanField(default=True)
    position = models.PositiveIntegerField(
        default=100, help_text="Layouts are tried in this order (lowest first), after built-ins."
    )
    source = models.CharField(
        max_length=500, blank=True, help_text="Where the pattern comes from (a file, a note)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "log_layouts"
        ordering = ["position", "name"]
        verbose_name = "log layout"

    def __str__(self) -> str:
        return self.name
