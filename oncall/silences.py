"""Silences, maintenance windows, snoozes: the suppressor, its reads, and the writes.

The suppressor (registered in OncallConfig.ready through oncall.suppression) answers, for one
outbox entry, what holds it now: the silence, window or snooze that ends last. It reads the
silences, windows and snoozes at most every SUPPRESSOR_CACHE_SECONDS (_SuppressorCache), and
the fault's occurrence count only for a fault snoozed for N more occurrences; matching runs
here, on RE2 for host globs. A held change is kept by the dispatcher (status `silenced`,
`held_until` = the end given here) and looked at again then. Pages (the fault page) read the
tables afresh.

Ending a silence, window or snooze early (expire, delete, edit) moves `held_until` of the
entries it holds to one cache period from now, so the dispatcher asks again then instead of
waiting for the old end.
"""

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from diagnosis.models import FaultRecord, FaultType, Incident
from oncall.models import FaultSnooze, MaintenanceWindow, OutboxEntry, Silence
from oncall.silence_rules import (
    ScheduleError,
    glob_check,
    glob_matches,
    once_active_until,
    weekly_active_until,
    weekly_next_start,
)
from oncall.suppression import Suppression

# How far an incident silence follows merges (X merged into Y merged into Z…).
MERGE_DEPTH = 5
MAX_SILENCE = timedelta(days=366)
# How stale the worker's copy of the silences and windows may be (see _SuppressorCache).
SUPPRESSOR_CACHE_SECONDS = 2.0
# The fault and incident pages' one-click silence.
ONE_CLICK = timedelta(hours=2)


@dataclass(frozen=True)
class Subject:
    """What a silence is matched against: an outbox entry, or a fault as it is now."""

    fault_id: int
    host: str
    fault_type_code: str
    severity: str
    incident_id: int | None

    @classmethod
    def of_fault(cls, fault: FaultRecord) -> "Subject":
        return cls(
            fault_id=fault.pk,
            host=fault.host,
            fault_type_code=fault.fault_type.code,
            severity=fault.severity,
            incident_id=fault.incident_id,
        )


# --- matching ---------------------------------------------------------------------------------


def _incident_ids(silence: Silence) -> set[int]:
    """The incident and those it was merged into (its faults moved there)."""
    ids = {silence.incident_id}
    current = silence.incident_id
    for _ in range(MERGE_DEPTH):
        current = Incident.objects.filter(pk=current).values_list("merged_into", flat=True).first()
        if current is None or current in ids:
            break
        ids.add(current)
    return ids


def silence_matches(silence: Silence, subject) -> bool:
    if silence.fault_type_code and silence.fault_type_code != subject.fault_type_code:
        return False
    if silence.severity and silence.severity != subject.severity:
        return False
    if silence.host_glob and not glob_matches(silence.host_glob, subject.host or ""):
        return False
    if silence.incident_id:
        return subject.incident_id is not None and subject.incident_id in _incident_ids(silence)
    return True


def window_active_until(window: MaintenanceWindow, now: datetime) -> datetime | None:
    """The end of the window's occurrence that covers `now`, or None (also when incomplete)."""
    if not window.enabled:
        return None
    if window.recurrence == MaintenanceWindow.Recurrence.WEEKLY:
        try:
            return weekly_active_until(window.weekly(), now)
        except ScheduleError:
            return None
    if window.starts_at is None or window.ends_at is None:
        return None
    return once_active_until(window.starts_at, window.ends_at, now)


def window_next_start(window: MaintenanceWindow, now: datetime) -> datetime | None:
    if not window.enabled:
        return None
    if window.recurrence == MaintenanceWindow.Recurrence.WEEKLY:
        try:
            return weekly_next_start(window.weekly(), now)
        except ScheduleError:
            return None
    if window.starts_at and window.starts_at > now:
        return window.starts_at
    return None


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


SNOOZE_FIELDS = ("id", "fault_id", "until", "until_occurrences", "author", "comment")


def _snooze_row(fault_id: int) -> dict | None:
    return FaultSnooze.objects.filter(fault_id=fault_id).values(*SNOOZE_FIELDS).first()


def _snooze_suppression(snooze: dict | None, now: datetime) -> Suppression | None:
    """The fault's snooze (a row of SNOOZE_FIELDS) as a Suppression, while it lasts."""
    if snooze is None:
        return None
    if snooze["until"] is not None and now >= snooze["until"]:
        return None
    left = ""
    if snooze["until_occurrences"] is not None:
        # Counted afresh: occurrences change all the time, a snooze rarely.
        occurrences = (
            FaultRecord.objects.filter(pk=snooze["fault_id"])
            .values_list("occurrences", flat=True)
            .first()
        )
        if occurrences is None or occurrences >= snooze["until_occurrences"]:
            return None
        left = f", {snooze['until_occurrences'] - occurrences} more occurrence(s)"
    return Suppression(
        kind="snooze",
        id=snooze["id"],
        ends_at=snooze["until"] if snooze["until_occurrences"] is None else None,
        reason=_short(f"snoozed by {snooze['author'] or 'someone'}{left}: {snooze['comment']}"),
    )


def silences_in_force(*, now: datetime) -> list[Silence]:
    return list(Silence.objects.filter(starts_at__lte=now, ends_at__gt=now).order_by("-ends_at"))


def _windows_enabled(*, now: datetime, horizon: datetime) -> list[MaintenanceWindow]:
    """Weekly windows, and one-off windows open at some moment between now and the horizon."""
    return list(
        MaintenanceWindow.objects.filter(enabled=True).filter(
            Q(recurrence=MaintenanceWindow.Recurrence.WEEKLY)
            | Q(starts_at__lte=horizon, ends_at__gt=now)
        )
    )


class _SuppressorCache:
    """The silences, windows and snoozes the worker's suppressor matches against, read at most
    every SUPPRESSOR_CACHE_SECONDS: the dispatcher asks once per change, and a storm of
    changes must not read the tables for each (bench/silence_bench.py). Rows are loaded for
    the whole period (silences starting within it too) and checked against the time of each
    question.

    A write in this process (services, the admin: model signals) empties it at once; a write in
    another process (the API, the admin on another host) reaches the worker within the period:
    that is why `held_recheck` asks the dispatcher to look again only after one period."""

    def __init__(self):
        self._lock = threading.Lock()
        self._loaded_at = float("-inf")
        self._silences: list[Silence] = []
        self._windows: list[MaintenanceWindow] = []
        self._snoozes: dict[int, dict] = {}

    def clear(self, **_signal) -> None:
        with self._lock:
            self._loaded_at = float("-inf")

    def rows(self, now: datetime) -> tuple[list[Silence], list[MaintenanceWindow], dict]:
        with self._lock:
            clock = time.monotonic()
            if clock - self._loaded_at >= SUPPRESSOR_CACHE_SECONDS:
                horizon = now + timedelta(seconds=SUPPRESSOR_CACHE_SECONDS)
                self._silences = list(
                    Silence.objects.filter(starts_at__lte=horizon, ends_at__gt=now).order_by(
                        "-ends_at"
                    )
                )
                self._windows = _windows_enabled(now=now, horizon=horizon)
                self._snoozes = {
                    row["fault_id"]: row
                    for row in FaultSnooze.objects.filter(
                        Q(until__isnull=True) | Q(until__gt=now)
                    ).values(*SNOOZE_FIELDS)
                }
                self._loaded_at = clock
            return self._silences, self._windows, self._snoozes


_cache = _SuppressorCache()
suppressor_cache_clear = _cache.clear
for _model in (Silence, MaintenanceWindow, FaultSnooze):
    post_save.connect(_cache.clear, sender=_model, dispatch_uid=f"oncall-cache-{_model.__name__}")
    post_delete.connect(_cache.clear, sender=_model, dispatch_uid=f"oncall-cache-{_model.__name__}")


def suppressions_for(
    subject, *, now: datetime | None = None, cached: bool = False
) -> list[Suppression]:
    """Everything that holds `subject` now: its snooze first, then silences and windows by
    latest end. `cached`: the worker's copy of the tables (_SuppressorCache)."""
    now = now or timezone.now()
    found: list[Suppression] = []
    if cached:
        silence_rows, window_rows, snoozes = _cache.rows(now)
        snooze = _snooze_suppression(snoozes.get(subject.fault_id), now)
    else:
        snooze = _snooze_suppression(_snooze_row(subject.fault_id), now)
        silence_rows = silences_in_force(now=now)
        window_rows = _windows_enabled(now=now, horizon=now)
    if snooze is not None:
        found.append(snooze)
    others: list[Suppression] = []
    for silence in silence_rows:
        if not silence.starts_at <= now < silence.ends_at:
            continue
        if silence_matches(silence, subject):
            others.append(
                Suppression(
                    kind="silence",
                    id=silence.pk,
                    ends_at=silence.ends_at,
                    reason=_short(
                        f"silence #{silence.pk} ({silence.matchers_text}) by {silence.author}: "
                        f"{silence.comment}"
                    ),
                )
            )
    for window in window_rows:
        if not glob_matches(window.host_glob, subject.host or ""):
            continue
        until = window_active_until(window, now)
        if until is not None:
            others.append(
                Suppression(
                    kind="maintenance",
                    id=window.pk,
                    ends_at=until,
                    reason=_short(f"maintenance window “{window.name}” ({window.host_glob})"),
                )
            )
    others.sort(key=lambda s: s.ends_at, reverse=True)
    return found + others


def silences_suppressor(change) -> Suppression | None:
    """The registered suppressor: what holds this outbox entry now, or None."""
    subject = Subject(
        fault_id=change.fault_id,
        host=change.host,
        fault_type_code=change.fault_type_code,
        severity=change.severity,
        incident_id=change.incident_id,
    )
    found = suppressions_for(subject, cached=True)
    if not found:
        return None
    # A finite end beats an open-ended snooze: the dispatcher looks again then.
    finite = [s for s in found if s.ends_at is not None]
    return max(finite, key=lambda s: s.ends_at) if finite else found[0]


def fault_suppressions(*, fault: FaultRecord, now: datetime | None = None) -> list[Suppression]:
    """What mutes a fault right now (its page says "silenced until …")."""
    return suppressions_for(Subject.of_fault(fault), now=now)


# --- reads ------------------------------------------------------------------------------------


def silence_list(*, state: str = "", now: datetime | None = None) -> QuerySet[Silence]:
    """Silences, latest end first; `state` narrows: active, pending, expired."""
    now = now or timezone.now()
    queryset = Silence.objects.select_related("incident").order_by("-ends_at", "-id")
    if state == "active":
        queryset = queryset.filter(starts_at__lte=now, ends_at__gt=now)
    elif state == "pending":
        queryset = queryset.filter(starts_at__gt=now)
    elif state == "expired":
        queryset = queryset.filter(ends_at__lte=now)
    return queryset


def incident_silences(*, incident: Incident, now: datetime | None = None) -> list[Silence]:
    """The silences in force on this incident's faults as an incident: those naming it, or an
    incident merged into it (one query)."""
    now = now or timezone.now()
    merged = Incident.objects.filter(merged_into=incident).values("pk")
    return list(
        Silence.objects.filter(starts_at__lte=now, ends_at__gt=now)
        .filter(Q(incident=incident) | Q(incident__in=merged))
        .order_by("-ends_at", "-id")
    )


def silence_get(*, silence_id: int) -> Silence:
    return Silence.objects.get(pk=silence_id)


def silenced_outbox(*, kind: str, object_id: int) -> QuerySet[OutboxEntry]:
    """The outbox entries a silence, window or snooze holds."""
    return OutboxEntry.objects.filter(
        status=OutboxEntry.Status.SILENCED, suppression__kind=kind, suppression__id=object_id
    )


# --- writes -----------------------------------------------------------------------------------


def held_recheck(*, kind: str, object_id: int, now: datetime | None = None) -> int:
    """Let the dispatcher look again at the entries this one held: as soon as every worker's
    copy of the silences has been read again (one SUPPRESSOR_CACHE_SECONDS), not at the old
    end."""
    now = now or timezone.now()
    _cache.clear()
    again = now + timedelta(seconds=SUPPRESSOR_CACHE_SECONDS)
    return silenced_outbox(kind=kind, object_id=object_id).update(held_until=again)


def glob_escape(host: str) -> str:
    """A glob that matches exactly this host name."""
    # `!` is special only right after `[`; `,` and white space would split the field.
    return "".join(f"[{char}]" if char in "*?[]," or char.isspace() else char for char in host)


def _check_type(code: str) -> None:
    if code and not FaultType.objects.filter(code=code).exists():
        raise ValidationError({"fault_type_code": f"No fault type with the code {code!r}."})


def silence_create(
    *,
    author: str,
    comment: str,
    host_glob: str = "",
    fault_type_code: str = "",
    severity: str = "",
    incident: Incident | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    duration: timedelta | None = None,
) -> Silence:
    """A new silence; ValidationError (with field messages) when it is unusable."""
    starts_at = starts_at or timezone.now()
    if ends_at is None:
        if duration is None:
            raise ValidationError({"ends_at": "Give an end or a duration."})
        ends_at = starts_at + duration
    if ends_at - starts_at > MAX_SILENCE:
        raise ValidationError({"ends_at": "A silence lasts at most 366 days."})
    try:
        host_glob = glob_check(host_glob)
    except ValueError as exc:
        raise ValidationError({"host_glob": str(exc)}) from None
    _check_type(fault_type_code)
    silence = Silence(
        host_glob=host_glob,
        fault_type_code=fault_type_code,
        severity=severity,
        incident=incident,
        starts_at=starts_at,
        ends_at=ends_at,
        author=author,
        comment=comment,
    )
    silence.full_clean()
    silence.save()
    return silence


def silence_for_fault(
    *, fault: FaultRecord, duration: timedelta, author: str, comment: str = ""
) -> Silence:
    """The fault page's "silence 2 h": this fault's type on this host (cluster-wide: the type)."""
    return silence_create(
        author=author,
        comment=comment or f"Silenced from fault #{fault.pk}: {fault.title}",
        host_glob=glob_escape(fault.host) if fault.host else "",
        fault_type_code=fault.fault_type.code,
        duration=duration,
    )


def silence_for_incident(
    *, incident: Incident, duration: timedelta, author: str, comment: str = ""
) -> Silence:
    """The incident page's "silence 2 h": every fault of the incident."""
    return silence_create(
        author=author,
        comment=comment or f"Silenced from incident #{incident.pk}: {incident.title}",
        incident=incident,
        duration=duration,
    )


def silence_expire(*, silence: Silence, now: datetime | None = None) -> Silence:
    """End it now (a pending one never starts); what it held is looked at again."""
    now = now or timezone.now()
    with transaction.atomic():
        if silence.ends_at > now:
            silence.ends_at = now
            silence.starts_at = min(silence.starts_at, now)
            silence.save(update_fields=["starts_at", "ends_at", "updated_at"])
        held_recheck(kind="silence", object_id=silence.pk, now=now)
    return silence


def silence_delete(*, silence: Silence) -> None:
    with transaction.atomic():
        held_recheck(kind="silence", object_id=silence.pk)
        silence.delete()


def maintenance_window_create(*, author: str = "", **fields) -> MaintenanceWindow:
    window = MaintenanceWindow(author=author, **fields)
    window.full_clean()
    window.save()
    return window


def maintenance_window_changed(*, window: MaintenanceWindow) -> None:
    """After an edit or before a delete: what it held is looked at again."""
    held_recheck(kind="maintenance", object_id=window.pk)


def fault_snooze(
    *,
    fault: FaultRecord,
    author: str,
    until: datetime | None = None,
    occurrences: int | None = None,
    comment: str = "",
) -> FaultSnooze:
    """Mute one fault until a time, or for N more occurrences (whichever ends first); replaces
    the fault's snooze."""
    if until is None and occurrences is None:
        raise ValidationError("Snooze until a time, or for a number of occurrences.")
    if occurrences is not None and occurrences < 1:
        raise ValidationError({"occurrences": "At least one occurrence."})
    if until is not None and until <= timezone.now():
        raise ValidationError({"until": "The end must be in the future."})
    with transaction.atomic():
        current = FaultRecord.objects.filter(pk=fault.pk).values_list("occurrences", flat=True)
        count = current.first() or 0
        previous = FaultSnooze.objects.filter(fault=fault).first()
        if previous is not None:
            held_recheck(kind="snooze", object_id=previous.pk)
            previous.delete()
        return FaultSnooze.objects.create(
            fault=fault,
            until=until,
            until_occurrences=None if occurrences is None else count + occurrences,
            author=author,
            comment=comment,
        )


def fault_unsnooze(*, fault: FaultRecord) -> bool:
    with transaction.atomic():
        snooze = FaultSnooze.objects.filter(fault=fault).first()
        if snooze is None:
            return False
        held_recheck(kind="snooze", object_id=snooze.pk)
        snooze.delete()
        return True
