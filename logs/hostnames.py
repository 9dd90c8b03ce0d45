"""Which host names ingestion stores: RFC 1123 names and IP addresses, nothing else.

A host is shown on pages and put into links (`/dashboard/hosts/<host>/`); a "host" of
`../../admin/auth/user/add` or `<script>` has no business there. The rule (docs/ingestion.md,
"Host names"):

- an IPv4 or IPv6 address (`10.0.0.7`, `2001:db8::7`, a zone `fe80::1%eth0`), or
- an RFC 1123 name: dot-separated labels of 1 to 63 letters, digits and hyphens, not starting or
  ending with a hyphen (a label may start with a digit: RFC 1123 §2.1), 253 characters at most,
  one trailing dot allowed (the root; stored as sent).

An underscore is refused (not a host name in DNS, though some resolvers take it); so are spaces,
slashes, brackets and anything else. No I/O: nothing is resolved.
"""

import ipaddress
import re

HOST_NAME_MAX = 253
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")
_ZONE = re.compile(r"[A-Za-z0-9_.-]{1,64}\Z")


def _is_address(value: str) -> bool:
    address, _, zone = value.partition("%")
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    if zone:  # only IPv6 has zones, and the zone is an interface name
        return parsed.version == 6 and bool(_ZONE.match(zone))
    return True


def host_name_problem(value: str) -> str | None:
    """None when `value` is a host name or address ingestion stores; else why it is not."""
    if not value:
        return "the host is empty"
    if _is_address(value):
        return None
    shown = value if len(value) <= 80 else value[:80] + "…"
    if len(value) > HOST_NAME_MAX:
        return f"the host is longer than {HOST_NAME_MAX} characters"
    name = value[:-1] if value.endswith(".") else value
    labels = name.split(".")
    for label in labels:
        if not _LABEL.match(label):
            return (
                f"host {shown!r} is not a host name (RFC 1123: dot-separated labels of letters, "
                "digits and hyphens, 1 to 63 characters, no hyphen at either end) "
                "nor an IP address"
            )
    # A name of digits and dots only would read as a malformed address (999.1.1.1).
    if all(label.isdigit() for label in labels):
        return f"host {shown!r} is not a valid IPv4 address"
    return None
