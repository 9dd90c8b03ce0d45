"""Silences, maintenance windows and snoozes: what holds a change back from the channels.

A held change is never lost: the dispatcher marks its outbox row `silenced` with what held it
(oncall/suppression.py) and looks again when that ends; a fault still open then is notified
once. The matching is in oncall/silences.py (the suppressor), the globs and schedules in
oncall/silence_rules.py. Imported by oncall/models.py, so these are oncall's models.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from diagnosis.models import Severity
from oncall.silence_rules import (
    GlobError,
    ScheduleError,
    Weekly,
    glob_check,
    weekdays_format,
    weekdays_parse,
)


def validate_host_glob(text: str) -> None:
    try:
        glob_check(text)
    except GlobError as exc:
        raise ValidationError(str(exc)) from None


def validate_weekdays(text: str) -> None:
    if not text.strip():
        return
    try:
        weekdays_parse(text)
    except ScheduleError as exc:
        raise ValidationError(str(exc)) from None


HOST_GLOB_HELP = (
    "Shell-style, whole host name, any case: dn*, worker1?.dc1, rack[0-3]-*; several separated "
    "by commas or spaces."
)


class Silence(models.Model):
    """Mute the changes that match every matcher given, from `starts_at` until `ends_at`.

    Blank matchers match everything, but a silence names at least one (a silence of everything
    is `host_glob = *`, written on purpose). Expiring one sets `ends_at` to now.
    """

    host_glob = models.CharField(
        max_length=255, blank=True, validators=[validate_host_glob], help_text=HOST_GLOB_HELP
    )
    fault_type_code = models.CharField(
        "fault type", max_length=64, blank=True, help_text="A fault type code, e.g. datanodes_dead."
    )
    severity = models.CharField(
        max_length=16, choices=Severity.choices, blank=True, help_text="Exactly this severity."
    )
    incident = models.ForeignKey(
        "diagnosis.Incident",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The incident's faults (and those of an incident it was merged into).",
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    author = models.CharField(max_length=150, help_text="User, token:<name> or cli:<user>.")
    comment = models.TextField(help_text="Why: the planned restart, the ticket.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "silences"
        ordering = ["-ends_at", "-id"]
        indexes = [models.Index(fields=["ends_at", "starts_at"], name="silences_active")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gte=models.F("starts_at")), name="silences_ends_after"
            )
        ]

    def __str__(self) -> str:
        return f"silence #{self.pk}: {self.matchers_text}"

    @property
    def matchers_text(self) -> str:
        parts = []
        if self.host_glob:
            parts.append(f"host={self.host_glob}")
        if self.fault_type_code:
            parts.append(f"type={self.fault_type_code}")
        if self.severity:
            parts.append(f"severity={self.severity}")
        if self.incident_id:
            parts.append(f"incident=#{self.incident_id}")
        return " ".join(parts) or "(no matcher)"

    def state(self, now) -> str:
        if now < self.starts_at:
            return "pending"
        if now < self.ends_at:
            return "active"
        return "expired"

    def clean(self):
        super().clean()
        if not (self.host_glob or self.fault_type_code or self.severity or self.incident_id):
            raise ValidationError(
                "Name at least one matcher (host glob, fault type, severity or incident); "
                "to silence everything, write the host glob *."
            )
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The end must come after the start."})


class MaintenanceWindow(models.Model):
    """Planned work on hosts: their changes are held while the window is open.

    One-off: from `starts_at` until `ends_at`. Weekly: on `weekdays` at `start_time` (the
    cluster's time zone, CLUSTER_TIME_ZONE) for `duration_minutes`; `starts_at`/`ends_at`,
    when set, bound the first and last occurrence.
    """

    class Recurrence(models.TextChoices):
        ONCE = "once", "one-off"
        WEEKLY = "weekly"

    name = models.CharField(max_length=200)
    host_glob = models.CharField(
        max_length=255, validators=[validate_host_glob], help_text=HOST_GLOB_HELP
    )
    recurrence = models.CharField(max_length=8, choices=Recurrence.choices, default=Recurrence.ONCE)
    starts_at = models.DateTimeField(
        null=True, blank=True, help_text="One-off: the start. Weekly: not before (optional)."
    )
    ends_at = models.DateTimeField(
        null=True, blank=True, help_text="One-off: the end. Weekly: not after (optional)."
    )
    weekdays = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_weekdays],
        help_text="Weekly: mon,thu or mon-fri or * (every day).",
    )
    start_time = models.TimeField(
        null=True, blank=True, help_text="Weekly: local time in the cluster's time zone."
    )
    duration_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Weekly: how long each occurrence lasts (≤ 7 days)."
    )
    enabled = models.BooleanField(default=True)
    author = models.CharField(max_length=150, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "maintenance_windows"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def weekly(self) -> Weekly:
        """The schedule of a weekly window (ScheduleError when incomplete)."""
        if not self.weekdays or self.start_time is None or not self.duration_minutes:
            raise ScheduleError("A weekly window needs weekdays, a start time and a duration.")
        return Weekly(
            days=weekdays_parse(self.weekdays),
            start=self.start_time,
            duration=timedelta(minutes=self.duration_minutes),
            zone=settings.CLUSTER_TIME_ZONE,
            not_before=self.starts_at,
            not_after=self.ends_at,
        )

    @property
    def schedule_text(self) -> str:
        if self.recurrence == self.Recurrence.WEEKLY:
            try:
                days = weekdays_format(weekdays_parse(self.weekdays))
            except ScheduleError:
                days = self.weekdays
            start = self.start_time.strftime("%H:%M") if self.start_time else "?"
            return f"weekly {days} {start} for {self.duration_minutes or '?'} min"
        return "one-off"

    def clean(self):
        super().clean()
        if not self.host_glob.strip():
            raise ValidationError({"host_glob": "Name the host(s): a host name or a glob."})
        if self.recurrence == self.Recurrence.ONCE:
            errors = {}
            if self.starts_at is None:
                errors["starts_at"] = "A one-off window needs a start."
            if self.ends_at is None:
                errors["ends_at"] = "A one-off window needs an end."
            if errors:
                raise ValidationError(errors)
        else:
            errors = {}
            if not self.weekdays.strip():
                errors["weekdays"] = "Name the weekdays, e.g. mon,thu or * for every day."
            if self.start_time is None:
                errors["start_time"] = "A weekly window needs a start time."
            if not self.duration_minutes:
                errors["duration_minutes"] = "A weekly window needs a duration."
            elif self.duration_minutes > 7 * 24 * 60:
                errors["duration_minutes"] = "At most 7 days (10080 minutes)."
            if errors:
                raise ValidationError(errors)
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The end must come after the start."})


class FaultSnooze(models.Model):
    """One fault muted until a time, or for N more occurrences (whichever ends first).

    `until_occurrences` is the fault's occurrence count at which the snooze ends (its count
    when snoozed + N). One snooze per fault: snoozing again replaces it.
    """

    fault = models.OneToOneField(
        "diagnosis.FaultRecord", on_delete=models.CASCADE, related_name="snooze"
    )
    until = models.DateTimeField(null=True, blank=True)
    until_occurrences = models.PositiveBigIntegerField(null=True, blank=True)
    author = models.CharField(max_length=150, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "fault_snoozes"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(until__isnull=False) | models.Q(until_occurrences__isnull=False),
                name="fault_snoozes_has_an_end",
            )
        ]

    def __str__(self) -> str:
        return f"snooze of fault #{self.fault_id}"
