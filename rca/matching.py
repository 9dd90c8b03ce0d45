"""The fault catalogue as the engine reads it: what each type means, and what lines show.

The type descriptions (cause, remediation, confirm metrics, precursors) are read fresh for each
diagnosis: the catalogue is a few dozen rows and operators change it in the admin without a
deploy. Tagging lines with the types they show reuses detection's compiled catalogue.
"""

from dataclasses import dataclass

from diagnosis.catalogue import catalogue_current
from diagnosis.models import FaultType


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


class Catalogue:
    """Every fault type by code (read fresh for each diagnosis), and what lines show."""

    def __init__(self, fault_types):
        self.types: dict[str, TypeInfo] = {t.code: TypeInfo.of(t) for t in fault_types}
        # Matching uses detection's compiled catalogue: the same patterns, prefilter and
        # levels ingestion applies, at most FAULT_TYPES_REFRESH_SECONDS behind the database.
        self._compiled = catalogue_current()

    def get(self, code: str) -> TypeInfo | None:
        return self.types.get(code)

    def match(self, text: str, *, component: str = "", level: str = "") -> list[str]:
        """Codes of the enabled types whose signature the text shows."""
        return self._compiled.codes_in(text, level=level, component=component)


def catalogue_load() -> Catalogue:
    return Catalogue(FaultType.objects.prefetch_related("precursors"))
