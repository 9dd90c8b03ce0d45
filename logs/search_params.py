"""The search's query-string parameters, read and checked once for the API and the explorer page.

    q, host, level, logtype, source_file, since (15m, 1h, 24h, 7d, …), from, to, cursor, limit

Plain Python (no DRF): the API turns `SearchParamsError` into a 400 JSON answer, the page into a
message above the form.
"""

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from logs.models import LogLevel
from logs.search import SearchQueryError, parse_query
from logs.selectors import SEARCH_MAX_LIMIT, LogFilters, Position

DEFAULT_SINCE = "24h"
DEFAULT_LIMIT = 50
MAX_SPAN = timedelta(days=400)
_DURATION = re.compile(r"^(\d{1,5})([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
LEVEL_CHOICES = [str(level) for level in LogLevel]
FIELD_MAX = 512


class SearchParamsError(ValueError):
    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(f"{name}: {message}" for name, message in fields.items()))
        self.fields = fields


@dataclass(frozen=True)
class SearchParams:
    filters: LogFilters
    cursor: Position | None
    limit: int
    since_text: str  # what the range was given as, for links


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError("Give a duration like 15m, 1h, 24h or 7d.")
    value = timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])
    if value <= timedelta(0) or value > MAX_SPAN:
        raise ValueError(f"Give a duration between 1s and {MAX_SPAN.days}d.")
    return value


def parse_moment(text: str) -> datetime:
    value = parse_datetime(text.strip())
    if value is None:
        raise ValueError("Give an ISO 8601 date and time, e.g. 2026-11-28T10:15:00Z.")
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value.astimezone(UTC)


def encode_cursor(position: Position) -> str:
    text = f"{position.log_time.astimezone(UTC).isoformat()}|{position.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Position:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        moment, _, line_id = raw.partition("|")
        value = datetime.fromisoformat(moment)
        if value.tzinfo is None or not line_id.isdigit():
            raise ValueError
        return Position(value.astimezone(UTC), int(line_id))
    except (ValueError, UnicodeDecodeError):
        raise ValueError("Not a cursor this API gave out: pass next_cursor unchanged.") from None


def _text(params, name: str) -> str:
    value = params.get(name, "") or ""
    if len(value) > FIELD_MAX:
        raise ValueError(f"At most {FIELD_MAX} characters.")
    if "\x00" in value:
        raise ValueError("A NUL character cannot be searched for.")
    return value.strip()


def parse_search_params(params, *, now: datetime | None = None) -> SearchParams:
    """Read a QueryDict (or dict); raise SearchParamsError naming every bad parameter."""
    now = now or timezone.now()
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    for name in ("host", "logtype", "source_file", "level", "since", "from", "to", "cursor"):
        try:
            values[name] = _text(params, name)
        except ValueError as exc:
            errors[name] = str(exc)
    query = None
    raw_query = params.get("q", "") or ""
    try:
        if "\x00" in raw_query:
            raise SearchQueryError("A NUL character cannot be searched for.")
        query = parse_query(raw_query)
    except SearchQueryError as exc:
        errors["q"] = str(exc)
    level = values.get("level", "").upper()
    if level and level not in LEVEL_CHOICES:
        errors["level"] = f"One of {', '.join(LEVEL_CHOICES)}."
    since_text = values.get("since", "")
    since = until = None
    if values.get("from"):
        try:
            since = parse_moment(values["from"])
        except ValueError as exc:
            errors["from"] = str(exc)
    if values.get("to"):
        try:
            until = parse_moment(values["to"])
        except ValueError as exc:
            errors["to"] = str(exc)
    if since is None and "from" not in errors:
        try:
            since = (until or now) - parse_duration(since_text or DEFAULT_SINCE)
        except ValueError as exc:
            errors["since"] = str(exc)
    if since and until and until <= since:
        errors["to"] = "`to` must be after `from`."
    cursor = None
    if values.get("cursor"):
        try:
            cursor = decode_cursor(values["cursor"])
        except ValueError as exc:
            errors["cursor"] = str(exc)
    limit = DEFAULT_LIMIT
    raw_limit = params.get("limit", "")
    if raw_limit:
        if not str(raw_limit).isdigit() or not 1 <= int(raw_limit) <= SEARCH_MAX_LIMIT:
            errors["limit"] = f"A whole number from 1 to {SEARCH_MAX_LIMIT}."
        else:
            limit = int(raw_limit)
    if errors:
        raise SearchParamsError(errors)
    filters = LogFilters(
        since=since,
        until=until,
        query=query,
        host=values.get("host", ""),
        level=level,
        logtype=values.get("logtype", ""),
        source_file=values.get("source_file", ""),
    )
    return SearchParams(filters=filters, cursor=cursor, limit=limit, since_text=since_text)
