"""Suppression: the hook through which silences, maintenance windows and snoozes hold a change.

Contract (for the code that implements silences, windows and snooze inside oncall):

    from oncall.suppression import Suppression, register_suppressor

    def silences(change: OutboxEntry) -> Suppression | None: ...
    register_suppressor("silences", silences)       # in OncallConfig.ready (or a test)

- The dispatcher calls every registered suppressor for each change it is about to notify, in
  a worker, never during ingest: a suppressor may read the database (keep it to a query or
  two) but must not call anything outside it. A suppressor that raises is logged and treated
  as "not suppressed" for that call (a broken silence must not swallow an alert).
- ``fn(change)`` gets the :class:`oncall.models.OutboxEntry` (event, fault_id, incident_id,
  fault_type_code, host, severity, changed_at…) and returns None (not suppressed) or a
  :class:`Suppression` (kind, id, ends_at, reason) — any object with those attributes will do.
- A suppressed change is not lost: its outbox row is marked ``silenced`` with the
  suppression (as JSON) and ``held_until = ends_at`` (None: open-ended, e.g. snooze for N
  more occurrences — looked at again every few seconds, HOLD_RECHECK_SECONDS in dispatch.py).
- Every tick the worker looks again at held changes whose ``held_until`` passed:
  it asks the suppressors again. Still suppressed: held again, with the new ends_at. Released:
  of all the held changes of one fault only the latest is kept (the others become
  ``superseded``); it is notified once if the fault is still open (a held ``resolved`` of a
  fault whose opening was held too is ``expired``: nothing was said, nothing to take back).
"""

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

log = logging.getLogger("oncall.suppression")


@dataclass(frozen=True)
class Suppression:
    kind: str  # "silence", "maintenance", "snooze", …
    id: int | str | None
    ends_at: datetime | None  # None: open-ended (asked again every few seconds)
    reason: str = ""

    def as_json(self) -> dict:
        data = asdict(self)
        data["ends_at"] = self.ends_at.isoformat() if self.ends_at else None
        return data


Suppressor = Callable[[object], object | None]
_suppressors: dict[str, Suppressor] = {}


def register_suppressor(name_or_fn, fn: Suppressor | None = None) -> None:
    """Register (or replace, by name) a suppressor: ``register_suppressor("silences", fn)``;
    ``register_suppressor(fn)`` names it after the function."""
    if fn is None:
        fn = name_or_fn
        name_or_fn = f"{fn.__module__}.{fn.__qualname__}"
    _suppressors[name_or_fn] = fn


def unregister_suppressor(name_or_fn) -> None:
    if callable(name_or_fn):
        name_or_fn = f"{name_or_fn.__module__}.{name_or_fn.__qualname__}"
    _suppressors.pop(name_or_fn, None)


def suppression_for(change) -> Suppression | None:
    """The first suppression a registered suppressor reports for this change, or None."""
    for name, fn in list(_suppressors.items()):
        try:
            found = fn(change)
        except Exception:
            log.exception("suppressor %s failed; the change is not suppressed by it", name)
            continue
        if found is not None:
            return Suppression(
                kind=str(getattr(found, "kind", name)),
                id=getattr(found, "id", None),
                ends_at=getattr(found, "ends_at", None),
                reason=str(getattr(found, "reason", "")),
            )
    return None
