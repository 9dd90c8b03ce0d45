"""The offline rule engine: the catalogue's knowledge plus correlation rules.

For each fault type the subject shows:
- the catalogue's usual causes, more or less likely as the cluster snapshot confirms or
  contradicts the fault (metric_checks);
- narrower causes read from metrics and from the fault's own lines (text_checks);
- precursors (FaultType.precursors) seen on the hosts concerned shortly before: a long GC pause
  before a ZooKeeper session expiry or a lost heartbeat becomes the leading cause;
- a cluster-level fault at the same time (safe mode, HA failover) explains client-side floods
  (docs/sources.md §5).
Confidences are independent estimates in 0..1, not a distribution.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta

from faultportal.formats import iso
from rca.context import (
    CLUSTER_UPSTREAM,
    ContextLine,
    DiagnosisContext,
    RelatedFault,
    hosts_match,
    primary_codes,
)
from rca.evidence import EvidenceSet, describe_delta
from rca.findings import CONFIRMS, CONTRADICTS, Finding
from rca.matching import TypeInfo
from rca.metric_checks import metric_findings
from rca.result import SCHEMA_VERSION, result_validate
from rca.text_checks import text_findings

BASE_CONFIDENCE = 0.5  # the signature matched; which of the usual causes applies is open
BASE_CONFIDENCE_UNCLASSIFIED = 0.2
CONFIRM_STEP, CONFIRM_MAX = 0.1, 0.3
CONTRADICT_STEP, CONTRADICT_MAX = 0.15, 0.3
STALE_WEIGHT = 0.5  # an old snapshot says less about the fault
PRECURSOR_BASE = 0.6
PRECURSOR_ON_HOST = 0.1  # on the host concerned (the fault's, or the one its text names)
PRECURSOR_FIRST = 0.15  # began before the fault did
PRECURSOR_CONFIRMED = 0.05  # its own metrics confirm it
PRECURSOR_MAX = 0.95
# "Shortly before": a DataNode is declared dead 10.5 min after its last heartbeat.
PRECURSOR_WINDOW = timedelta(minutes=15)
UPSTREAM_CONFIDENCE = 0.75
NARROWER_MARGIN = 0.05
MAX_CAUSES = 8
MAX_STEPS = 12
MAX_EVIDENCE_LINES = 60

# Client-side faults a cluster-level fault causes in bulk (docs/sources.md §5).
CLIENT_SIDE = ("hdfs_write_no_datanodes", "hdfs_block_missing", "rpc_connection_refused")

# Why a precursor leads to what follows, where the catalogue's description does not say it.
PRECURSOR_MECHANISM = {
    "jvm_long_pause": "while the process is paused it sends no heartbeat and answers no call, so "
    "ZooKeeper sessions expire, the NameNode declares DataNodes dead and peers time out",
    "jvm_out_of_memory": "a daemon that runs out of memory stops working or exits",
    "datanode_volume_failure": "a DataNode with more failed volumes than tolerated shuts down",
    "too_many_open_files": "without free descriptors the daemon cannot open sockets or block files",
    "datanode_xceiver_limit": "a DataNode refusing transfers breaks the pipelines and reads "
    "using it",
    "namenode_low_disk_safemode": "the NameNode entered safe mode because its metadata disk is "
    "low, and it refuses writes until space is freed",
    "datanode_dead": "the blocks and capacity of a dead DataNode are unavailable",
    "datanode_out_of_space": "full DataNodes cannot take new blocks",
}


@dataclass
class _Cause:
    title: str
    confidence: float
    explanation: str
    fault_type: str | None
    refs: list = field(default_factory=list)
    step: str = ""


class _CauseBook:
    """Causes by key: a cause found twice keeps its highest confidence and all its evidence."""

    def __init__(self):
        self.causes: dict[str, _Cause] = {}

    def add(self, key: str, cause: _Cause) -> None:
        cause.confidence = round(min(1.0, max(0.0, cause.confidence)), 2)
        known = self.causes.get(key)
        if known is None:
            self.causes[key] = cause
            return
        known.refs += [ref for ref in cause.refs if ref not in known.refs]
        if cause.confidence > known.confidence:
            known.confidence, known.explanation = cause.confidence, cause.explanation
        known.step = known.step or cause.step

    def ranked(self) -> list[_Cause]:
        return sorted(self.causes.values(), key=lambda c: -c.confidence)


def remediation_steps(text: str) -> list[str]:
    """The catalogue's remediation text as separate steps (sentences and ;-clauses)."""
    parts = re.split(r"(?<=\.)\s+(?=[A-Z])|;\s+", text.strip())
    steps = []
    for part in parts:
        part = part.strip().rstrip(".;")
        if part:
            steps.append(part + ".")
    return steps


class _Diagnoser:
    def __init__(self, ctx: DiagnosisContext):
        self.ctx = ctx
        self.evidence = EvidenceSet()
        self.causes = _CauseBook()
        self.steps: list[str] = []
        self.notes: list[str] = []  # sentences for the summary
        self.stale_weight = STALE_WEIGHT if ctx.cluster and ctx.cluster.stale else 1.0

    # --- helpers ----------------------------------------------------------------------------

    def info(self, code: str) -> TypeInfo | None:
        return self.ctx.catalogue.get(code)

    def on_hosts_concerned(self, host: str) -> bool:
        return any(hosts_match(host, h) for h in self.ctx.hosts + self.ctx.peers)

    def when(self, moment) -> str:
        return describe_delta(moment, self.ctx.start, self.ctx.end)

    def cite_finding(self, finding: Finding) -> tuple:
        if finding.line is not None:
            return self.evidence.line(finding.line, f"{finding.name}: {finding.value}")
        return self.evidence.metric(finding)

    def primary_types(self) -> list[str]:
        """What the subject is about; precursors of another shown type explain it instead."""
        ctx = self.ctx
        if ctx.kind == "fault":
            codes = list(ctx.focus)
            if codes == ["unclassified"]:  # a type added since may recognise its lines
                codes += [
                    code
                    for line in ctx.lines
                    if line.origin == "sample"
                    for code in line.types
                    if code not in codes
                ]
            return codes
        return primary_codes(ctx.focus, ctx.catalogue)

    # --- the rules --------------------------------------------------------------------------

    def cite_subject_lines(self, primary: list[str]) -> None:
        ctx = self.ctx
        precursors = {p for code in primary if self.info(code) for p in self.info(code).precursors}
        chosen: list[tuple[int, ContextLine, str]] = []
        for line in ctx.lines:
            shown = [c for c in line.types if c in primary]
            if line.origin == "sample":
                chosen.append((0, line, "the fault's own line"))
            elif shown:
                chosen.append((1, line, f"shows {', '.join(shown)}"))
            elif line.types and set(line.types) <= precursors:
                continue  # the precursor rule cites it, with its timing
            elif line.types:  # another known fault nearby
                chosen.append((1, line, f"shows {', '.join(line.types)}: {self._nearby_why(line)}"))
            elif line.level in ("ERROR", "FATAL"):
                chosen.append((2, line, self._nearby_why(line)))
            elif line.level == "WARN":
                chosen.append((3, line, self._nearby_why(line)))
            elif ctx.kind == "fault" and line.level == "INFO":
                chosen.append((4, line, f"context: {self._nearby_why(line)}"))
        chosen.sort(key=lambda item: item[0])
        for _, line, why in chosen[:MAX_EVIDENCE_LINES]:
            self.evidence.line(line, why)

    def _nearby_why(self, line: ContextLine) -> str:
        where = f"on {line.host}" if line.host else ""
        when = self.when(line.time)
        return " ".join(part for part in (line.level, where, when) if part)

    def diagnose_type(self, code: str) -> None:
        info = self.info(code)
        if info is None:
            return
        shown = [line for line in self.ctx.lines if code in line.types][:5]
        own_lines = [self.evidence.line(line, f"shows {code}") for line in shown]
        findings = metric_findings(self.ctx, code) + text_findings(self.ctx.lines, code)
        confirm = [f for f in findings if f.verdict == CONFIRMS]
        contradict = [f for f in findings if f.verdict == CONTRADICTS]
        metric_weight = self.stale_weight
        adjust = min(CONFIRM_MAX, CONFIRM_STEP * len(confirm)) * metric_weight
        adjust -= min(CONTRADICT_MAX, CONTRADICT_STEP * len(contradict)) * metric_weight
        base = BASE_CONFIDENCE_UNCLASSIFIED if code == "unclassified" else BASE_CONFIDENCE
        refs = own_lines + [self.cite_finding(f) for f in confirm + contradict]
        hints = []
        for finding in findings:
            ref = self.cite_finding(finding)
            if finding.cause is None:
                continue
            hint = finding.cause
            weight = 1.0 if finding.line is not None else metric_weight
            hints.append(hint.confidence * weight)
            self.causes.add(
                hint.key,
                _Cause(
                    hint.title, hint.confidence * weight, hint.explanation, code, [ref], hint.step
                ),
            )
        explanation = [info.cause or info.description or info.name]
        if confirm:
            explanation.append("Confirmed by " + _listing(confirm) + ".")
        if contradict:
            explanation.append("Contradicted by " + _listing(contradict) + ".")
        precursors_seen = self.precursors(info)
        if info.precursors and not precursors_seen:
            names = ", ".join(self.info(p).name for p in info.precursors if self.info(p))
            explanation.append(f"No precursor ({names}) was seen on the hosts concerned.")
        confidence = base + adjust
        if hints:  # the catalogue's general list ranks below the cause the figures single out
            confidence = min(confidence, max(hints) - NARROWER_MARGIN)
        self.causes.add(
            f"type:{code}",
            _Cause(
                f"{info.name}: one of its usual causes",
                confidence,
                " ".join(explanation),
                code,
                refs,
            ),
        )
        if code in CLIENT_SIDE:
            self.upstream(info)
        self.note_metrics(info, confirm, contradict)

    def precursors(self, info: TypeInfo) -> list[str]:
        """Add a cause for each precursor seen shortly before; returns the codes seen."""
        ctx = self.ctx
        seen = []
        for code in info.precursors:
            pinfo = self.info(code)
            if pinfo is None:
                continue
            faults = [
                r
                for r in ctx.related
                if r.code == code
                and r.relation == "precursor"
                and self._shortly_before(r.first_seen, r.last_seen)
            ]
            lines = [
                line
                for line in ctx.lines
                if code in line.types
                and (ctx.kind == "log_text" or self.on_hosts_concerned(line.host))
                and self._shortly_before(line.time, line.time)
            ]
            if not faults and not lines:
                continue
            seen.append(code)
            refs, moments, hosts = [], [], []
            for record in faults:
                refs.append(
                    self.evidence.related(
                        record,
                        f"precursor of {info.code} on {record.host or 'the cluster'}, "
                        f"{self.when(record.first_seen) or 'in the same window'}",
                    )
                )
                moments.append(record.first_seen)
                hosts.append(record.host)
            for line in lines[:5]:
                refs.append(
                    self.evidence.line(
                        line,
                        f"shows {code}, a precursor of {info.code}"
                        + (f", {self.when(line.time)}" if line.time else ""),
                    )
                )
                if line.time:
                    moments.append(line.time)
                hosts.append(line.host)
            first = min(moments) if moments else None
            confidence = PRECURSOR_BASE
            if any(self.on_hosts_concerned(h) for h in hosts if h) or not ctx.hosts:
                confidence += PRECURSOR_ON_HOST
            if first is None or ctx.start is None or first <= ctx.start:
                confidence += PRECURSOR_FIRST
            readable = lines or [_sample_line(record, code) for record in faults]
            own = metric_findings(ctx, code) + text_findings(readable, code)
            if any(f.verdict == CONFIRMS for f in own):
                confidence += PRECURSOR_CONFIRMED
            for finding in own:
                ref = self.cite_finding(finding)
                if finding.cause is not None:  # e.g. the pause was the host, not GC
                    hint = finding.cause
                    self.causes.add(
                        hint.key,
                        _Cause(
                            hint.title,
                            hint.confidence * 0.9,
                            f"Behind the precursor ({pinfo.name}): {hint.explanation}",
                            code,
                            [ref],
                            hint.step,
                        ),
                    )
            host_text = ", ".join(sorted({h for h in hosts if h})) or "the cluster"
            timing = self.when(first) if first else "in the same excerpt"
            mechanism = PRECURSOR_MECHANISM.get(code, pinfo.description)
            self.causes.add(
                f"precursor:{code}",
                _Cause(
                    f"{pinfo.name} shortly before",
                    min(PRECURSOR_MAX, confidence),
                    f"{pinfo.name} on {host_text}, {timing} ({iso(first) or 'time unknown'}). "
                    f"It is a known precursor of {info.name}: {mechanism}.",
                    code,
                    refs,
                    " ".join(remediation_steps(pinfo.remediation)[:2]),
                ),
            )
            self.notes.append(f"{pinfo.name} was seen on {host_text} {timing}.")
        return seen

    def _shortly_before(self, first, last) -> bool:
        start, end = self.ctx.start, self.ctx.end
        if start is None or first is None:
            return True  # an excerpt without times: lines of one excerpt belong together
        return first <= (end or start) + timedelta(minutes=1) and last >= start - PRECURSOR_WINDOW

    def upstream(self, info: TypeInfo) -> None:
        for record in self.ctx.related:
            if record.code not in CLUSTER_UPSTREAM or record.relation != "cluster":
                continue
            if not self._shortly_before(record.first_seen, record.last_seen):
                continue
            uinfo = self.info(record.code)
            ref = self.evidence.related(record, "cluster-level fault at the same time")
            self.causes.add(
                f"upstream:{record.code}",
                _Cause(
                    f"A cluster-level fault: {uinfo.name}",
                    UPSTREAM_CONFIDENCE,
                    f"{uinfo.name} (fault #{record.fault_id} on {record.host or 'the cluster'}, "
                    f"{record.status}) was active at the time; while it lasts, clients fail with "
                    f"{info.name}. These errors follow from it.",
                    record.code,
                    [ref],
                    f"Fix fault #{record.fault_id} ({uinfo.name}) first: "
                    + " ".join(remediation_steps(uinfo.remediation)[:1]),
                ),
            )

    def note_metrics(self, info: TypeInfo, confirm, contradict) -> None:
        metric_confirm = [f for f in confirm if f.line is None]
        metric_contradict = [f for f in contradict if f.line is None]
        if metric_confirm:
            self.notes.append("The cluster snapshot confirms it: " + _listing(metric_confirm) + ".")
        if metric_contradict:
            self.notes.append(
                "The cluster snapshot no longer shows it ("
                + _listing(metric_contradict)
                + "): it may have recovered."
            )

    def cite_related(self) -> None:
        ctx = self.ctx
        reasons = {
            "precursor": "a precursor type, but not shortly before the fault",
            "consequence": "often caused by this fault",
            "cluster": "cluster-level fault in the same window",
            "nearby": "another fault on the same host in the window",
        }
        followed = []
        for record in ctx.related:
            if self.evidence.has_related(record):
                continue
            when = self.when(record.first_seen)
            self.evidence.related(record, f"{reasons[record.relation]}; {when}".strip("; "))
            if record.relation == "consequence":
                followed.append(f"{record.name} on {record.host or 'the cluster'}")
        if followed:
            self.notes.append("It was followed by: " + "; ".join(followed[:3]) + ".")

    def run(self) -> dict:
        ctx = self.ctx
        primary = self.primary_types()
        self.cite_subject_lines(primary)
        for code in primary:
            self.diagnose_type(code)
        if not primary:
            self.causes.add(
                "unmatched",
                _Cause(
                    "No known fault signature",
                    0.2,
                    f"None of the {len(ctx.catalogue.types)} catalogue fault types matches the "
                    "excerpt; its most severe lines are listed as evidence.",
                    None,
                    [],
                    "Read the ERROR and FATAL lines cited as evidence, starting with the first.",
                ),
            )
        self.cite_related()
        ranked = self.ranked_causes()
        evidence, refs = self.evidence.render(ctx.cluster)
        return {
            "version": SCHEMA_VERSION,
            "engine": "rules",
            "model": None,
            "llm_error": None,
            "generated_at": iso(ctx.now),
            "subject": subject_of(ctx, primary),
            "summary": self.summary(primary, ranked),
            "probable_causes": [
                {
                    "title": cause.title[:300],
                    "confidence": cause.confidence,
                    "explanation": cause.explanation[:4000],
                    "fault_type": cause.fault_type,
                    "evidence_refs": [refs[key] for key in cause.refs if key in refs],
                }
                for cause in ranked
            ],
            "evidence": evidence,
            "remediation": self.remediation(primary, ranked),
            "runbook_script": self.runbook(primary, ranked),
        }

    def ranked_causes(self) -> list[_Cause]:
        return self.causes.ranked()[:MAX_CAUSES]

    def remediation(self, primary: list[str], ranked: list[_Cause]) -> list[str]:
        steps: list[str] = []
        for cause in ranked:
            if cause.step and cause.confidence >= 0.5:
                steps.append(cause.step)
        for code in primary:
            info = self.info(code)
            if info:
                steps += remediation_steps(info.remediation)
        if not steps:
            steps = [
                "Read the lines cited as evidence; if the error recurs and matters, add a fault "
                "type with a pattern for it in the admin."
            ]
        unique = list(dict.fromkeys(step for step in steps if step))
        return unique[:MAX_STEPS]

    def runbook(self, primary: list[str], ranked: list[_Cause]) -> str | None:
        for code in primary:
            info = self.info(code)
            if info and info.runbook_script:
                return info.runbook_script
        return None

    def summary(self, primary: list[str], ranked: list[_Cause]) -> str:
        ctx = self.ctx
        names = [self.info(code).name for code in primary if self.info(code)]
        if ctx.kind == "fault" and ctx.fault is not None:
            fault = ctx.fault
            where = f"on {fault.host}" if fault.host else "cluster-wide"
            span = (
                f"at {iso(fault.first_seen)}"
                if fault.first_seen == fault.last_seen
                else f"from {iso(fault.first_seen)} to {iso(fault.last_seen)}"
            )
            text = (
                f"{names[0] if names else fault.title} {where}: {fault.occurrences} "
                f"occurrence(s) {span}, {fault.status}."
            )
        elif names:
            text = f"The excerpt shows {', '.join(names)}."
        else:
            text = "The excerpt matches no known fault signature."
        if ranked:
            top = ranked[0]
            text += f" Most probable cause: {top.title} ({top.confidence:.0%})."
        notes = list(dict.fromkeys(self.notes))
        if notes:
            text += " " + " ".join(notes)
        if ctx.cluster is None:
            text += " No cluster status snapshot was available."
        elif ctx.cluster.stale:
            text += f" The cluster snapshot is {ctx.cluster.age_seconds // 60} min old."
        return text[:4000]


def _sample_line(record: RelatedFault, code: str) -> ContextLine:
    """A related fault's sample as a line, when its log rows are outside the context."""
    return ContextLine(
        log_id=None,
        host=record.host,
        time=record.last_seen,
        level="",
        component="",
        text=record.sample,
        types=(code,),
        origin="sample",
    )


def _listing(findings: list[Finding]) -> str:
    parts = []
    for finding in findings[:4]:
        where = "" if finding.source == "cluster" else f" ({finding.source})"
        threshold = f" [threshold {finding.threshold}]" if finding.threshold else ""
        parts.append(f"{finding.name} = {finding.value}{threshold}{where}")
    return ", ".join(parts)


def subject_of(ctx: DiagnosisContext, primary: list[str]) -> dict:
    fault = ctx.fault
    return {
        "kind": ctx.kind,
        "fault_id": fault.pk if fault else None,
        "fault_type": fault.fault_type.code if fault else (primary[0] if primary else None),
        "fault_types": list(dict.fromkeys(ctx.focus + primary)),
        "title": (ctx.title or "")[:300],
        "host": ctx.host,
    }


def rules_diagnose(ctx: DiagnosisContext) -> dict:
    """A validated diagnosis result from the catalogue and the correlation rules."""
    return result_validate(_Diagnoser(ctx).run())
