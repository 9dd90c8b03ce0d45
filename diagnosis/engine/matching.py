"""The fault catalogue as the engine reads it, and a small matcher of lines against it.

Detection (diagnosis/detection.py) owns matching at ingestion time; this matcher only tags the
lines a diagnosis looks at (a pasted excerpt, a host's neighbouring lines) with the catalogue
types they show, using the same FaultType fields (patterns, component_pattern, min_level).
It is read fresh from the database for each diagnosis: the catalogue is a few dozen rows and
operators change it in the admin without a deploy.
"""

import re
from dataclasses import dataclass

from diagnosis.models import FaultType

LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}


@dataclass(frozen=True)
class TypeInfo:
    """What the engine knows about a fault type, detached from the ORM."""

    code: str
    name: str
    category: str
    severity: str
    description: str
    cause: str
    remediation: str
    confirm_metrics: str
    runbook_script: str
    precursors: tuple[str, ...]

    @classmethod
    def of(cls, fault_type: FaultType) -> "TypeInfo":
        return cls(
            code=fault_type.code,
            name=fault_type.name,
            category=fault_type.category,
            severity=fault_type.default_severity,
            description=fault_type.description,
            cause=fault_type.cause,
            remediation=fault_type.remediation,
            confirm_metrics=fault_type.confirm_metrics,
            runbook_script=fault_type.runbook_script,
            precursors=tuple(sorted(p.code for p in fault_type.precursors.all())),
        )


@dataclass(frozen=True)
class _Signature:
    code: str
    patterns: tuple[re.Pattern, ...]
    component: re.Pattern | None
    min_rank: int


class Catalogue:
    """Every fault type by code, and the enabled ones that have text signatures."""

    def __init__(self, fault_types):
        self.types: dict[str, TypeInfo] = {}
        self._signatures: list[_Signature] = []
        for fault_type in fault_types:
            self.types[fault_type.code] = TypeInfo.of(fault_type)
            if not (fault_type.enabled and fault_type.pattern_list):
                continue
            try:
                patterns = tuple(re.compile(p) for p in fault_type.pattern_list)
                component = (
                    re.compile(fault_type.component_pattern)
                    if fault_type.component_pattern
                    else None
                )
            except re.error:
                continue  # the admin validates patterns; a bad row must not stop a diagnosis
            self._signatures.append(
                _Signature(
                    code=fault_type.code,
                    patterns=patterns,
                    component=component,
                    min_rank=LEVEL_RANK.get(fault_type.min_level.upper(), LEVEL_RANK["WARN"]),
                )
            )

    def get(self, code: str) -> TypeInfo | None:
        return self.types.get(code)

    def match(self, text: str, *, component: str = "", level: str = "") -> list[str]:
        """Codes of the enabled types whose signature the text shows.

        A line's level and component are checked only when known: a pasted excerpt may carry
        neither, and its author wants to know what it shows.
        """
        rank = LEVEL_RANK.get(level.upper()) if level else None
        codes = []
        for signature in self._signatures:
            if rank is not None and rank < signature.min_rank:
                continue
            if component and signature.component and not signature.component.search(component):
                continue
            if any(pattern.search(text) for pattern in signature.patterns):
                codes.append(signature.code)
        return codes


def catalogue_load() -> Catalogue:
    return Catalogue(FaultType.objects.prefetch_related("precursors"))
