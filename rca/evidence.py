"""The evidence a diagnosis cites, numbered for reference (L1 log lines, M1 metrics, F1 faults).

Causes are built while evidence is still being collected, so they hold keys; refs are given
once, in display order, when the result is written out.
"""

from datetime import UTC, datetime

from faultportal.formats import iso
from rca.context import ClusterView, ContextLine, RelatedFault
from rca.findings import Finding


def describe_delta(moment: datetime | None, start: datetime | None, end: datetime | None) -> str:
    """'3 min 12 s before the fault', 'during the fault', '40 s after the fault'."""
    if moment is None or start is None:
        return ""
    end = end or start
    if moment < start:
        return f"{_duration(start - moment)} before the fault"
    if moment > end:
        return f"{_duration(moment - end)} after the fault"
    return "during the fault"


def _duration(delta) -> str:
    seconds = round(delta.total_seconds())
    if seconds < 1:
        return "under a second"
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


class EvidenceSet:
    def __init__(self):
        self._lines: dict[int, tuple[ContextLine, str]] = {}
        self._metrics: dict[tuple, tuple[Finding, str]] = {}
        self._related: dict[int, tuple[RelatedFault, str]] = {}

    def line(self, line: ContextLine, why: str) -> tuple:
        key = id(line)
        if key not in self._lines:
            self._lines[key] = (line, why)
        elif why not in self._lines[key][1]:  # cited by several rules: keep every reason
            self._lines[key] = (line, f"{self._lines[key][1]}; {why}")
        return ("L", key)

    def metric(self, finding: Finding) -> tuple:
        key = (finding.name, finding.source, str(finding.value), finding.verdict)
        if key not in self._metrics:
            self._metrics[key] = (finding, finding.note)
        return ("M", key)

    def related(self, fault: RelatedFault, why: str) -> tuple:
        if fault.fault_id not in self._related:
            self._related[fault.fault_id] = (fault, why)
        return ("F", fault.fault_id)

    def has_related(self, fault: RelatedFault) -> bool:
        return fault.fault_id in self._related

    def render(self, cluster: ClusterView | None) -> tuple[dict, dict]:
        """(evidence dict, key -> ref)."""
        refs: dict[tuple, str] = {}
        far = datetime.max.replace(tzinfo=UTC)
        lines = sorted(self._lines.items(), key=lambda kv: (kv[1][0].time or far, kv[0]))
        log_lines = []
        for number, (key, (line, why)) in enumerate(lines, start=1):
            refs[("L", key)] = f"L{number}"
            log_lines.append(
                {
                    "ref": f"L{number}",
                    "log_id": line.log_id,
                    "host": line.host,
                    "time": iso(line.time),
                    "level": line.level,
                    "component": line.component[:255],
                    "text": line.text,
                    "why": why[:500],
                }
            )
        metrics = []
        for number, (key, (finding, note)) in enumerate(self._metrics.items(), start=1):
            refs[("M", key)] = f"M{number}"
            metrics.append(
                {
                    "ref": f"M{number}",
                    "name": finding.name,
                    "value": finding.value,
                    "threshold": finding.threshold,
                    "verdict": finding.verdict,
                    "source": finding.source[:300],
                    "note": note[:1000],
                }
            )
        related = []
        ordered = sorted(self._related.values(), key=lambda pair: pair[0].first_seen)
        for number, (fault, why) in enumerate(ordered, start=1):
            refs[("F", fault.fault_id)] = f"F{number}"
            related.append(
                {
                    "ref": f"F{number}",
                    "fault_id": fault.fault_id,
                    "fault_type": fault.code,
                    "host": fault.host,
                    "first_seen": iso(fault.first_seen),
                    "last_seen": iso(fault.last_seen),
                    "status": fault.status,
                    "relation": fault.relation,
                    "why": why[:500],
                }
            )
        snapshot = None
        if cluster is not None:
            snapshot = {
                "collected_at": iso(cluster.collected_at),
                "age_seconds": cluster.age_seconds,
                "stale": cluster.stale,
            }
        evidence = {
            "log_lines": log_lines,
            "metrics": metrics,
            "related_faults": related,
            "cluster_snapshot": snapshot,
        }
        return evidence, refs
