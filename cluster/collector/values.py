"""Defensive readers for fields of Hadoop's JSON: every field is optional, and absent is NULL.

A field that is missing, null, of the wrong type or (for counts) negative — the HDFS Router
reports -1 for what it does not know — reads as None, never as 0: zero dead DataNodes and
"the NameNode did not say" must stay different on the dashboard and in thresholds.
"""

import math

# BIGINT's range: a value outside it would fail the insert and lose the whole snapshot.
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


def as_int(value) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value):
            return None
        number = int(value)
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if _INT_MIN <= number <= _INT_MAX else None


def as_count(value) -> int | None:
    """A count or size: non-negative, else unknown."""
    number = as_int(value)
    return number if number is not None and number >= 0 else None


def as_float(value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def as_str(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def used_pct(used: int | None, remaining: int | None) -> float | None:
    """Capacity used the way Ambari computes it: used / (used + remaining) * 100."""
    if used is None or remaining is None or used + remaining <= 0:
        return None
    return round(used / (used + remaining) * 100, 2)


def first_present(*values):
    """The first value that is not None (fallback chains across beans)."""
    for value in values:
        if value is not None:
            return value
    return None


def reported(details: dict) -> dict:
    """Only the fields the daemon actually reported (details JSON keeps no empty keys)."""
    return {key: value for key, value in details.items() if value not in ("", None)}
