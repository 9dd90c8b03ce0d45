"""Where stored lines reach fault detection, which lives in an app above logs.

logs may not import diagnosis (docs/architecture.md): diagnosis registers its detection here in
its AppConfig.ready, and logs/services.py calls whatever is registered. Without a registration
(logs used on its own) lines are stored and nothing is detected.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from logs.parsing import ParsedLine

# (index of the row in the batch, what the layer above found in it)
Detected = list[tuple[int, Any]]


@dataclass(frozen=True)
class LineDetection:
    # Called before the rows are written, outside any transaction: which rows show a fault.
    detect: Callable[[Sequence[ParsedLine]], Detected]
    # Called in the transaction that writes the rows, with each detected row's stored id
    # (row index -> id), so lines and faults are committed together.
    record: Callable[[Detected, dict[int, int]], None]
    # Optional, for a one-line request: called before the write, outside any transaction, with
    # what detect() found; returns a function to call with the row's id (row index -> id) once
    # the row is committed on its own (group commit, no transaction around it), or None when
    # what was found must be recorded in the lines' transaction (record above).
    record_later: Callable[[Detected], Callable[[dict[int, int]], None] | None] | None = None
    # Called by a long-running intake process (a gunicorn worker, the Thrift intake) once it
    # serves, and when it stops: detection may keep work in the process meanwhile (diagnosis
    # writes the counts of open faults from a background flusher, diagnosis/flusher.py).
    process_started: Callable[[], None] | None = None
    process_stopping: Callable[[], None] | None = None
    # An event stored by an earlier request grew (logs/events.py): called before the write
    # with the event as it was and as it is now, each as one ParsedLine; returns what changed
    # for detection (opaque to logs), or None when nothing did.
    event_update: Callable[[ParsedLine, ParsedLine], Any | None] | None = None
    # Called in the transaction that writes the rows, with each change and the id of the
    # event's first row.
    event_record: Callable[[list[tuple[Any, int]]], None] | None = None


_detection: LineDetection | None = None


def line_detection_register(detection: LineDetection) -> None:
    """Set the detection stored lines go through (one at a time; a new one replaces it)."""
    global _detection
    _detection = detection


def line_detection() -> LineDetection | None:
    return _detection


def intake_process_started() -> None:
    """A long-running intake process calls this once it serves (gunicorn.conf.py's
    post_worker_init, the Thrift intake): the registered detection's process_started."""
    if _detection is not None and _detection.process_started is not None:
        _detection.process_started()


def intake_process_stopping() -> None:
    """...and this when it stops serving (gunicorn's worker_exit), so nothing kept is lost."""
    if _detection is not None and _detection.process_stopping is not None:
        _detection.process_stopping()
