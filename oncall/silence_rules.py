"""The pure half of silences, maintenance windows and snoozes: host globs, weekly schedules.

Nothing here reads the database or the settings: the selectors in oncall/silences.py load the
rows and pass them (and the cluster's time zone) in.

Host globs are shell-style, as operators write them for a rack or a role: ``dn*``,
``worker1?.dc1``, ``rack[0-3]-*``, ``[!n]*``; several may be given, separated by commas or
spaces (``dn1, dn2 rack7-*``). They match the whole host name, ignoring case (host names are
case-insensitive). An empty glob means "any host". A glob is translated to an RE2 program, so
matching is linear whatever the glob (Python's ``fnmatch`` runs on ``re``, a backtracking
engine, and a glob is user input).

A weekly window is a set of weekdays, a start time and a duration, read in the cluster's time
zone (CLUSTER_TIME_ZONE): "mon,thu 02:00 for 3 h" is active from 02:00 local time, also across
a daylight-saving change (the wall-clock start is kept; the duration is real time).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from diagnosis.patterns import PatternError, pattern_compile

MAX_GLOB_LENGTH = 255
# A weekly window lasts at most a week; longer is a one-off window (or a silence).
MAX_WEEKLY_DURATION = timedelta(days=7)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()


class GlobError(ValueError):
    """A host glob that cannot be used; the message says why."""


class ScheduleError(ValueError):
    """A weekly schedule that cannot be used; the message says why."""


# --- host globs -------------------------------------------------------------------------------


def glob_split(text: str) -> list[str]:
    """The globs of a field: split on commas and white space outside `[…]`, blanks dropped
    (so `[,]` and `[ ]` stand for the character itself)."""
    parts, current, in_class, class_start = [], [], False, 0
    for index, char in enumerate(text):
        if in_class:
            current.append(char)
            # `]` closes the set unless it is its first member (`[]…]`, `[!]…]`).
            if char == "]" and index > class_start:
                in_class = False
            continue
        if char == "[":
            in_class = True
            class_start = index + 1
            if text[index + 1 : index + 2] == "!":
                class_start += 1
            current.append(char)
        elif char == "," or char.isspace():
            if current:
                parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if current:
        parts.append("".join(current))
    return parts


def _class_to_re(body: str) -> str:
    negate = body.startswith("!")
    if negate:
        body = body[1:]
    out = []
    for index, char in enumerate(body):
        if char == "-" and 0 < index < len(body) - 1:
            out.append("-")
        elif char.isalnum():
            out.append(char)
        else:
            out.append("\\" + char)
    return "[" + ("^" if negate else "") + "".join(out) + "]"


def glob_to_regex(glob: str) -> str:
    """One glob as an anchored RE2 pattern (`*` any run, `?` one character, `[…]`, `[!…]`)."""
    out = []
    index = 0
    while index < len(glob):
        char = glob[index]
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[":
            # `]` right after `[` or `[!` is part of the set, as in fnmatch.
            start = index + 1
            if start < len(glob) and glob[start] == "!":
                start += 1
            if start < len(glob) and glob[start] == "]":
                start += 1
            close = glob.find("]", start)
            if close < 0:
                raise GlobError(f"'[' at position {index + 1} is never closed by ']'.")
            body = glob[index + 1 : close]
            if body in ("", "!"):
                raise GlobError(f"'[{body}]' at position {index + 1} matches no character.")
            out.append(_class_to_re(body))
            index = close
        elif char.isalnum():
            out.append(char)
        else:
            out.append("\\" + char)
        index += 1
    return "".join(out)


def glob_check(text: str) -> str:
    """The field's text, normalised (globs separated by ", "); GlobError when unusable."""
    if len(text) > MAX_GLOB_LENGTH:
        raise GlobError(f"At most {MAX_GLOB_LENGTH} characters.")
    globs = glob_split(text)
    for glob in globs:
        if any(ord(char) < 32 for char in glob):
            raise GlobError("Control characters cannot be part of a host name.")
        glob_to_regex(glob)
    try:
        _compiled(tuple(globs))
    except PatternError as exc:
        raise GlobError(str(exc)) from None
    return ", ".join(globs)


@lru_cache(maxsize=1024)
def _compiled(globs: tuple[str, ...]):
    if not globs:
        return None
    pattern = "(?i)^(?:" + "|".join(glob_to_regex(glob) for glob in globs) + r")\z"
    return pattern_compile(pattern)


_UNUSABLE = object()


@lru_cache(maxsize=4096)
def _program(text: str):
    """The field's RE2 program (None: any host; _UNUSABLE: matches nothing), by its text."""
    try:
        return _compiled(tuple(glob_split(text)))
    except (GlobError, PatternError):
        return _UNUSABLE


def glob_matches(text: str, host: str) -> bool:
    """Whether `host` matches the field's globs; an empty field matches every host (and the
    cluster-wide faults, whose host is empty). An unusable glob matches nothing."""
    program = _program(text)
    if program is None:
        return True
    if program is _UNUSABLE:
        return False
    return program.search(host) is not None


# --- weekly schedules -------------------------------------------------------------------------


def weekdays_parse(text: str) -> frozenset[int]:
    """ "mon,wed-fri" → {0, 2, 3, 4}; "*" or "daily" → every day. Ranges may wrap ("sat-mon")."""
    text = text.strip().lower()
    if text in ("*", "daily", "every day"):
        return frozenset(range(7))
    days: set[int] = set()
    for part in glob_split(text):
        ends = part.split("-")
        if len(ends) > 2 or not all(end[:3] in WEEKDAYS for end in ends):
            raise ScheduleError(
                f"{part!r} is not a weekday or a range of them (mon, tue, … sun; e.g. mon-fri)."
            )
        first = WEEKDAYS.index(ends[0][:3])
        last = WEEKDAYS.index(ends[-1][:3])
        day = first
        days.add(day)
        while day != last:
            day = (day + 1) % 7
            days.add(day)
    if not days:
        raise ScheduleError("Name at least one weekday (mon, tue, … sun), or * for every day.")
    return frozenset(days)


def weekdays_format(days: frozenset[int] | set[int]) -> str:
    return ",".join(WEEKDAYS[day] for day in sorted(days))


@dataclass(frozen=True)
class Weekly:
    """Every `days` (0 = Monday) at `start` local time in `zone`, for `duration`; only between
    `not_before` and `not_after` (UTC) when they are set."""

    days: frozenset[int]
    start: time
    duration: timedelta
    zone: str
    not_before: datetime | None = None
    not_after: datetime | None = None

    def __post_init__(self):
        if not self.days:
            raise ScheduleError("A weekly window needs at least one weekday.")
        if not timedelta(0) < self.duration <= MAX_WEEKLY_DURATION:
            raise ScheduleError("A weekly window lasts more than 0 and at most 7 days.")


def _local_start(day: date, start: time, zone: ZoneInfo) -> datetime:
    # A start inside a spring-forward gap (02:30 that never happens) is read with the offset
    # before the change, i.e. it falls one hour later in wall time: the window still happens.
    return datetime.combine(day, start, tzinfo=zone).astimezone(UTC)


def weekly_active_until(schedule: Weekly, now: datetime) -> datetime | None:
    """When the occurrence that covers `now` ends (UTC), or None when `now` is outside every
    occurrence. Overlapping occurrences: the latest end."""
    zone = ZoneInfo(schedule.zone)
    if schedule.not_before and now < schedule.not_before:
        return None
    if schedule.not_after and now >= schedule.not_after:
        return None
    today = now.astimezone(zone).date()
    # An occurrence that covers now started at most `duration` ago (+1 day for the local date).
    span = schedule.duration.days + 2
    ends = []
    for back in range(span):
        day = today - timedelta(days=back)
        if day.weekday() not in schedule.days:
            continue
        start = _local_start(day, schedule.start, zone)
        end = start + schedule.duration
        if start <= now < end:
            ends.append(end)
    if not ends:
        return None
    end = max(ends)
    if schedule.not_after:
        end = min(end, schedule.not_after)
    return end


def weekly_next_start(schedule: Weekly, now: datetime) -> datetime | None:
    """When the window is next active after `now` (UTC): the start of the next occurrence, or
    `not_before` when an occurrence is already running then; None when none is left."""
    ref = now
    if schedule.not_before and schedule.not_before > now:
        if weekly_active_until(schedule, schedule.not_before):
            return schedule.not_before
        ref = schedule.not_before
    zone = ZoneInfo(schedule.zone)
    today = ref.astimezone(zone).date()
    for ahead in range(0, 9):
        day = today + timedelta(days=ahead)
        if day.weekday() not in schedule.days:
            continue
        start = _local_start(day, schedule.start, zone)
        if start <= ref:
            continue
        if schedule.not_after and start >= schedule.not_after:
            return None
        return start
    return None


def once_active_until(starts_at: datetime, ends_at: datetime, now: datetime) -> datetime | None:
    """A one-off interval [starts_at, ends_at): its end while `now` is inside, else None."""
    return ends_at if starts_at <= now < ends_at else None
