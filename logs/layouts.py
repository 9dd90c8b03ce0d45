"""An operator's log4j layout -> an RE2 program that reads lines written with it.

An operator pastes the ConversionPattern of a log4j 1 `log4j.properties` appender (or the pattern
of a log4j2 PatternLayout); compile_layout() turns it into one anchored RE2 program and a reader
that yields the fields preprocess_log stores. RE2 runs in time linear in the line whatever the
pattern (diagnosis/patterns.py says why Python's `re` must not run operator input): a pattern
pasted in the admin cannot stall ingestion.

Conversion characters read (log4j 1 letters and their log4j2 names; docs/layouts.md has the
table and real patterns from Hadoop distributions): `%d{…}` with SimpleDateFormat letters or a
named format (ISO8601, ABSOLUTE, DATE, COMPACT, DEFAULT, ISO8601_BASIC, UNIX, UNIX_MILLIS),
`%p`, `%t`, `%c{n}`, `%C`, `%F`, `%M`, `%L`, `%l`, `%m`, `%n`, `%X{…}`, `%x`, `%r`, `%%`, literal
text, log4j2's `%notEmpty{…}` (optional), and the format modifiers (`%-5p`, `%20c`, `%.30c`).
A pattern that cannot be read raises LayoutError, whose message names the part.
"""

import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

import re2

from logs.models import LogLevel

# RE2 compiles a layout into at most this much memory (a layout is far smaller).
MAX_PROGRAM_MEMORY = 8 * 1024 * 1024
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
_OPTIONS.max_mem = MAX_PROGRAM_MEMORY
_OPTIONS.dot_nl = True  # a message may hold a newline when a sender joins lines
_ANCHOR_BOTH = re2._Anchor.ANCHOR_BOTH  # the whole line, as fullmatch

_LEVEL_WORDS = {
    "TRACE": LogLevel.TRACE.value,
    "DEBUG": LogLevel.DEBUG.value,
    "INFO": LogLevel.INFO.value,
    "WARN": LogLevel.WARN.value,
    "WARNING": LogLevel.WARN.value,
    "ERROR": LogLevel.ERROR.value,
    "FATAL": LogLevel.FATAL.value,
}
# `%.1p` writes the first letter only (a log4j max width); the letters are unambiguous.
_LEVEL_BY_LETTER = {word[0]: level for word, level in _LEVEL_WORDS.items()}
_LEVEL_RE = r"TRACE|DEBUG|INFO|WARN(?:ING)?|ERROR|FATAL"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBER = {name.lower(): number for number, name in enumerate(_MONTHS, 1)}
_FULL_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
for _number, _name in enumerate(_FULL_MONTHS, 1):
    _MONTH_NUMBER[_name.lower()] = _number

# log4j's and log4j2's named date formats, as SimpleDateFormat patterns. log4j 1 writes
# ISO8601 with a space, log4j2 with a `T`: both are read.
_NAMED_DATES = {
    "ISO8601": "yyyy-MM-dd[ T]HH:mm:ss,SSS",
    "ISO8601_BASIC": "yyyyMMdd'T'HHmmss,SSS",
    "ISO8601_OFFSET_DATE_TIME_HH": "yyyy-MM-dd'T'HH:mm:ss,SSSX",
    "ISO8601_OFFSET_DATE_TIME_HHMM": "yyyy-MM-dd'T'HH:mm:ss,SSSXX",
    "ISO8601_OFFSET_DATE_TIME_HHCMM": "yyyy-MM-dd'T'HH:mm:ss,SSSXXX",
    "ABSOLUTE": "HH:mm:ss,SSS",
    "ABSOLUTE_MICROS": "HH:mm:ss,SSSSSS",
    "ABSOLUTE_NANOS": "HH:mm:ss,SSSSSSSSS",
    "DATE": "dd MMM yyyy HH:mm:ss,SSS",
    "COMPACT": "yyyyMMddHHmmssSSS",
    "DEFAULT": "yyyy-MM-dd HH:mm:ss,SSS",
    "DEFAULT_MICROS": "yyyy-MM-dd HH:mm:ss,SSSSSS",
    "DEFAULT_NANOS": "yyyy-MM-dd HH:mm:ss,SSSSSSSSS",
}

# Conversion words (log4j2 spells them out; log4j 1 has the letters) -> what they are.
_CONVERTERS = {
    "d": "date",
    "date": "date",
    "p": "level",
    "level": "level",
    "t": "thread",
    "thread": "thread",
    "tn": "thread",
    "threadName": "thread",
    "c": "logger",
    "lo": "logger",
    "logger": "logger",
    "C": "class",
    "class": "class",
    "F": "file",
    "file": "file",
    "M": "method",
    "method": "method",
    "L": "line",
    "line": "line",
    "l": "location",
    "location": "location",
    "m": "message",
    "msg": "message",
    "message": "message",
    "n": "newline",
    "X": "mdc",
    "mdc": "mdc",
    "MDC": "mdc",
    "K": "mdc",
    "x": "ndc",
    "ndc": "ndc",
    "NDC": "ndc",
    "r": "number",
    "relative": "number",
    "T": "number",
    "tid": "number",
    "threadId": "number",
    "pid": "number",
    "processId": "number",
    "sn": "number",
    "sequenceNumber": "number",
    "N": "number",
    "nano": "number",
    "u": "word",
    "uuid": "word",
    # A throwable is written on the lines after the event's own: nothing on this line.
    "ex": "nothing",
    "exception": "nothing",
    "throwable": "nothing",
    "xEx": "nothing",
    "xException": "nothing",
    "xThrowable": "nothing",
    "rEx": "nothing",
    "rException": "nothing",
    "rThrowable": "nothing",
    "wEx": "nothing",
    "xwEx": "nothing",
}
# log4j2's wrappers that write what they hold or nothing: read as optional.
_OPTIONAL = {"notEmpty", "varsNotEmpty", "variablesNotEmpty"}
# Wrappers of another pattern (colours, replacements): refused with what to do instead.
_WRAPPERS = {
    "highlight",
    "style",
    "clr",
    "replace",
    "equals",
    "equalsIgnoreCase",
    "maxLen",
    "maxLength",
    "encode",
    "enc",
    "black",
    "blue",
    "cyan",
    "green",
    "magenta",
    "red",
    "white",
    "yellow",
}

# The regex of each field. Lazy where a field may hold spaces (a thread name), so the literal
# text after it decides where it ends; leftmost-first matching (RE2 keeps Perl's) then reads
# the line as log4j wrote it.
_FIELD_RE = {
    "thread": r"(.+?)",
    "logger": r"(\S+?)",
    "class": r"([^\s:@()]+?)",
    "file": r"([^\s:()]+)",
    "method": r"([^\s:()]+)",
    "line": r"(\d+|\?)",
    "message": r"(.*)",
    "mdc": r".*?",
    "ndc": r".*?",
    "number": r"\d+",
    "word": r"\S+",
    "nothing": "",
}
# `Class.method(File.java:123)`, or `?` when log4j had no location.
_LOCATION_RE = r"(?:([^\s(]+)\(([^():]*)(?::(\d+))?\)|\?)"

_WORD = re.compile(r"[A-Za-z]+")
_MODIFIER = re.compile(r"(-?)(\d*)(?:\.(\d+))?")
_PROPERTY_PREFIX = re.compile(
    r"\s*(?:log4j\.appender\.[\w.$-]+\.ConversionPattern|appender\.[\w.$-]+\.pattern"
    r"|[\w.$-]+\.layout\.(?:ConversionPattern|pattern))\s*[=:]\s*",
    re.IGNORECASE,
)
_XML_PATTERN = re.compile(r"\s*<\s*(?:Pattern|PatternLayout)\b[^>]*?pattern\s*=\s*\"([^\"]*)\"")

MAX_PATTERN_CHARS = 1000
# system_logs.code_line is a PositiveIntegerField (MySQL INT UNSIGNED): a hostile %L must not
# fail an insert.
CODE_LINE_MAX = 2**31 - 1


class LayoutError(ValueError):
    """The pattern cannot be read; the message names the part, for the person who pasted it."""


@dataclass(frozen=True, slots=True)
class _DateGroups:
    """Group numbers (0: absent) of one %d's parts."""

    year: int = 0
    year2: int = 0
    month: int = 0
    month_name: int = 0
    day: int = 0
    hour: int = 0
    hour12: int = 0
    ampm: int = 0
    minute: int = 0
    second: int = 0
    fraction: int = 0
    offset: int = 0
    epoch: int = 0
    epoch_millis: int = 0
    zone: str = ""  # %d{…}{zone}: the zone the date is written in, when the pattern says


@dataclass(frozen=True, slots=True)
class LayoutRead:
    """What a layout read from one line."""

    log_time: datetime | None
    level: str
    component: str
    thread: str
    message: str
    code_file: str
    code_line: int | None


@dataclass(frozen=True)
class Layout:
    """A compiled layout: `read(line, zone)` returns a LayoutRead, or None if the line is not
    in this layout."""

    name: str
    pattern: str
    program: object  # RE2
    regex: str
    prefix: str  # literal text every line starts with ("" if none)
    starts_with_digit: bool
    level_group: int
    level_abbreviated: bool
    logger_group: int
    class_group: int
    location_class_group: int
    thread_group: int
    message_group: int
    file_group: int
    line_group: int
    date: _DateGroups | None

    def read(self, line: str, zone_name: str) -> LayoutRead | None:
        if self.prefix and not line.startswith(self.prefix):
            return None
        if self.starts_with_digit and not "0" <= line[:1] <= "9":
            return None
        return self.read_encoded(line.encode("utf-8", "replace"), zone_name)

    def read_encoded(self, data: bytes, zone_name: str) -> LayoutRead | None:
        """`read` of the line's UTF-8 bytes.

        The match goes to the C++ binding of google-re2 (pinned in requirements.txt), which
        returns the groups' byte spans: the Python wrapper's fullmatch() converts every span
        to character offsets and builds each group in Python, which measured 10x slower on a
        Kafka line (25 µs against 2.2 µs); a layout has a dozen groups, the date alone seven.
        """
        spans = self.program._regexp.Match(_ANCHOR_BOTH, data, 0, len(data))
        if spans[0][0] < 0:
            return None
        # Group numbers index it directly (0: the whole line, never read).
        g = [None]
        for start, end in spans[1:]:
            g.append(data[start:end].decode("utf-8", "replace") if start >= 0 else None)
        level_text = g[self.level_group]
        if self.level_abbreviated:
            level = _LEVEL_BY_LETTER[level_text[0]]
        else:
            level = _LEVEL_WORDS[level_text]
        component = (
            g[self.logger_group]
            or g[self.class_group]
            or _class_of(g[self.location_class_group])
            or ""
        )
        line_text = g[self.line_group]
        code_line = int(line_text) if line_text and line_text.isdigit() else None
        return LayoutRead(
            log_time=_date_of(g, self.date, zone_name) if self.date is not None else None,
            level=level,
            component=component,
            thread=g[self.thread_group] or "",
            message=g[self.message_group] or "",
            code_file=_no_unknown(g[self.file_group]),
            code_line=code_line if code_line is None or code_line <= CODE_LINE_MAX else None,
        )


def _no_unknown(value: str | None) -> str:
    return "" if value is None or value == "?" else value


def _class_of(location: str | None) -> str:
    """`org.a.B.method` (the location's class and method) -> `org.a.B`."""
    if not location:
        return ""
    return location.rpartition(".")[0] or location


@lru_cache(maxsize=64)
def _zone(name: str):
    if name in ("UTC", "GMT", "Z"):
        return UTC
    match = re.fullmatch(r"(?:GMT|UTC)?([+-])(\d\d?)(?::?(\d\d))?", name)
    if match:
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        return timezone(-delta if sign == "-" else delta)
    return zoneinfo.ZoneInfo(name)


def _date_of(g: tuple, date: _DateGroups, zone_name: str) -> datetime | None:
    try:
        if date.epoch:
            return datetime.fromtimestamp(int(g[date.epoch]), UTC)
        if date.epoch_millis:
            return datetime.fromtimestamp(int(g[date.epoch_millis]) / 1000, UTC)
        if date.year:
            year = int(g[date.year])
        elif date.year2:
            year = 2000 + int(g[date.year2])
        else:
            return None  # a time of day only (ABSOLUTE): no day to place it on
        if date.month:
            month = int(g[date.month])
        elif date.month_name:
            month = _MONTH_NUMBER[g[date.month_name].lower()]
        else:
            return None
        day = int(g[date.day]) if date.day else 1
        if date.hour:
            hour = int(g[date.hour])
        elif date.hour12:
            hour = int(g[date.hour12]) % 12
            if date.ampm and g[date.ampm].upper() == "PM":
                hour += 12
        else:
            hour = 0
        minute = int(g[date.minute]) if date.minute else 0
        second = int(g[date.second]) if date.second else 0
        fraction = g[date.fraction] if date.fraction else None
        micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
        if not 1000 < year < 9999:  # MySQL's DATETIME range
            return None
        local = datetime(year, month, day, hour, minute, second, micro)
        offset = g[date.offset] if date.offset else None
        tz = _zone(offset or date.zone or zone_name)
        return local.replace(tzinfo=tz).astimezone(UTC)
    except (ValueError, OverflowError, KeyError):
        return None


class _Compiler:
    def __init__(self, pattern: str):
        self.pattern = pattern
        self.parts: list[str] = []
        self.groups = 0
        self.slots: dict[str, int] = {}
        self.date: _DateGroups | None = None
        self.level_abbreviated = False
        self.newline_at: int | None = None

    def group(self, regex: str) -> int:
        self.groups += 1
        self.parts.append(regex)
        return self.groups

    def literal(self, text: str) -> None:
        if self.newline_at is not None and text:
            self.fail_at(self.newline_at, "%n", self._NEWLINE_INSIDE)
        self.parts.append(re.escape(text))

    _NEWLINE_INSIDE = (
        "a line ends at %n, and the portal reads one line at a time: a layout that writes an "
        "event on several lines cannot be read; keep the pattern up to its first %n"
    )

    def fail_at(self, position: int, part: str, reason: str):
        raise LayoutError(f"{part!s} at character {position + 1}: {reason}")

    def compile(self) -> list[str]:
        self.run(0, len(self.pattern))
        return self.parts

    def run(self, i: int, n: int) -> None:
        """Compile pattern[i:n]: the whole pattern, or what an optional wrapper holds."""
        pattern = self.pattern
        text: list[str] = []
        while i < n:
            ch = pattern[i]
            if ch != "%":
                if pattern.startswith("${", i):
                    end = pattern.find("}", i)
                    part = pattern[i : end + 1] if end > 0 else pattern[i:]
                    self.fail_at(
                        i,
                        part,
                        "a property reference; paste the pattern with the value it stands for",
                    )
                text.append(ch)
                i += 1
                continue
            if pattern.startswith("%%", i):
                text.append("%")
                i += 2
                continue
            self.literal("".join(text))
            text = []
            i = self.conversion(i, n)
        self.literal("".join(text))

    def closing_brace(self, opening: int, n: int) -> int:
        depth = 0
        for index in range(opening, n):
            if self.pattern[index] == "{":
                depth += 1
            elif self.pattern[index] == "}":
                depth -= 1
                if depth == 0:
                    return index
        self.fail_at(opening, self.pattern[opening:n], "the { opened here is not closed by }")

    def conversion(self, start: int, n: int) -> int:
        pattern = self.pattern
        modifier = _MODIFIER.match(pattern, start + 1, n)
        left, min_width, max_width = modifier.groups()
        i = modifier.end()
        word = _WORD.match(pattern, i, n)
        if word is None:
            shown = pattern[start : i + 1]
            if i >= n:
                self.fail_at(start, shown, "a % at the end of the pattern (write %% for a %)")
            self.fail_at(start, shown, "a % without a conversion character (write %% for a %)")
        name = word.group()
        if name in _OPTIONAL and word.end() < n and pattern[word.end()] == "{":
            # log4j2's %notEmpty{…}: what it holds, or nothing when its fields are empty.
            end = self.closing_brace(word.end(), n)
            self.parts.append("(?:")
            self.run(word.end() + 1, end)
            self.parts.append(")?")
            return end + 1
        if name in _WRAPPERS:
            self.fail_at(
                start,
                f"%{name}{{…}}",
                "wraps another pattern (colour, replacement); paste the pattern inside it",
            )
        # log4j2 reads the longest known conversion word; what follows is literal text.
        key = next((name[:k] for k in range(len(name), 0, -1) if name[:k] in _CONVERTERS), None)
        if key is None:
            if any(name.startswith(w) for w in _WRAPPERS):
                self.fail_at(
                    start,
                    f"%{name}{{…}}",
                    "wraps another pattern (colour, replacement); paste the pattern inside it",
                )
            self.fail_at(
                start, pattern[start : word.end()], f"unknown conversion character {name!r}"
            )
        i = word.start() + len(key)
        options: list[str] = []
        if i == word.end():
            while i < n and pattern[i] == "{":
                end = pattern.find("}", i, n)
                if end < 0:
                    self.fail_at(i, pattern[start:], "the option opened by { is not closed by }")
                options.append(pattern[i + 1 : end])
                i = end + 1
        part = pattern[start:i]
        kind = _CONVERTERS[key]
        if self.newline_at is not None and kind not in ("newline", "nothing"):
            self.fail_at(self.newline_at, "%n", self._NEWLINE_INSIDE)
        pad_before = bool(min_width) and not left
        pad_after = bool(min_width) and bool(left)
        if pad_before:
            self.parts.append(" *")
        self.field(kind, part, start, options, max_width)
        if pad_after:
            self.parts.append(" *")
        return i

    def field(self, kind: str, part: str, start: int, options: list[str], max_width) -> None:
        if kind == "newline":
            if self.newline_at is None:
                self.newline_at = start
            return
        if kind == "date":
            self.date_field(part, start, options)
            return
        if kind == "level":
            if options:
                self.fail_at(start, part, "level options are not supported; write %p")
            self.need_once("level", part, start)
            if max_width and int(max_width) < 5:
                width = int(max_width)
                self.level_abbreviated = True
                self.slots["level"] = self.group(f"([TDIWEF][A-Z]{{0,{max(width - 1, 0)}}})")
            else:
                self.slots["level"] = self.group(f"({_LEVEL_RE})")
            return
        if kind == "location":
            self.need_once("location", part, start)
            self.parts.append(_LOCATION_RE)
            self.slots["location_class"] = self.groups + 1
            self.slots["location_file"] = self.groups + 2
            self.slots["location_line"] = self.groups + 3
            self.groups += 3
            return
        regex = _FIELD_RE[kind]
        if kind in ("thread", "logger", "class", "file", "line", "message", "method"):
            if kind in self.slots:
                # A second %t or %c (rare): read it, keep the first.
                self.parts.append(regex.replace("(", "(?:", 1))
                return
            self.slots[kind] = self.group(regex)
            return
        self.parts.append(regex)

    def need_once(self, kind: str, part: str, start: int) -> None:
        if kind in self.slots:
            self.fail_at(start, part, "appears twice; the portal reads one of each")

    def date_field(self, part: str, start: int, options: list[str]) -> None:
        if self.date is not None:
            self.fail_at(start, part, "a second date; the portal reads one")
        fmt = options[0] if options else "ISO8601"
        zone = options[1] if len(options) > 1 else ""
        if zone:
            try:
                _zone(zone)
            except Exception:  # noqa: BLE001 - any unknown zone name
                self.fail_at(start, part, f"unknown time zone {zone!r}")
        if fmt in ("UNIX", "UNIX_MILLIS"):
            group = self.group(r"(\d+)")
            key = "epoch" if fmt == "UNIX" else "epoch_millis"
            self.date = _DateGroups(**{key: group}, zone=zone)
            return
        simple = _NAMED_DATES.get(fmt, fmt)
        self.date = self.simple_date(simple, part, start, zone)

    def simple_date(self, fmt: str, part: str, start: int, zone: str) -> _DateGroups:
        slots: dict[str, int] = {}
        i, n = 0, len(fmt)

        def take(name: str, regex: str) -> None:
            if name in slots:
                self.fail_at(start, part, f"the date format {fmt!r} has {name} twice")
            slots[name] = self.group(regex)

        while i < n:
            ch = fmt[i]
            if fmt.startswith("[ T]", i):  # ISO8601 as log4j 1 or log4j2 writes it
                self.parts.append("[ T]")
                i += 4
                continue
            if ch == "'":
                end = fmt.find("'", i + 1)
                if end < 0:
                    self.fail_at(start, part, f"the date format {fmt!r} has an unclosed quote")
                self.parts.append(re.escape(fmt[i + 1 : end] if end > i + 1 else "'"))
                i = end + 1
                continue
            if not ch.isascii() or not ch.isalpha():
                self.parts.append(re.escape(ch))
                i += 1
                continue
            j = i
            while j < n and fmt[j] == ch:
                j += 1
            count = j - i
            i = j
            if ch == "y":
                if count == 2:
                    take("year2", r"(\d\d)")
                else:
                    take("year", r"(\d{4})")
            elif ch == "M":
                if count >= 4:
                    take("month_name", "(" + "|".join(_FULL_MONTHS) + ")")
                elif count == 3:
                    take("month_name", "(" + "|".join(_MONTHS) + ")")
                else:
                    take("month", r"(\d\d)" if count == 2 else r"(\d\d?)")
            elif ch == "d":
                take("day", r"(\d\d)" if count >= 2 else r"(\d\d?)")
            elif ch in "Hk":
                take("hour", r"(\d\d)" if count >= 2 else r"(\d\d?)")
            elif ch in "hK":
                take("hour12", r"(\d\d)" if count >= 2 else r"(\d\d?)")
            elif ch == "a":
                take("ampm", r"([AaPp][Mm])")
            elif ch == "m":
                take("minute", r"(\d\d)" if count >= 2 else r"(\d\d?)")
            elif ch == "s":
                take("second", r"(\d\d)" if count >= 2 else r"(\d\d?)")
            elif ch in "Sn":
                take("fraction", rf"(\d{{{count}}})")
            elif ch == "E":
                self.parts.append(r"[A-Za-z]+")  # the day's name: the date already says it
            elif ch == "z":
                self.parts.append(r"[A-Za-z][A-Za-z0-9/_+\-:]*")  # a zone name: ambiguous (CST)
            elif ch == "Z":
                take("offset", r"([+-]\d{4})")
            elif ch in "Xx":
                take("offset", r"(Z|[+-]\d\d(?::?\d\d)?)")
            elif ch in "DuFwW":
                self.parts.append(r"\d+")
            else:
                self.fail_at(
                    start, part, f"the date format {fmt!r} has a letter log4j does not know: {ch}"
                )
        return _DateGroups(**slots, zone=zone)


def _prefix_of(pattern: str) -> str:
    """The literal text every line of this pattern starts with."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("%%", i):
            out.append("%")
            i += 2
        elif pattern[i] == "%":
            break
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


def layout_pattern_clean(text: str) -> str:
    """The pattern itself from what an operator pasted: a bare pattern, a whole
    `log4j.appender.X.layout.ConversionPattern=…` properties line, a log4j2 `appender.x.layout.
    pattern = …` line or a `<PatternLayout pattern="…"/>` element."""
    text = text.strip()
    xml = _XML_PATTERN.match(text)
    if xml:
        return xml.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&amp;", "&")
    prefix = _PROPERTY_PREFIX.match(text)
    if prefix:
        text = text[prefix.end() :]
    return text.strip()


def compile_layout(pattern: str, *, name: str = "") -> Layout:
    """The compiled layout of a log4j ConversionPattern; LayoutError names what cannot be read."""
    pattern = layout_pattern_clean(pattern)
    if not pattern:
        raise LayoutError("the pattern is empty")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise LayoutError(f"the pattern is longer than {MAX_PATTERN_CHARS} characters")
    compiler = _Compiler(pattern)
    parts = compiler.compile()
    slots = compiler.slots
    if "level" not in slots:
        raise LayoutError(
            "the pattern has no %p (level): without it an ERROR line cannot be told from an "
            "INFO line"
        )
    if "message" not in slots:
        raise LayoutError("the pattern has no %m (message)")
    regex = "".join(parts)
    try:
        program = re2.compile(regex, _OPTIONS)
    except re2.error as exc:  # not expected: every part is escaped or ours
        raise LayoutError(f"the pattern cannot be compiled: {exc}") from None
    prefix = _prefix_of(pattern)
    date = compiler.date
    return Layout(
        name=name,
        pattern=pattern,
        program=program,
        regex=regex,
        prefix=prefix,
        starts_with_digit=regex.startswith("(\\d"),
        level_group=slots["level"],
        level_abbreviated=compiler.level_abbreviated,
        logger_group=slots.get("logger", 0),
        class_group=slots.get("class", 0),
        location_class_group=slots.get("location_class", 0),
        thread_group=slots.get("thread", 0),
        message_group=slots["message"],
        file_group=slots.get("file", slots.get("location_file", 0)),
        line_group=slots.get("line", slots.get("location_line", 0)),
        date=date,
    )


class LayoutSet:
    """Several layouts, tried in order: one RE2::Set pass over the line says which of them
    match (the first of those reads it), instead of one program run per layout. Iterable, in
    order, like the tuple of its layouts."""

    __slots__ = ("layouts", "_set", "_firsts")

    def __init__(self, layouts):
        self.layouts = tuple(layouts)
        self._set = None
        # The characters a line can start with to be in any of them (None: any character).
        firsts: set[str] | None = set()
        for layout in self.layouts:
            if layout.prefix:
                firsts.add(layout.prefix[0])
            elif layout.starts_with_digit:
                firsts.update("0123456789")
            else:
                firsts = None
                break
        self._firsts = frozenset(firsts) if firsts is not None else None
        if len(self.layouts) > 1:
            try:
                program = re2.Set.FullMatchSet(_OPTIONS)
                for layout in self.layouts:
                    program.Add(layout.regex)
                program.Compile()
                self._set = program
            except re2.error:  # past RE2's memory budget (very many layouts): one by one
                self._set = None

    def __iter__(self):
        return iter(self.layouts)

    def __len__(self) -> int:
        return len(self.layouts)

    def __bool__(self) -> bool:
        return bool(self.layouts)

    def __repr__(self) -> str:
        return f"LayoutSet({[layout.name for layout in self.layouts]!r})"

    def read(self, line: str, zone_name: str) -> LayoutRead | None:
        """What the first layout that reads `line` reads, or None."""
        if self._firsts is not None and line[:1] not in self._firsts:
            return None
        if self._set is None:
            for layout in self.layouts:
                read = layout.read(line, zone_name)
                if read is not None:
                    return read
            return None
        data = line.encode("utf-8", "replace")  # once, for the set and the layout (read_encoded)
        matched = self._set._set.Match(data)  # the binding's own (see Layout.read_encoded)
        if not matched:
            return None
        return self.layouts[min(matched)].read_encoded(data, zone_name)
