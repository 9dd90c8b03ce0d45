"""Incidents: faults that share a cause, told as one story.

A new fault record is placed as soon as it is created (in the transaction that creates it), by
what it is about — its type's `subject` applied to its entities (diagnosis/entities.py):

1. Same subject: faults about the same peer (worker17 and worker18 cannot reach master1), the
   same DataNode (the NameNode's dead-node line and a client's pipeline error naming it), or the
   same host (its disk filling), within INCIDENT_WINDOW_MINUTES of each other, are one incident.
2. Explained: a fault whose type lists a type of the incident among its precursors (the
   catalogue's "often comes first and explains this one", admin-editable) joins it as a symptom
   when it is on a host the incident involves, or is cluster-wide (missing blocks, a metric).
3. Explains: when the new fault's type is a precursor of faults in another incident of the window
   (the lease renewer complained before the no-route line arrived), that incident is merged into
   the new fault's: its faults become symptoms of this cause.

Anything else opens an incident of its own: two unrelated faults at the same minute on two hosts
stay two incidents. Existing records keep their incident; only new records are placed, so the
steady state of ingestion pays nothing for this.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from diagnosis.entities import datanode_hosts, peer_hosts, peer_label
from diagnosis.models import SEVERITY_RANK, FaultRecord, FaultType, Incident

Subject = FaultType.Subject
Kind = Incident.Kind
ACTIVE = (Incident.Status.OPEN, Incident.Status.ACKNOWLEDGED)
FAULT_ACTIVE = (FaultRecord.Status.OPEN, FaultRecord.Status.ACKNOWLEDGED)
# Bounds the work of placing one fault whatever the backlog: the window's incidents considered.
MAX_CANDIDATES = 50
MAX_LISTED = 20


def fault_subject(fault: FaultRecord) -> tuple[str, set[str]]:
    """(incident kind, the hosts the fault is about)."""
    subject = fault.fault_type.subject
    entities = fault.entities or {}
    if subject == Subject.PEER:
        hosts = peer_hosts(entities) - {fault.host}
        if hosts:
            return Kind.PEER, hosts
    elif subject == Subject.DATANODE:
        hosts = datanode_hosts(entities)
        if hosts:
            return Kind.DATANODE, hosts
    elif subject == Subject.CLUSTER or not fault.host:
        return Kind.CLUSTER, set()
    if entities.get("signals") and _peer_signal(entities["signals"]):
        hosts = peer_hosts(entities) - {fault.host}
        if hosts:  # its stack trace says the peer could not be reached
            return Kind.PEER, hosts
    return Kind.HOST, {fault.host}


def _peer_signal(codes: list[str]) -> bool:
    return FaultType.objects.filter(code__in=codes, subject=Subject.PEER).exists()


def _explained_by_trace(fault: FaultRecord) -> bool:
    """A fault placed by the peer its trace names is a symptom of that peer's trouble."""
    return fault.fault_type.subject == Subject.HOST and fault_subject(fault)[0] == Kind.PEER


def window() -> timedelta:
    return timedelta(minutes=settings.INCIDENT_WINDOW_MINUTES)


def incidents_place(*, faults: Iterable[FaultRecord]) -> list[Incident]:
    """Put each new fault into the incident it belongs to (or a new one); returns them."""
    faults = sorted(faults, key=lambda f: (f.first_seen, f.pk))
    links = _links({f.fault_type_id for f in faults})
    return [_place(fault, links) for fault in faults]


def _links(type_ids: set[int]) -> dict[int, tuple[set[str], set[str]]]:
    """Per fault type: (codes of its precursors, codes of the types it is a precursor of)."""
    links: dict[int, tuple[set[str], set[str]]] = {pk: (set(), set()) for pk in type_ids}
    through = FaultType.precursors.through
    rows = through.objects.filter(
        Q(from_faulttype_id__in=type_ids) | Q(to_faulttype_id__in=type_ids)
    ).values_list(
        "from_faulttype_id", "from_faulttype__code", "to_faulttype_id", "to_faulttype__code"
    )
    for from_id, from_code, to_id, to_code in rows:
        if from_id in links:  # from_id lists to_id as a precursor
            links[from_id][0].add(to_code)
        if to_id in links:
            links[to_id][1].add(from_code)
    return links


def _candidates(fault: FaultRecord) -> list[Incident]:
    """Active incidents with a fault seen within the window of this one."""
    span = window()
    ids = (
        FaultRecord.objects.filter(
            incident__status__in=ACTIVE,
            last_seen__gte=fault.first_seen - span,
            first_seen__lte=fault.last_seen + span,
        )
        .exclude(pk=fault.pk)
        .order_by()
        .values_list("incident_id", flat=True)
        .distinct()[:MAX_CANDIDATES]
    )
    ids = list(ids)  # MySQL takes no LIMIT inside IN (subquery)
    if not ids:
        return []
    return list(Incident.objects.filter(pk__in=ids).order_by("first_seen", "id"))


def _member_codes(incidents: list[Incident]) -> dict[int, set[str]]:
    codes: dict[int, set[str]] = {incident.pk: set() for incident in incidents}
    rows = (
        FaultRecord.objects.filter(incident__in=incidents)
        .order_by()
        .values_list("incident_id", "fault_type__code")
        .distinct()
    )
    for incident_id, code in rows:
        codes[incident_id].add(code)
    return codes


def _near(incident: Incident, fault: FaultRecord, subjects: set[str]) -> bool:
    """The fault is on a host the incident involves, or names one, or is cluster-wide."""
    if not fault.host or not fault.fault_type.patterns.strip():
        return True  # a cluster fault or a metric: about the cluster as a whole
    involved = set(incident.hosts) | set(incident.subjects)
    return fault.host in involved or bool(subjects & involved)


def _place(fault: FaultRecord, links: dict[int, tuple[set[str], set[str]]]) -> Incident:
    kind, subjects = fault_subject(fault)
    candidates = _candidates(fault)
    codes = _member_codes(candidates) if candidates else {}
    precursors, consequences = links[fault.fault_type_id]

    target, symptom = None, False
    if subjects:
        target = next((i for i in candidates if subjects & set(i.subjects)), None)
        symptom = target is not None and kind == Kind.PEER and _explained_by_trace(fault)
    if target is None and precursors:
        target = next(
            (i for i in candidates if precursors & codes[i.pk] and _near(i, fault, subjects)),
            None,
        )
        symptom = target is not None
    if target is None:
        symptom = kind == Kind.PEER and _explained_by_trace(fault)
        target = Incident.objects.create(
            kind=kind,
            subjects=sorted(subjects),
            title=fault.title[:255],
            severity=fault.severity,
            cause_fault=fault,
            hosts=[fault.host] if fault.host else [],
            first_seen=fault.first_seen,
            last_seen=fault.last_seen,
        )
    FaultRecord.objects.filter(pk=fault.pk).update(incident=target, is_symptom=symptom)
    fault.incident, fault.is_symptom = target, symptom

    # What this fault explains elsewhere in the window becomes its symptoms.
    if consequences and not symptom:
        for other in candidates:
            if other.pk == target.pk or not consequences & codes.get(other.pk, set()):
                continue
            if _incident_near(other, target, fault):
                _merge(other, into=target, consequences=consequences)
    incident_refresh(incident=target)
    return target


def _incident_near(other: Incident, target: Incident, fault: FaultRecord) -> bool:
    involved = set(target.hosts) | set(target.subjects) | {fault.host}
    return (
        not other.hosts or bool(set(other.hosts) & involved) or bool(set(other.subjects) & involved)
    )


def _merge(other: Incident, *, into: Incident, consequences: set[str]) -> None:
    moved = FaultRecord.objects.filter(incident=other)
    moved.filter(fault_type__code__in=consequences).update(incident=into, is_symptom=True)
    moved.update(incident=into)
    Incident.objects.filter(pk=other.pk).update(
        status=Incident.Status.MERGED, merged_into=into, updated_at=timezone.now()
    )


# --- Keeping an incident's summary true -------------------------------------------------------


def incident_refresh(*, incident: Incident) -> Incident:
    """Recompute what the incident shows from its faults: hosts, components, peers, times,
    severity, status, cause and title. Called when faults join it and when one changes state."""
    faults = list(
        FaultRecord.objects.filter(incident=incident)
        .select_related("fault_type")
        .defer("first_sample", "latest_sample", "message", "diagnosis")
        .order_by("first_seen", "id")
    )
    if not faults:
        return incident
    subjects = set(incident.subjects)
    causes = [f for f in faults if not f.is_symptom] or faults
    for fault in causes:
        kind, about = fault_subject(fault)
        if kind == incident.kind:
            subjects |= about
    hosts = _ordered(f.host for f in faults if f.host and f.host not in subjects)
    if not hosts:
        hosts = _ordered(f.host for f in faults if f.host)
    peers = []
    for fault in faults:
        for peer in (fault.entities or {}).get("peers", ()):
            key = (peer["host"], peer["port"])
            about = incident.kind != Kind.PEER or {peer["host"], peer.get("ip")} & subjects
            if peer.get("role") and about and key not in {(p["host"], p["port"]) for p in peers}:
                peers.append({k: peer.get(k, "") for k in ("host", "ip", "port", "role")})
    cause = min(causes, key=lambda f: (SEVERITY_RANK.get(f.severity, 9), f.first_seen, f.pk))
    severity = min((f.severity for f in faults), key=lambda s: SEVERITY_RANK.get(s, 9))
    statuses = {f.status for f in faults}
    if FaultRecord.Status.OPEN in statuses:
        status = Incident.Status.OPEN
    elif FaultRecord.Status.ACKNOWLEDGED in statuses:
        status = Incident.Status.ACKNOWLEDGED
    else:
        status = Incident.Status.RESOLVED
    incident.subjects = sorted(subjects)
    incident.hosts = hosts[:MAX_LISTED]
    incident.components = _ordered(_short(f.component) for f in faults if f.component)[:MAX_LISTED]
    incident.peers = peers[:MAX_LISTED]
    incident.first_seen = min(f.first_seen for f in faults)
    incident.last_seen = max(f.last_seen for f in faults)
    incident.severity = severity
    if incident.status != Incident.Status.MERGED:
        incident.status = status
    incident.cause_fault = cause
    incident.title = incident_title(incident, faults=faults, cause=cause)[:255]
    incident.save(
        update_fields=[
            "subjects",
            "hosts",
            "components",
            "peers",
            "first_seen",
            "last_seen",
            "severity",
            "status",
            "cause_fault",
            "title",
            "updated_at",
        ]
    )
    return incident


def incidents_refresh_for(*, fault_ids: Iterable[int]) -> None:
    """After faults changed state: refresh the incidents they belong to."""
    incident_ids = set(
        FaultRecord.objects.filter(pk__in=list(fault_ids), incident__isnull=False).values_list(
            "incident_id", flat=True
        )
    )
    for incident in Incident.objects.filter(pk__in=incident_ids):
        incident_refresh(incident=incident)


def _ordered(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _short(component: str) -> str:
    return component.rsplit(".", 1)[-1]


def _since(moment: datetime) -> str:
    local = timezone.localtime(moment)
    today = timezone.localtime(timezone.now()).date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%Y-%m-%d %H:%M")


def _hosts_phrase(hosts: list[str]) -> str:
    if not hosts:
        return "the portal"
    if len(hosts) <= 2:
        return " and ".join(hosts)
    return f"{len(hosts)} hosts"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def incident_title(incident: Incident, *, faults: list[FaultRecord], cause: FaultRecord) -> str:
    """Names the cause: "worker17 cannot reach master1:9000 (NameNode RPC) and master1:8030 (RM
    scheduler) since 18:05"."""
    since = _since(incident.first_seen)
    others = len(faults) - 1
    if incident.kind == Kind.PEER:
        peers = [peer_label(p) for p in incident.peers[:4]]
        target = _join(peers) if peers else _join(incident.subjects[:2])
        return f"{_hosts_phrase(incident.hosts)} cannot reach {target} since {since}"
    if incident.kind == Kind.DATANODE:
        names = _join(incident.subjects[:2]) or "a DataNode"
        witnesses = [h for h in incident.hosts if h not in incident.subjects]
        seen = f", seen by {_hosts_phrase(witnesses)}" if witnesses else ""
        return f"DataNode {names} down{seen} since {since}"
    related = f" (+{others} related fault{'s' if others != 1 else ''})" if others else ""
    if incident.kind == Kind.HOST:
        host = incident.subjects[0] if incident.subjects else cause.host
        return f"{host}: {cause.fault_type.name}{related} since {since}"
    return f"{cause.title}{related} since {since}"
