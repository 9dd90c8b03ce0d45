"""Diagnose an incident: ranked causes whose confidence is computed from the evidence.

Each candidate cause collects independent signals — a host that reports the peer unreachable,
a port (a role) that cannot be reached, the kind of failure (no route vs refused), the portal's
own collector failing to reach the peer (cluster_status), whether the peer itself still logs.
Each signal has a weight: how much it alone would make the cause likely. They combine as a
noisy-OR, confidence = 1 - Π(1 - wᵢ), so every further corroborating signal raises the
confidence and no signal can make it certain. Signals against a cause scale it down the same
way, by Π(1 - wⱼ). The weights are in SIGNAL_WEIGHTS below, each with its reason.

Faults another cause explains (the lease renewer, the ApplicationMaster's RM heartbeat, the
missing blocks of a dead DataNode) are listed as symptoms and never ranked as causes.
"""

import copy
import json
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from diagnosis.models import FaultRecord, FaultType, Incident
from logs.models import SystemLog
from rca.llm import LLMError, llm_chat, reply_parse
from rca.prompt import (
    LINE_CAP,
    REPLY_SHAPE,
    SYSTEM_TEMPLATE,
    USER_TEMPLATE,
    _cap,
    _fit,
    _redact_all,
)
from rca.result import InvalidResult, llm_reply_validate, result_validate

Kind = Incident.Kind
Subject = FaultType.Subject

# How much one signal alone makes a cause likely.
SIGNAL_WEIGHTS = {
    # A host whose own lines say it cannot reach the peer: each host is an independent witness.
    "host_reports_peer": 0.35,
    # Another port (daemon) of the peer unreachable too: not one daemon's problem.
    "port_unreachable": 0.2,
    # EHOSTUNREACH: the kernel has no path to the peer — a network or host-down answer.
    "no_route": 0.3,
    # The portal's collector could not reach the peer's NameNode/RM either (cluster_status).
    "portal_cannot_reach": 0.3,
    # The peer still writes logs: it is up, so the failure is on the path between.
    "peer_still_logs": 0.35,
    # The peer wrote nothing in the window: down, or cut off from the log shipper too.
    "peer_silent": 0.3,
    # Connection refused: the host answers, the daemon does not listen.
    "refused": 0.4,
    # The daemon on the peer logged its own exit.
    "daemon_exit_on_peer": 0.5,
    # Name resolution changed or failed.
    "address_changed": 0.25,
    "unknown_host": 0.4,
    # Many connection attempts counted in the window: a lasting outage, not a blip.
    "retries": 0.15,
    # DataNode incidents.
    "namenode_declared_dead": 0.5,
    "client_dropped_datanode": 0.25,
    "metric_confirms": 0.3,
    "pause_or_overload": 0.3,
    # Host incidents: another fault of the same host the cause explains.
    "same_host_fault": 0.25,
}
MANY_RETRIES = 5


@dataclass
class Signal:
    name: str
    text: str
    refs: list[str] = field(default_factory=list)
    against: bool = False

    @property
    def weight(self) -> float:
        return SIGNAL_WEIGHTS[self.name]


def confidence(signals: list[Signal]) -> float:
    """Noisy-OR of the signals for, scaled down by those against; 0 with no signal for."""
    doubt, against = 1.0, 1.0
    for signal in signals:
        if signal.against:
            against *= 1.0 - signal.weight
        else:
            doubt *= 1.0 - signal.weight
    if doubt == 1.0:
        return 0.0
    return round((1.0 - doubt) * against, 3)


@dataclass
class Candidate:
    title: str
    fault_type: str | None
    signals: list[Signal] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)

    def add(self, name: str, text: str, refs=(), against: bool = False) -> None:
        self.signals.append(Signal(name, text, list(refs), against))


@dataclass
class Evidence:
    faults: list[FaultRecord]
    refs: dict[int, str]
    peer_logs: int
    window_start: object
    window_end: object


def _gather(incident: Incident) -> Evidence:
    faults = list(
        FaultRecord.objects.filter(incident=incident)
        .select_related("fault_type")
        .order_by("first_seen", "id")[:100]
    )
    refs = {fault.pk: f"F{n}" for n, fault in enumerate(faults, start=1)}
    span = timedelta(minutes=settings.INCIDENT_WINDOW_MINUTES)
    start, end = incident.first_seen - span, incident.last_seen + span
    peer_logs = 0
    if incident.kind in (Kind.PEER, Kind.DATANODE) and incident.subjects:
        peer_logs = SystemLog.objects.filter(
            host__in=incident.subjects, log_time__gte=start, log_time__lte=end
        )[:1000].count()
    return Evidence(faults, refs, peer_logs, start, end)


def _codes(fault: FaultRecord) -> set[str]:
    return {fault.fault_type.code, *(fault.entities or {}).get("signals", ())}


def _peer_candidates(incident: Incident, ev: Evidence) -> list[Candidate]:
    peer = _peer_name(incident)
    ip = next((p["ip"] for p in incident.peers if p.get("ip")), "")
    ports = sorted({(p["port"], p.get("role", "")) for p in incident.peers})
    affected = incident.hosts[0] if incident.hosts else "the affected host"
    network = Candidate(f"network: {peer} unreachable", "peer_no_route")
    down = Candidate(f"{peer} down (the host or its daemons stopped)", "rpc_connection_refused")
    dns = Candidate(f"name resolution: {peer} resolves differently or not at all", None)

    witnesses: dict[str, list[str]] = {}
    for fault in ev.faults:
        if fault.host and fault.host not in incident.subjects:
            kind_of = fault.fault_type.subject == Subject.PEER or "signals" in (
                fault.entities or {}
            )
            if kind_of:
                witnesses.setdefault(fault.host, []).append(ev.refs[fault.pk])
    for host, refs in witnesses.items():
        network.add("host_reports_peer", f"{host} reports {peer} unreachable", refs)
    for port, role in ports[1:]:
        network.add("port_unreachable", f"{peer}:{port} ({role or 'port'}) unreachable too")

    def refs_of(*codes):
        return [ev.refs[f.pk] for f in ev.faults if _codes(f) & set(codes)]

    if refs := refs_of("peer_no_route"):
        network.add("no_route", f"no route to host {peer} (EHOSTUNREACH)", refs)
        down.add("no_route", f"no route to host {peer}: a stopped host looks the same", refs)
    if refs := refs_of("namenode_unreachable", "resourcemanager_unreachable"):
        text = f"the portal's collector cannot reach {peer} either (cluster_status)"
        network.add("portal_cannot_reach", text, refs)
        down.add("portal_cannot_reach", text, refs)
    if ev.peer_logs:
        text = f"{peer} itself logged {ev.peer_logs} line(s) meanwhile: it is up"
        network.add("peer_still_logs", text)
        down.add("peer_still_logs", text, against=True)
    else:
        down.add("peer_silent", f"{peer} wrote no log line in the window")
    if refs := refs_of("rpc_connection_refused"):
        down.add(
            "refused", f"{peer} refuses connections: the host answers, no daemon listens", refs
        )
        network.add("refused", "connections are refused, so packets do reach the peer", refs, True)
    if refs := [ev.refs[f.pk] for f in ev.faults if f.fault_type.code == "daemon_exit"]:
        down.add("daemon_exit_on_peer", f"a daemon on {peer} logged its exit", refs)
    if refs := refs_of("peer_address_changed"):
        dns.add("address_changed", f"the IPC client saw {peer}'s address change", refs)
    if refs := refs_of("peer_unknown_host"):
        dns.add("unknown_host", f"{peer} does not resolve", refs)
    retries = sum(f.occurrences for f in ev.faults if f.fault_type.code == "peer_connect_retrying")
    if retries >= MANY_RETRIES:
        text = f"{retries} failed connection attempts counted"
        network.add("retries", text, refs_of("peer_connect_retrying"))
        down.add("retries", text, refs_of("peer_connect_retrying"))

    for port, role in ports:
        network.steps.append(f"From {affected}: nc -zv {peer} {port}  ({role or 'the port'})")
    network.steps += [
        f"From {affected}: getent hosts {peer}; ping -c 3 {ip or peer}; "
        f"ip route get {ip or '<address of ' + peer + '>'}",
        f"Check {peer} is up (console, IPMI) and its firewall; check the switch port and "
        "VLAN between the hosts.",
    ]
    down.steps = [_service_check(peer, port, role) for port, role in ports] or [
        f"On {peer}: check the Hadoop daemons (jps) and their logs."
    ]
    dns.steps = [
        f"On {affected}: getent hosts {peer} and compare with the address in the lines; check "
        "/etc/hosts and DNS."
    ]
    return [network, down, dns]


def _service_check(peer: str, port: int, role: str) -> str:
    if role.startswith("NameNode"):
        return (
            f"On {peer}: is the NameNode running and listening (jps; ss -ltnp | grep :{port})? "
            "hdfs haadmin -getAllServiceState; read its log."
        )
    if role.startswith("RM"):
        return (
            f"On {peer}: is the ResourceManager running (jps; ss -ltnp | grep :{port})? "
            "yarn rmadmin -getServiceState rm1; read its log."
        )
    return f"On {peer}: what should listen on {port} ({role}); ss -ltnp | grep :{port}."


def _peer_name(incident: Incident) -> str:
    names = [s for s in incident.subjects if any(c.isalpha() for c in s)]
    return (names or incident.subjects or ["the peer"])[0]


def _datanode_candidates(incident: Incident, ev: Evidence) -> list[Candidate]:
    node = _peer_name(incident)
    down = Candidate(f"DataNode {node} down", "datanode_dead")
    slow = Candidate(f"DataNode {node} overloaded or pausing", "jvm_long_pause")
    clients: dict[str, list[str]] = {}
    for fault in ev.faults:
        code, ref = fault.fault_type.code, ev.refs[fault.pk]
        if code == "datanode_dead":
            down.add("namenode_declared_dead", f"the NameNode declared {node} dead", [ref])
        elif code == "hdfs_pipeline_datanode_bad" and fault.host:
            clients.setdefault(fault.host, []).append(ref)
        elif code in ("datanodes_dead", "hdfs_missing_blocks"):
            down.add("metric_confirms", f"cluster_status: {fault.title}", [ref])
        elif code == "daemon_exit":
            down.add("daemon_exit_on_peer", f"the DataNode on {fault.host} logged its exit", [ref])
        elif code in ("jvm_long_pause", "datanode_xceiver_limit"):
            slow.add("pause_or_overload", fault.title, [ref])
    for host, refs in clients.items():
        text = f"{host}'s write pipeline dropped {node}"
        down.add("client_dropped_datanode", text, refs)
        slow.add("client_dropped_datanode", text, refs)
    if not ev.peer_logs:
        down.add("peer_silent", f"{node} wrote no log line in the window")
    else:
        down.add("peer_still_logs", f"{node} still logs: the process may be alive", against=True)
    down.steps = [
        f"On {node}: is the DataNode running (jps)? Read the end of its log for the reason "
        "(OutOfMemoryError, failed volumes, Exiting with status).",
        "hdfs dfsadmin -report -dead; hdfs fsck / -list-corruptfileblocks once it is back.",
        f"Restart the DataNode on {node}; expect re-replication traffic.",
    ]
    slow.steps = [f"On {node}: GC log and load; dfs.datanode.max.transfer.threads."]
    return [down, slow]


def _host_candidates(incident: Incident, ev: Evidence) -> list[Candidate]:
    cause = incident.cause_fault or ev.faults[0]
    main = Candidate(f"{cause.fault_type.name} on {cause.host or 'the cluster'}", None)
    main.fault_type = cause.fault_type.code
    main.add("same_host_fault", cause.title, [ev.refs.get(cause.pk, "F1")])
    seen_types = {cause.fault_type.code}
    for fault in ev.faults:
        code = fault.fault_type.code
        if code in seen_types:
            continue
        seen_types.add(code)
        if not fault.fault_type.patterns.strip():
            main.add("metric_confirms", f"cluster_status: {fault.title}", [ev.refs[fault.pk]])
        else:
            main.add("same_host_fault", fault.title, [ev.refs[fault.pk]])
    main.steps = [s for s in (cause.fault_type.remediation,) if s] or [
        f"Read the lines of {cause.host} around {timezone.localtime(cause.first_seen):%H:%M}."
    ]
    return [main]


def incident_result(incident: Incident) -> dict:
    """The rules' diagnosis of an incident, in the shared result structure."""
    ev = _gather(incident)
    if incident.kind == Kind.PEER:
        candidates = _peer_candidates(incident, ev)
    elif incident.kind == Kind.DATANODE:
        candidates = _datanode_candidates(incident, ev)
    else:
        candidates = _host_candidates(incident, ev)
    ranked = sorted(((confidence(c.signals), c) for c in candidates), key=lambda pair: -pair[0])
    causes = [
        {
            "title": c.title[:300],
            "confidence": score,
            "explanation": _explain(c, score)[:4000],
            "fault_type": c.fault_type,
            "evidence_refs": sorted({r for s in c.signals for r in s.refs})[:50],
            "signals": [
                {"text": s.text, "weight": s.weight, "against": s.against} for s in c.signals
            ],
        }
        for score, c in ranked
        if score > 0
    ] or [
        {
            "title": incident.title[:300],
            "confidence": 0.0,
            "explanation": "No signal beyond the faults themselves.",
            "fault_type": None,
            "evidence_refs": [],
            "signals": [],
        }
    ]
    top = ranked[0][1]
    symptoms = [
        {
            "fault_id": f.pk,
            "ref": ev.refs[f.pk],
            "fault_type": f.fault_type.code,
            "title": f.title,
            "host": f.host,
            "explained_by": causes[0]["title"],
        }
        for f in ev.faults
        if f.is_symptom
    ]
    return {
        "version": 1,
        "engine": "rules",
        "model": None,
        "llm_error": None,
        "generated_at": timezone.now().isoformat(),
        "subject": {
            "kind": "incident",
            "incident_id": incident.pk,
            "fault_id": None,
            "fault_type": top.fault_type,
            "fault_types": sorted({f.fault_type.code for f in ev.faults}),
            "title": incident.title[:300],
            "host": ", ".join(incident.hosts)[:255],
        },
        "summary": _summary(incident, causes, symptoms)[:4000],
        "probable_causes": causes,
        "symptoms": symptoms,
        "evidence": {
            "log_lines": [
                {
                    "ref": ev.refs[f.pk].replace("F", "L"),
                    "log_id": f.latest_log_id,
                    "host": f.host,
                    "time": f.last_seen.isoformat(),
                    "level": "",
                    "component": f.component[:255],
                    "text": f.latest_sample[:2000],
                    "why": f"latest line of {ev.refs[f.pk]}",
                }
                for f in ev.faults[:20]
                if f.latest_sample
            ],
            "metrics": [],
            "related_faults": [
                {
                    "ref": ev.refs[f.pk],
                    "fault_id": f.pk,
                    "fault_type": f.fault_type.code,
                    "host": f.host,
                    "first_seen": f.first_seen.isoformat(),
                    "last_seen": f.last_seen.isoformat(),
                    "status": f.status,
                    "relation": "consequence" if f.is_symptom else "nearby",
                    "why": "symptom of the incident's cause" if f.is_symptom else "a cause signal",
                }
                for f in ev.faults
            ],
            "cluster_snapshot": None,
        },
        "remediation": (top.steps or ["Read the incident's faults."])[:30],
        "runbook_script": None,
    }


def _explain(candidate: Candidate, score: float) -> str:
    pro = [s for s in candidate.signals if not s.against]
    con = [s for s in candidate.signals if s.against]
    text = f"{len(pro)} signal(s) agree: " + "; ".join(
        f"{s.text} [{', '.join(s.refs)}]" if s.refs else s.text for s in pro
    )
    if con:
        text += ". Against: " + "; ".join(s.text for s in con)
    return text + f". Confidence {score:.0%}."


def _summary(incident: Incident, causes: list[dict], symptoms: list[dict]) -> str:
    top = causes[0]
    text = f"{incident.title}. Most likely {top['title']} ({top['confidence']:.0%})"
    if symptoms:
        kinds = sorted({s["fault_type"] for s in symptoms})
        text += f"; {len(symptoms)} fault(s) are its symptoms ({', '.join(kinds)})"
    return text + "."


def incident_llm_result(rules_result: dict) -> dict:
    """The LLM's reading of the incident's evidence, merged into the rules' result.

    The model sees the same delimited, redacted, size-capped data block as for a fault
    (rca/prompt.py): the incident, its faults, their lines and the rules' ranked
    causes with their signals. LLMError when it cannot answer.
    """
    if not settings.LLM_MODEL:
        raise LLMError("LLM_MODEL is not set")
    evidence = rules_result["evidence"]
    data = {
        "subject": rules_result["subject"],
        "log_lines": [
            {**line, "text": _cap(line["text"], LINE_CAP)} for line in evidence["log_lines"]
        ],
        "metrics": evidence["metrics"],
        "related_faults": evidence["related_faults"],
        "symptoms": rules_result["symptoms"],
        "catalogue": [],
        "cluster_status": None,
        "rule_engine": {
            "summary": rules_result["summary"],
            "probable_causes": [
                {k: c[k] for k in ("title", "confidence", "fault_type", "evidence_refs", "signals")}
                for c in rules_result["probable_causes"]
            ],
        },
    }
    nonce = secrets.token_hex(8)
    begin, end = f"<<<BEGIN UNTRUSTED DATA {nonce}>>>", f"<<<END UNTRUSTED DATA {nonce}>>>"
    block = _fit(_redact_all(data), settings.LLM_MAX_PROMPT_CHARS)
    system = SYSTEM_TEMPLATE.format(
        begin=begin, end=end, shape=json.dumps(REPLY_SHAPE, ensure_ascii=False, indent=1)
    )
    messages = [
        {"role": "system", "content": system},
        {"role": "user", "content": USER_TEMPLATE.format(begin=begin, data=block, end=end)},
    ]
    content = llm_chat(messages)
    try:
        reply = llm_reply_validate(reply_parse(content))
    except InvalidResult as exc:
        raise LLMError(f"invalid output: {exc}"[:1000]) from None
    known = {
        item["ref"] for key in ("log_lines", "metrics", "related_faults") for item in evidence[key]
    }
    result = copy.deepcopy(rules_result)
    causes = [
        {**cause, "evidence_refs": [r for r in cause["evidence_refs"] if r in known]}
        for cause in reply["probable_causes"]
    ]
    causes.sort(key=lambda c: -c["confidence"])
    result.update(
        engine="llm",
        model=settings.LLM_MODEL or None,
        summary=reply["summary"],
        probable_causes=causes,
        remediation=reply["remediation"],
    )
    try:
        return result_validate(result)
    except InvalidResult as exc:
        raise LLMError(f"invalid output: {exc}"[:1000]) from None
