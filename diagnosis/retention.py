"""What the diagnosis app keeps (registered with the core's retention in DiagnosisConfig.ready).

Fault records are never pruned: they are few, a regression reopens them, and each keeps copies
of its first and latest sample lines and its latest diagnosis, so its page stays whole after the
lines, history and older diagnoses are gone. The history and the diagnoses of a fault go
together once the fault has been resolved or ignored, and untouched, for the retention.
"""

from django.db.models import Q

from diagnosis.models import Diagnosis, FaultEvent, FaultRecord
from faultportal.retention import IdWalk

INACTIVE = (FaultRecord.Status.RESOLVED, FaultRecord.Status.IGNORED)


def _settled(prefix: str):
    def eligible(cutoff):
        return Q(**{f"{prefix}status__in": INACTIVE, f"{prefix}updated_at__lt": cutoff})

    return eligible


def _settled_or_excerpt(cutoff):
    # A pasted excerpt's diagnosis belongs to no fault: it goes by age alone.
    return Q(fault__isnull=True) | _settled("fault__")(cutoff)


POLICIES = [
    IdWalk(
        table="fault_events",
        setting="FAULT_HISTORY_RETENTION_DAYS",
        description="history of faults resolved or ignored (and untouched) that long ago",
        model=FaultEvent,
        time_field="at",
        eligible=_settled("fault__"),
    ),
    IdWalk(
        table="diagnoses",
        setting="DIAGNOSIS_RETENTION_DAYS",
        description="diagnoses of faults settled that long ago, and of pasted excerpts",
        model=Diagnosis,
        time_field="created_at",
        eligible=_settled_or_excerpt,
    ),
]
