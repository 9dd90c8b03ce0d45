"""Which rules a change matches. Host globs run on RE2 (an operator types them)."""

import functools

import re2

from diagnosis.models import SEVERITY_RANK


class GlobError(ValueError):
    pass


def glob_to_re2(glob: str) -> str:
    """`*` any run of characters, `?` one character, `[abc]`/`[!abc]` a class; the rest is
    literal. Anchored at both ends."""
    out, i = [], 0
    while i < len(glob):
        ch = glob[i]
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch == "[":
            end = glob.find("]", i + 2 if glob[i + 1 : i + 2] in ("!", "]") else i + 1)
            if end == -1:
                out.append(re2.escape(ch))
            else:
                body = glob[i + 1 : end]
                negate = body.startswith("!")
                body = body[1:] if negate else body
                body = body.replace("\\", "\\\\").replace("^", "\\^")
                out.append(f"[{'^' if negate else ''}{body}]")
                i = end
        else:
            out.append(re2.escape(ch))
        i += 1
    return "^(?s:" + "".join(out) + ")$"


@functools.lru_cache(maxsize=512)
def _compiled(glob: str):
    try:
        return re2.compile(glob_to_re2(glob))
    except re2.error as exc:
        raise GlobError(f"Not a usable host glob: {glob!r} ({exc})") from None


def glob_check(glob: str) -> None:
    _compiled(glob)


def host_matches(glob: str, host: str) -> bool:
    return bool(_compiled(glob).match(host or ""))


def rule_matches(rule, entry) -> bool:
    """Whether a NotificationRule takes an OutboxEntry."""
    if not rule.enabled or entry.event not in rule.event_list:
        return False
    if entry.rule_id is not None and entry.rule_id != rule.pk:
        return False  # a `repeat` is for the rule that made it
    if rule.min_severity and SEVERITY_RANK.get(entry.severity, 99) > SEVERITY_RANK.get(
        rule.min_severity, 99
    ):
        return False
    if rule.fault_type_code and rule.fault_type_code != entry.fault_type_code:
        return False
    if rule.incident_id and rule.incident_id != entry.incident_id:
        return False
    return not (rule.host_glob and not host_matches(rule.host_glob, entry.host))
