"""Fault changes, announced to the apps above diagnosis (on-call notifications…).

Diagnosis cannot import those apps, so they register a listener in their AppConfig.ready:

    from diagnosis.changes import fault_change_listener_register
    fault_change_listener_register("oncall", write_outbox_rows)

A listener gets a list of :class:`FaultChange` and is called INSIDE the transaction that makes
the changes, after the fault rows are written: what it writes (an outbox row) commits or rolls
back with them, so each change is recorded exactly once. It must be quick and must not call
anything outside the database; an exception from it rolls the change back (ingest answers
503 and the sender retries), so a listener must not raise for a change it does not care about.

Changes are emitted only when a fault's state changes — opened, regressed, severity raised,
acknowledged, resolved, ignored, reopened — never for an ordinary occurrence that only counts:
ingest pays nothing for listeners on lines that change no state.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import TextChoices


class ChangeKind(TextChoices):
    OPENED = "opened"
    REGRESSED = "regressed"
    SEVERITY_RAISED = "severity_raised", "severity raised"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    IGNORED = "ignored"
    REOPENED = "reopened"


@dataclass(frozen=True)
class FaultChange:
    kind: str  # a ChangeKind value
    fault_id: int
    fault_type_id: int
    fault_type_code: str
    host: str
    title: str
    severity: str  # after the change
    status: str  # after the change
    at: datetime  # when the change was made (wall clock)
    incident_id: int | None = None  # the fault's incident, when it has one
    previous_severity: str = ""  # SEVERITY_RAISED: the severity before
    actor: str = "system"
    note: str = ""
    extra: dict = field(default_factory=dict)


Listener = Callable[[list[FaultChange]], None]
_listeners: dict[str, Listener] = {}


def fault_change_listener_register(name: str, listener: Listener) -> None:
    """Register (or replace, by name) a listener for fault changes."""
    _listeners[name] = listener


def fault_change_listener_unregister(name: str) -> None:
    _listeners.pop(name, None)


def fault_changes_wanted() -> bool:
    """Whether anyone listens: emitters skip building changes when nobody does."""
    return bool(_listeners)


def fault_changes_emit(changes: list[FaultChange]) -> None:
    """Hand changes to every listener; call inside the transaction that made them."""
    if not changes:
        return
    for listener in list(_listeners.values()):
        listener(changes)
