"""Which rules a change matches. Host globs run on RE2 (an operator types them)."""

from diagnosis.models import SEVERITY_RANK

# One host-glob language for rules, silences and maintenance windows (oncall/silence_rules.py):
# shell-style, whole name, any case, several separated by commas or spaces, on RE2.
from oncall.silence_rules import GlobError, glob_matches
from oncall.silence_rules import glob_check as _glob_check

__all__ = ["GlobError", "glob_check", "host_matches", "rule_matches"]


def glob_check(glob: str) -> None:
    """GlobError (with the reason) when the glob cannot be used."""
    _glob_check(glob)


def host_matches(glob: str, host: str) -> bool:
    return glob_matches(glob, host or "")


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
