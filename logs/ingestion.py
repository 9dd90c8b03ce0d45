"""From a request body to parsed log lines: decoding, splitting, limits. No I/O.

Two body forms reach here: raw text (one line, as Flume's HTTP sink sends it, or many
newline-separated lines) and Flume's JSON event array `[{"headers": {...}, "body": "..."}]`.
Nothing a sender writes is refused for its content: undecodable bytes and NULs become U+FFFD
(and are counted), an over-long line is cut on a character boundary (and marked), a blank line
is skipped. Only a body that is not what its Content-Type says is refused (InvalidBody); in a JSON
batch, an event that is not a Flume event is refused alone and the others are stored.
"""

import codecs
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from logs.hostnames import host_name_problem
from logs.layouts import Layout
from logs.models import SystemLog
from logs.parsing import ParsedLine, preprocess_log

REPLACEMENT = "\ufffd"
_ESCAPED_BYTES = re.compile("[\udc80-\udcff]")  # what surrogateescape made of bad bytes
# NUL is never text in a log line (it is what an unclean shutdown leaves in a log file) and it
# cuts strings short in terminals and tools; lone surrogates (JSON "\ud800") cannot be stored.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

_field_length = {f.name: f.max_length for f in SystemLog._meta.fields if f.max_length}
HOST_MAX = _field_length["host"]
LOGTYPE_MAX = _field_length["logtype"]
SOURCE_FILE_MAX = _field_length["source_file"]


class InvalidBody(ValueError):
    """The body is not what its Content-Type says (bad JSON, wrong shape): refuse it."""


class TooManyLines(ValueError):
    """More lines than INGEST_MAX_LINES in one request: the sender must split it."""


@dataclass(frozen=True)
class Origin:
    """Where lines come from when the lines themselves do not say (query, peer address)."""

    host: str
    logtype: str
    source_file: str = ""


@dataclass(frozen=True)
class Limits:
    max_line_bytes: int
    max_lines: int


@dataclass
class Batch:
    """The parsed lines of one request, in order, and what was done to them on the way."""

    lines: list[ParsedLine] = field(default_factory=list)
    blank: int = 0
    truncated: int = 0
    replaced: int = 0  # undecodable bytes, NULs and lone surrogates turned into U+FFFD
    warnings: list[str] = field(default_factory=list)
    # JSON events refused for their shape, as {"event": index, "reason": …}: the other events
    # of the batch are stored (docs/ingestion.md, "Partly invalid batches").
    refused: list[dict] = field(default_factory=list)


def codec_name(charset: str | None) -> str:
    """The Python codec for a Content-Type charset; UTF-8 when absent or unknown.

    An unknown charset is read as UTF-8 rather than refused: a refused line is lost, a
    mis-decoded one is stored with replacement characters and counted.
    """
    if not charset:
        return "utf-8"
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return "utf-8"


def decode_counting(data: bytes, encoding: str = "utf-8") -> tuple[str, int]:
    """Decode, replacing what cannot be decoded with U+FFFD; returns (text, replaced count)."""
    try:
        return data.decode(encoding), 0
    except UnicodeDecodeError:
        pass
    try:
        # One escaped surrogate per bad byte: counted and replaced in one C-speed pass.
        text = data.decode(encoding, "surrogateescape")
    except UnicodeDecodeError:  # codecs whose bad input is not a high byte (UTF-16/32)
        text = data.decode(encoding, "replace")
        return text, text.count(REPLACEMENT)
    return _ESCAPED_BYTES.subn(REPLACEMENT, text)


def clean_text(text: str) -> tuple[str, int]:
    """Replace NULs and lone surrogates with U+FFFD; returns (text, replaced count)."""
    if text.isascii():
        if "\x00" not in text:
            return text, 0
        return text.replace("\x00", REPLACEMENT), text.count("\x00")
    return _UNSTORABLE.subn(REPLACEMENT, text)


def cut_utf8(data: bytes, limit: int) -> bytes:
    """The longest prefix of UTF-8 `data` within `limit` bytes that ends on a character boundary."""
    cut = limit
    # Step back over continuation bytes (10xxxxxx) so a multi-byte character is not split.
    while cut > 0 and (data[cut] & 0xC0) == 0x80 and limit - cut < 3:
        cut -= 1
    return data[:cut]


def clip(value: str, length: int) -> str:
    return value if len(value) <= length else value[:length]


def is_unresolved_variable(value: str) -> bool:
    """A Flume config variable left as written, e.g. `${env:FLUME_HOST}` when it is not exported."""
    return "${" in value


class _Builder:
    """Accumulates a Batch line by line, applying the limits."""

    def __init__(
        self,
        limits: Limits,
        received_at: datetime,
        time_zone: str | None,
        layouts: Sequence[Layout] = (),
    ):
        self.limits = limits
        self.received_at = received_at
        self.time_zone = time_zone
        self.layouts = layouts
        self.batch = Batch()
        self.count = 0

    def count_lines(self, n: int) -> None:
        self.count += n
        if self.count > self.limits.max_lines:
            raise TooManyLines(
                f"The body holds more than {self.limits.max_lines} lines; "
                "send them in several requests."
            )

    def add(self, text: str, origin: Origin, truncated: bool, replaced: int) -> None:
        batch = self.batch
        if truncated:
            batch.truncated += 1
        batch.replaced += replaced
        batch.lines.append(
            preprocess_log(
                text,
                host=origin.host,
                logtype=origin.logtype,
                source_file=origin.source_file,
                truncated=truncated,
                decode_errors=replaced,
                received_at=self.received_at,
                time_zone=self.time_zone,
                layouts=self.layouts,
            )
        )

    def add_bytes_lines(self, body: bytes, origin: Origin) -> None:
        """Newline-separated UTF-8 lines (Flume's sink: exactly one, without its newline)."""
        parts = body.split(b"\n")
        if parts[-1] == b"":  # the newline after the last line separates nothing
            parts.pop()
        self.count_lines(len(parts))
        max_bytes = self.limits.max_line_bytes
        for part in parts:
            if part[-1:] == b"\r":
                part = part[:-1]
            if not part or part.isspace():
                self.batch.blank += 1
                continue
            truncated = len(part) > max_bytes
            if truncated:
                part = cut_utf8(part, max_bytes)
            text, replaced = decode_counting(part)
            if "\x00" in text:
                text, nuls = clean_text(text)
                replaced += nuls
            self.add(text, origin, truncated, replaced)

    def add_text_lines(self, text: str, origin: Origin, replaced_hint: bool = False) -> None:
        """Newline-separated lines already decoded (JSON event bodies, transcoded bodies).

        `replaced_hint`: the text came out of a lossy decode, so U+FFFD in a line is counted
        as a replacement on that line.
        """
        parts = text.split("\n")
        if parts[-1] == "":
            parts.pop()
        self.count_lines(len(parts))
        max_bytes = self.limits.max_line_bytes
        for part in parts:
            if part[-1:] == "\r":
                part = part[:-1]
            if not part or part.isspace():
                self.batch.blank += 1
                continue
            part, replaced = clean_text(part)
            if replaced_hint:
                replaced = part.count(REPLACEMENT)
            truncated = False
            if len(part) * 4 > max_bytes:  # may exceed the limit: measure it in UTF-8
                encoded = part.encode("utf-8")
                if len(encoded) > max_bytes:
                    part = cut_utf8(encoded, max_bytes).decode("utf-8")
                    truncated = True
            self.add(part, origin, truncated, replaced)


def batch_from_text(
    body: bytes,
    *,
    charset: str | None,
    origin: Origin,
    limits: Limits,
    received_at: datetime,
    time_zone: str | None = None,
    layouts: Sequence[Layout] = (),
) -> Batch:
    """A text/plain body: one line, or many separated by newlines (CRLF too).

    `layouts`: the operator's layouts (logs.layout_cache.log_layouts_current()) for lines no
    built-in layout reads."""
    builder = _Builder(limits, received_at, time_zone, layouts)
    encoding = codec_name(charset)
    if encoding == "utf-8":
        builder.add_bytes_lines(body.removeprefix(codecs.BOM_UTF8), origin)
    else:
        text, replaced = decode_counting(body, encoding)
        builder.add_text_lines(text, origin, replaced_hint=replaced > 0)
    return builder.batch


_EVENT_SHAPE = 'a JSON array of Flume events: [{"headers": {"host": "dn01"}, "body": "<log line>"}]'


def _header(headers: dict, name: str, index: int) -> str | None:
    value = headers.get(name)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise InvalidBody(f"Event {index}: header {name!r} must be a string.")


def _event_origin(headers: dict, index: int, default: Origin, batch: Batch) -> Origin:
    host = _header(headers, "host", index)
    logtype = _header(headers, "logtype", index)
    source_file = _header(headers, "file", index)
    if host is None and logtype is None and source_file is None:
        return default
    host = clean_text(host.strip())[0] if host else ""
    if host and is_unresolved_variable(host):
        note = f"Event header host={host!r} is an unresolved variable; stored as {default.host}."
        if note not in batch.warnings:
            batch.warnings.append(note)
        host = ""
    elif host and (problem := host_name_problem(host)):
        raise InvalidBody(f"Event {index}: {problem}.")
    logtype = clean_text(logtype.strip())[0] if logtype else ""
    if logtype and is_unresolved_variable(logtype):
        logtype = ""
    return Origin(
        host=clip(host, HOST_MAX) or default.host,
        logtype=clip(logtype, LOGTYPE_MAX) or default.logtype,
        source_file=clip(clean_text(source_file)[0], SOURCE_FILE_MAX)
        if source_file
        else default.source_file,
    )


def _event_parts(event, index: int, origin: Origin, batch: Batch) -> tuple[Origin, str]:
    """(origin, body) of one event; InvalidBody when the event is not a Flume event."""
    if not isinstance(event, dict):
        raise InvalidBody(f"Event {index} is not an object.")
    headers = event.get("headers")
    if headers is None:
        headers = {}
    elif not isinstance(headers, dict):
        raise InvalidBody(f"Event {index}: 'headers' must be an object of strings.")
    event_body = event.get("body")
    if event_body is None:
        event_body = ""
    elif not isinstance(event_body, str):
        raise InvalidBody(f"Event {index}: 'body' must be a string (the log line).")
    return _event_origin(headers, index, origin, batch), event_body


def batch_from_flume_json(
    body: bytes,
    *,
    charset: str | None,
    origin: Origin,
    limits: Limits,
    received_at: datetime,
    time_zone: str | None = None,
    layouts: Sequence[Layout] = (),
) -> Batch:
    """Flume's JSON event array (HTTPSource's JSONHandler format); event headers host, logtype
    and file override the query. An event body may itself hold several lines."""
    builder = _Builder(limits, received_at, time_zone, layouts)
    text, replaced = decode_counting(body, codec_name(charset))
    try:
        events = json.loads(text.removeprefix("\ufeff"))
    except RecursionError:
        raise InvalidBody(f"The JSON is nested too deeply; expected {_EVENT_SHAPE}.") from None
    except ValueError as exc:
        raise InvalidBody(f"The body is not valid JSON ({exc}); expected {_EVENT_SHAPE}.") from None
    if not isinstance(events, list):
        raise InvalidBody(f"The JSON body is a {type(events).__name__}; expected {_EVENT_SHAPE}.")
    if len(events) > limits.max_lines:  # each event holds at least one line
        builder.count_lines(len(events))
    for index, event in enumerate(events):
        try:
            event_origin, event_body = _event_parts(event, index, origin, builder.batch)
        except InvalidBody as exc:  # this event only: the others are still stored
            builder.batch.refused.append({"event": index, "reason": str(exc)})
            continue
        builder.add_text_lines(event_body, event_origin, replaced_hint=replaced > 0)
    if builder.batch.refused and not builder.batch.lines and not builder.batch.blank:
        first = builder.batch.refused[0]["reason"]
        raise InvalidBody(
            f"No event of the batch is usable ({len(builder.batch.refused)} refused; the first: "
            f"{first}); expected {_EVENT_SHAPE}."
        )
    return builder.batch
