"""The enabled fault types, compiled for detection and cached per process.

Detection runs inside every ingest request, so it must not query the database per line or even
per request. Each process keeps the compiled catalogue and checks whether it is still current at
most every FAULT_TYPES_REFRESH_SECONDS, with one aggregate query over the small fault_types table
(row count, enabled count, latest updated_at). A change made anywhere — the admin of another
instance, another gunicorn worker, a shell — is therefore seen by every process within that
time; the process that made the change through the ORM drops its copy at once (signals below).

Why the database and not a version key in the shared cache: the database is the source of truth
and is shared in every deployment, while Redis is optional (the embedded install has only a
per-process memory cache) and may be flushed or down; a cache key would need the same periodic
fallback anyway. One indexed aggregate over a few dozen rows every few seconds per process is
free next to the ingest traffic, and reading the cache on every request would not be.
"""

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q

from diagnosis.models import FaultType
from diagnosis.patterns import PatternError, pattern_compile
from diagnosis.prefilter import literals_for_patterns

logger = logging.getLogger(__name__)

UNCLASSIFIED_CODE = "unclassified"

# Log levels by rank; min_level compares on these. UNKNOWN (a stack-trace line that arrived
# alone, or a line in no known layout) has no rank of its own: see level_rank().
LEVEL_RANKS = {"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "ERROR": 4, "FATAL": 5}
TOP_RANK = max(LEVEL_RANKS.values())
SEVERE_RANK = LEVEL_RANKS["ERROR"]
_SEVERITY_ORDER = {"critical": 0, "major": 1, "minor": 2, "warning": 3, "info": 4}

# Tests replace this to step over the refresh interval without sleeping.
clock = time.monotonic


def level_rank(level: str) -> int | None:
    return LEVEL_RANKS.get(level)


@dataclass(frozen=True)
class CompiledType:
    fault_type: FaultType
    patterns: tuple  # RE2 programs (diagnosis/patterns.py): linear time in the text
    component: object | None
    min_rank: int
    literals: frozenset[str] | None  # one must occur for any pattern to match; None: unknown

    def search(self, text: str, component: str):
        if self.literals is not None and not any(lit in text for lit in self.literals):
            return None
        for pattern in self.patterns:
            match = pattern.search(text)
            if match:
                if self.component is not None and not self.component.search(component or ""):
                    return None
                return match
        return None


@dataclass(frozen=True)
class Bucket:
    """The types a line of one level is checked against, most severe first."""

    types: tuple[CompiledType, ...]
    literals: tuple[str, ...] | None  # a line containing none of these matches no type

    def might_match(self, text: str) -> bool:
        if not self.types:
            return False
        if self.literals is None:
            return True
        return any(lit in text for lit in self.literals)


@dataclass(frozen=True)
class Catalogue:
    signature: tuple
    buckets: tuple[Bucket, ...]  # indexed by level rank
    unclassified: FaultType | None
    unclassified_rank: int  # lines at this level or above that match no type are unclassified
    lowest_rank: int  # lines below this level can be skipped without looking at them
    types: tuple[CompiledType, ...]

    def codes_in(self, text: str, *, level: str = "", component: str = "") -> list[str]:
        """Codes of every type whose signature `text` shows, most severe first.

        Diagnosis tags the lines it reads with these (a fault's neighbours, a pasted excerpt):
        unlike detection it wants all of them, and it checks the level and the component only
        when they are known — a pasted excerpt may carry neither.
        """
        rank = level_rank(level) if level else None
        codes = []
        for compiled in self.types:
            if rank is not None and rank < compiled.min_rank:
                continue
            if component and compiled.component and not compiled.component.search(component):
                continue
            if compiled.literals is not None and not any(lit in text for lit in compiled.literals):
                continue
            if any(pattern.search(text) for pattern in compiled.patterns):
                codes.append(compiled.fault_type.code)
        return codes


def _compile(fault_type: FaultType) -> CompiledType | None:
    try:
        patterns = tuple(pattern_compile(p) for p in fault_type.pattern_list)
        component = (
            pattern_compile(fault_type.component_pattern) if fault_type.component_pattern else None
        )
    except PatternError as exc:
        # Saved before RE2 validation existed or edited in SQL: skip it rather than stop
        # ingestion (or run it on a backtracking engine), and say so.
        logger.warning("fault type %r is not matched: its pattern %s", fault_type.code, exc)
        return None
    if not patterns:
        return None  # raised by metrics or rules, never by log text
    return CompiledType(
        fault_type=fault_type,
        patterns=patterns,
        component=component,
        min_rank=LEVEL_RANKS.get(fault_type.min_level, LEVEL_RANKS["WARN"]),
        literals=literals_for_patterns(fault_type.pattern_list),
    )


def _minimal(literals: set[str]) -> tuple[str, ...]:
    """Drop literals containing a shorter one: if the longer occurs, so does the shorter."""
    ordered = sorted(literals, key=len)
    kept: list[str] = []
    for literal in ordered:
        if not any(short in literal for short in kept):
            kept.append(literal)
    return tuple(kept)


def catalogue_build(fault_types: list[FaultType], signature: tuple = ()) -> Catalogue:
    compiled = [c for c in (_compile(t) for t in fault_types if t.code != UNCLASSIFIED_CODE) if c]
    # One fault per line: when several types match, the most severe (then by code) wins, so a
    # routing failure ("No Route to Host … failed on socket timeout exception") is reported as
    # the critical connection fault, not as a timeout.
    compiled.sort(
        key=lambda c: (_SEVERITY_ORDER.get(c.fault_type.default_severity, 9), c.fault_type.code)
    )
    buckets = []
    for rank in range(TOP_RANK + 1):
        types = tuple(c for c in compiled if c.min_rank <= rank)
        if any(c.literals is None for c in types):
            literals = None
        else:
            literals = _minimal(set().union(*(c.literals for c in types)))
        buckets.append(Bucket(types=types, literals=literals))
    unclassified = next((t for t in fault_types if t.code == UNCLASSIFIED_CODE and t.enabled), None)
    ranks = [c.min_rank for c in compiled]
    unclassified_rank = TOP_RANK + 1
    if unclassified is not None:
        unclassified_rank = LEVEL_RANKS.get(unclassified.min_level, SEVERE_RANK)
        ranks.append(unclassified_rank)
    return Catalogue(
        signature=signature,
        buckets=tuple(buckets),
        unclassified=unclassified,
        unclassified_rank=unclassified_rank,
        lowest_rank=min(ranks, default=TOP_RANK + 1),
        types=tuple(compiled),
    )


def _signature() -> tuple:
    row = FaultType.objects.aggregate(
        total=Count("id"), enabled=Count("id", filter=Q(enabled=True)), changed=Max("updated_at")
    )
    return (row["total"], row["enabled"], row["changed"])


def _load(signature: tuple) -> Catalogue:
    return catalogue_build(list(FaultType.objects.filter(enabled=True)), signature)


class _CatalogueCache:
    def __init__(self):
        self._lock = threading.Lock()
        self._catalogue: Catalogue | None = None
        self._checked_at = 0.0

    def get(self) -> Catalogue:
        catalogue, now = self._catalogue, clock()
        interval = settings.FAULT_TYPES_REFRESH_SECONDS
        if catalogue is not None and now - self._checked_at < interval:
            return catalogue
        with self._lock:  # one thread of a gthread worker checks; the others wait briefly
            if self._catalogue is not None and clock() - self._checked_at < interval:
                return self._catalogue
            signature = _signature()
            if self._catalogue is None or self._catalogue.signature != signature:
                self._catalogue = _load(signature)
            self._checked_at = clock()
            return self._catalogue

    def invalidate(self) -> None:
        with self._lock:
            self._catalogue = None


_cache = _CatalogueCache()


def catalogue_current() -> Catalogue:
    """The compiled catalogue, at most FAULT_TYPES_REFRESH_SECONDS behind the database."""
    return _cache.get()


def catalogue_invalidate() -> None:
    """Forget this process's copy; the next detection reloads it."""
    _cache.invalidate()


def catalogue_changed(**_kwargs) -> None:
    """FaultType save/delete signal: forget now, and again once the change is committed (a
    concurrent request may have reloaded the old rows in between)."""
    _cache.invalidate()
    transaction.on_commit(_cache.invalidate)
