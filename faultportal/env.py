"""Typed readers for environment variables.

Each helper returns the default when the variable is unset or empty, and raises
ImproperlyConfigured naming the variable when a value is present but unusable, so a typo
stops start-up instead of silently falling back to a default.
"""

import os
import zoneinfo
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def _invalid(name: str, value: str, expected: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"Environment variable {name}={value!r} is invalid: {expected}.")


def env_str(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise _invalid(name, value, "expected one of 1/0, true/false, yes/no, on/off")


def env_int(
    name: str, default: int, *, min_value: int | None = None, max_value: int | None = None
) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise _invalid(name, value, "expected a whole number") from None
    if min_value is not None and number < min_value:
        raise _invalid(name, value, f"must be at least {min_value}")
    if max_value is not None and number > max_value:
        raise _invalid(name, value, f"must be at most {max_value}")
    return number


def env_float(name: str, default: float, *, min_value: float | None = None) -> float:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise _invalid(name, value, "expected a number") from None
    if min_value is not None and number < min_value:
        raise _invalid(name, value, f"must be at least {min_value}")
    return number


def env_rate(name: str, default: str) -> str | None:
    """A throttle rate such as 100000/min (DRF's format); off or none disables it (None)."""
    value = _raw(name) or default
    if value.lower() in ("off", "none"):
        return None
    count, _, period = value.partition("/")
    if not count.isdigit() or int(count) < 1 or period[:1] not in ("s", "m", "h", "d"):
        raise _invalid(name, value, "expected <requests>/<s|min|hour|day>, e.g. 100000/min, or off")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(name: str, default: list[str]):
    """Comma-separated addresses or CIDR networks, e.g. 127.0.0.1/32,10.20.0.0/16."""
    import ipaddress

    networks = []
    for item in env_list(name, default):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise _invalid(name, item, "expected addresses or networks like 10.20.0.0/16") from None
    return networks


def env_port_roles(name: str) -> dict[int, str]:
    """ "9001=NameNode RPC,8050=RM client" -> {9001: "NameNode RPC", 8050: "RM client"}."""
    roles: dict[int, str] = {}
    for item in env_list(name, []):
        port, sep, role = item.partition("=")
        if not sep or not port.strip().isdigit() or not 0 < int(port) < 65536 or not role.strip():
            raise _invalid(name, item, "expected port=role pairs, e.g. 9001=NameNode RPC")
        roles[int(port)] = role.strip()
    return roles


def env_timezone(name: str, default: str) -> str:
    value = _raw(name) or default
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise _invalid(
            name, value, "expected an IANA time zone such as UTC or Asia/Shanghai"
        ) from None
    return value


def env_url(name: str, default: str = "", *, schemes: tuple[str, ...]) -> str:
    value = _raw(name)
    if value is None:
        return default
    parts = urlsplit(value)
    if parts.scheme not in schemes or not (parts.netloc or parts.path):
        raise _invalid(
            name, value, f"expected a URL starting with {' or '.join(s + '://' for s in schemes)}"
        )
    return value


def env_url_list(name: str, *, schemes: tuple[str, ...]) -> list[str]:
    urls = env_list(name, [])
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in schemes or not parts.netloc:
            raise _invalid(name, url, f"expected comma-separated {'/'.join(schemes)} URLs")
    return urls


def env_path(name: str, default: Path) -> Path:
    value = _raw(name)
    return default if value is None else Path(value).expanduser().resolve()
