"""What a diagnosis looks at, gathered with a bounded number of indexed queries.

For a fault: its type and sample lines; the same host's lines around its first and last
occurrence (WARN+ lines and a few INFO lines, through the (host, log_time) index); faults on
the same host, on hosts its text names, and cluster-wide ones in a window around it; the latest
cluster-status snapshot (cluster row, that host's node rows, the NameNode/ResourceManager rows).
For a pasted excerpt: its events tagged with the catalogue types they show, and the same
faults and snapshot for the host it names.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cluster.models import ClusterStatus
from cluster.thresholds import Limits, thresholds_current
from diagnosis.models import FaultRecord
from logs.models import SEVERE_LEVELS, LogLevel, SystemLog
from rca.excerpt import excerpt_parse
from rca.matching import Catalogue, catalogue_load

# Neighbouring lines: a lost heartbeat is declared 10.5 min after the last one, so the cause is
# usually in the quarter of an hour before a fault; what follows shows the consequences.
LINES_BEFORE = timedelta(minutes=15)
LINES_AFTER = timedelta(minutes=2)
INFO_AROUND = timedelta(minutes=2)
MAX_SEVERE_BEFORE = 25
MAX_SEVERE_AFTER = 10
MAX_INFO = 6
MAX_LINES = 80
LINE_TEXT_CAP = 2000  # characters kept of one line (message + trace)

# Related faults: precursors such as a GC pause come minutes before what they cause.
RELATED_BEFORE = timedelta(minutes=30)
RELATED_AFTER = timedelta(minutes=10)
MAX_RELATED = 30
MAX_PEERS = 3
# An excerpt without timestamps is read against the last hour.
EXCERPT_DEFAULT_WINDOW = timedelta(hours=1)

# Cluster-level faults that make clients fail in bulk (docs/sources.md §5):
# they are looked for on every host, whatever the subject's host.
CLUSTER_UPSTREAM = (
    "namenode_safemode",
    "namenode_low_disk_safemode",
    "ha_zk_session_expired",
    "journal_quorum_timeout",
)

_NUMERIC_FIELDS = (
    models.IntegerField,
    models.BigIntegerField,
    models.FloatField,
    models.BooleanField,
)
STATUS_METRIC_FIELDS = tuple(
    f.name
    for f in ClusterStatus._meta.concrete_fields
    if isinstance(f, _NUMERIC_FIELDS) and f.name not in ("id", "reachable")
)


@dataclass
class ContextLine:
    log_id: int | None
    host: str
    time: datetime | None
    level: str
    component: str
    text: str
    types: tuple[str, ...]
    origin: str  # "sample" (the fault's own line), "neighbour", "excerpt"


@dataclass
class RelatedFault:
    fault_id: int
    code: str
    name: str
    host: str
    title: str
    first_seen: datetime
    last_seen: datetime
    status: str
    occurrences: int
    relation: str  # "precursor", "consequence", "cluster", "nearby"
    sample: str = ""  # its latest sample line, for rules that read the text


@dataclass
class StatusRow:
    role: str
    host: str
    state: str
    reachable: bool
    error: str
    collected_at: datetime
    metrics: dict
    details: dict
    health_report: str

    @property
    def label(self) -> str:
        return f"{self.role} {self.host}" if self.host else "cluster"

    @property
    def role_label(self) -> str:
        try:
            return str(ClusterStatus.Role(self.role).label)
        except ValueError:
            return self.role

    def detail(self, *names):
        """The first of `names` present in details (JMX spelling or snake_case), else None."""
        for name in names:
            if self.details.get(name) is not None:
                return self.details[name]
        return None


@dataclass
class ClusterView:
    collected_at: datetime
    age_seconds: int
    stale: bool
    cluster: StatusRow | None
    nodes: list[StatusRow]
    # The operator's metric thresholds (metric_thresholds), so checks judge by the same limits
    # that raise the faults.
    limits: Limits = field(default_factory=dict)

    def value(self, name: str):
        return self.cluster.metrics.get(name) if self.cluster else None

    def nodes_of(self, hosts, role: str | None = None) -> list[StatusRow]:
        return [
            row
            for row in self.nodes
            if (role is None or row.role == role) and any(hosts_match(row.host, h) for h in hosts)
        ]

    def with_role(self, role: str) -> list[StatusRow]:
        return [row for row in self.nodes if row.role == role]


@dataclass
class DiagnosisContext:
    kind: str  # "fault" or "log_text"
    catalogue: Catalogue
    focus: list[str]  # fault-type codes the subject shows, in order of appearance
    host: str  # the subject's host; "" for a cluster-wide fault or an excerpt without one
    hosts: list[str]  # the hosts the subject's lines came from
    peers: list[str]  # other hosts its text names (the DataNode a NameNode lost, …)
    start: datetime | None  # the subject's first and last occurrence
    end: datetime | None
    now: datetime
    lines: list[ContextLine] = field(default_factory=list)
    related: list[RelatedFault] = field(default_factory=list)
    cluster: ClusterView | None = None
    fault: FaultRecord | None = None
    title: str = ""


# --- hosts --------------------------------------------------------------------------------------

_IP = re.compile(r"(?<![\w.-])(\d{1,3}(?:\.\d{1,3}){3})(?::\d{2,5})?(?![\w.])")
_HOST_PORT = re.compile(r"(?<![\w.-])([A-Za-z][\w-]*(?:\.[A-Za-z0-9][\w-]*)*):(\d{2,5})\b")
_NAME_SLASH_IP = re.compile(r"(?<![\w.-])([A-Za-z][\w.-]*)/(\d{1,3}(?:\.\d{1,3}){3})\b")
_NOT_HOSTS = {"localhost", "port", "host", "address", "http", "https", "hdfs"}


def hosts_match(a: str, b: str) -> bool:
    """Same host, also when one side is the short name and the other the FQDN."""
    a, b = a.lower(), b.lower()
    if not a or not b:
        return False
    if a == b:
        return True
    if "." in a and "." in b:
        return False
    return a.split(".")[0] == b.split(".")[0] and not _IP.fullmatch(a) and not _IP.fullmatch(b)


def hosts_named_in(text: str, *, exclude=()) -> list[str]:
    """Hosts (names with a port, or IPs) a log text names, in order, without `exclude`."""
    found: list[str] = []
    for match in _HOST_PORT.finditer(text):
        found.append(match[1])
    # Hadoop writes "host/ip" (Call From dn01/10.0.0.11 …): the IP is that host, by name.
    aliases = {match[2]: match[1] for match in _NAME_SLASH_IP.finditer(text)}
    for match in _IP.finditer(text):
        found.append(aliases.get(match[1], match[1]))
    result: list[str] = []
    for host in found:
        lower = host.lower()
        if lower in _NOT_HOSTS or lower.startswith(("127.", "0.")):
            continue
        if any(hosts_match(host, other) for other in [*exclude, *result]):
            continue
        result.append(host)
    return result


# Keys of a node row's details that carry its addresses, as the NameNode's LiveNodes and
# DeadNodes report them ({"xferaddr": "10.0.0.13:9866", "infoAddr": …}).
ADDRESS_DETAIL_KEYS = ("xferaddr", "infoAddr", "infoSecureAddr", "ipAddr", "ip", "address")


def peers_resolve(peers: list[str]) -> list[str]:
    """Put the host name before each IP the latest snapshot knows (NameNode messages name
    DataNodes by ip:port, their logs arrive under the host name)."""
    ips = [peer for peer in peers if _IP.fullmatch(peer)]
    if not ips:
        return peers
    latest = (
        ClusterStatus.objects.filter(scope=ClusterStatus.Scope.CLUSTER)
        .order_by("-collected_at", "-id")
        .values_list("collection_id", flat=True)
        .first()
    )
    names: dict[str, str] = {}
    if latest is not None:
        rows = ClusterStatus.objects.filter(
            collection_id=latest, scope=ClusterStatus.Scope.NODE
        ).values_list("host", "details")[:5000]
        for host, details in rows:
            if not isinstance(details, dict):
                continue
            for key in ADDRESS_DETAIL_KEYS:
                value = details.get(key)
                if isinstance(value, str):
                    names.setdefault(value.rsplit(":", 1)[0] if ":" in value else value, host)
    resolved: list[str] = []
    for peer in peers:
        if peer in names and names[peer] not in resolved:
            resolved.append(names[peer])
        if peer not in resolved:
            resolved.append(peer)
    return resolved


def _host_q(hosts, field_name: str = "host") -> Q:
    """Rows whose host is one of `hosts`, short name and FQDN alike; uses the host index."""
    query = Q(**{f"{field_name}__in": sorted({h for h in hosts if h})})
    for host in hosts:
        if host and "." not in host:
            query |= Q(**{f"{field_name}__startswith": f"{host}."})
        elif host and not _IP.fullmatch(host):
            query |= Q(**{field_name: host.split(".")[0]})
    return query


# --- lines --------------------------------------------------------------------------------------


def _cap(text: str, limit: int = LINE_TEXT_CAP) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _line_from_row(row: SystemLog, catalogue: Catalogue, origin: str) -> ContextLine:
    text = f"{row.message}\n{row.trace}" if row.trace else row.message
    return ContextLine(
        log_id=row.pk,
        host=row.host,
        time=row.log_time,
        level=row.level,
        component=row.component,
        text=_cap(text),
        types=tuple(catalogue.match(text, component=row.component, level=row.level)),
        origin=origin,
    )


def _neighbour_rows(where: Q, anchor: datetime) -> list[SystemLog]:
    """WARN+ lines before and after `anchor` (nearest first) and a few INFO lines."""
    rows: list[SystemLog] = []
    base = SystemLog.objects.filter(where)
    rows += base.filter(
        level__in=SEVERE_LEVELS, log_time__gte=anchor - LINES_BEFORE, log_time__lte=anchor
    ).order_by("-log_time", "-id")[:MAX_SEVERE_BEFORE]
    rows += base.filter(
        level__in=SEVERE_LEVELS, log_time__gt=anchor, log_time__lte=anchor + LINES_AFTER
    ).order_by("log_time", "id")[:MAX_SEVERE_AFTER]
    rows += base.filter(
        level=LogLevel.INFO,
        log_time__gte=anchor - INFO_AROUND,
        log_time__lte=anchor + INFO_AROUND / 2,
    ).order_by("-log_time", "-id")[:MAX_INFO]
    return rows


def _cluster_wide_severe_rows(anchor: datetime) -> list[SystemLog]:
    """For a fault with no known host: the cluster's WARN+ lines just before it."""
    rows: list[SystemLog] = []
    for level in SEVERE_LEVELS:  # one (level, log_time) index range per level
        rows += SystemLog.objects.filter(
            level=level, log_time__gte=anchor - LINES_BEFORE / 5, log_time__lte=anchor
        ).order_by("-log_time", "-id")[:10]
    return rows


def _sort_lines(lines: list[ContextLine]) -> list[ContextLine]:
    far_future = timezone.now() + timedelta(days=3650)
    return sorted(lines, key=lambda line: (line.time or far_future, line.log_id or 0))


def _lines_for_fault(
    fault: FaultRecord,
    hosts: list[str],
    peers: list[str],
    anchors: list[datetime],
    catalogue: Catalogue,
) -> list[ContextLine]:
    sample_ids = [pk for pk in (fault.first_log_id, fault.latest_log_id) if pk]
    samples = {row.pk: row for row in SystemLog.objects.filter(pk__in=sample_ids)}
    lines = [_line_from_row(row, catalogue, "sample") for row in samples.values()]
    if not samples:  # the rows were pruned: the record keeps copies of its samples
        copies = [(fault.first_sample, fault.first_seen)]
        if fault.latest_sample != fault.first_sample:
            copies.append((fault.latest_sample, fault.last_seen))
        for text, seen in copies:
            if not text:
                continue
            events = excerpt_parse(text, max_events=1)
            level = events[0].level if events else ""
            component = events[0].component if events else ""
            lines.append(
                ContextLine(
                    log_id=None,
                    host=fault.host,
                    time=seen,
                    level=level,
                    component=component,
                    text=_cap(text),
                    types=tuple(catalogue.match(text, component=component))
                    or (fault.fault_type.code,),
                    origin="sample",
                )
            )
    seen_ids = set(samples)
    for anchor in anchors:
        # The fault's hosts are spelled as in system_logs: one index range each, read in
        # index order. Peers come from message text, short or fully qualified: matched loosely.
        if hosts:
            rows = _neighbour_rows(Q(host__in=hosts), anchor)
        else:
            rows = _cluster_wide_severe_rows(anchor)
        if peers:
            rows += _neighbour_rows(_host_q(peers), anchor)
        for row in rows:
            if row.pk not in seen_ids:
                seen_ids.add(row.pk)
                lines.append(_line_from_row(row, catalogue, "neighbour"))
    lines = _sort_lines(lines)
    if len(lines) > MAX_LINES:  # keep the samples and the lines nearest the fault
        keep = sorted(
            lines,
            key=lambda line: (
                line.origin != "sample",
                min(abs((line.time - a).total_seconds()) for a in anchors) if line.time else 1e9,
            ),
        )[:MAX_LINES]
        lines = _sort_lines(keep)
    return lines


# --- related faults -----------------------------------------------------------------------------


def _relation(
    focus: list[str], record: FaultRecord, scoped_hosts: list[str], catalogue: Catalogue
) -> str:
    code = record.fault_type.code
    on_our_hosts = not scoped_hosts or any(hosts_match(record.host, h) for h in scoped_hosts)
    for focus_code in focus:
        info = catalogue.get(focus_code)
        if info and code in info.precursors and on_our_hosts:
            return "precursor"
    consequence_of = catalogue.get(code)
    if consequence_of and any(c in consequence_of.precursors for c in focus) and on_our_hosts:
        return "consequence"
    if code in CLUSTER_UPSTREAM or not record.host:
        return "cluster"
    return "nearby"


_RELATION_ORDER = {"precursor": 0, "cluster": 1, "consequence": 2, "nearby": 3}


def _related_faults(
    *,
    focus: list[str],
    hosts: list[str],
    any_host: bool,
    windows: list[tuple[datetime, datetime]],
    exclude_id: int | None,
    catalogue: Catalogue,
) -> list[RelatedFault]:
    in_window = Q()
    for start, end in windows:
        in_window |= Q(last_seen__gte=start, first_seen__lte=end)
    where = Q(host="") | Q(fault_type__code__in=CLUSTER_UPSTREAM)
    if any_host:
        where = Q()
    elif hosts:
        where |= _host_q(hosts)
    records = (
        FaultRecord.objects.filter(in_window & where)
        .exclude(pk=exclude_id)
        .select_related("fault_type")
        .order_by("-last_seen", "-id")[: MAX_RELATED * 2]
    )
    scoped_hosts = [] if any_host else hosts
    related = [
        RelatedFault(
            fault_id=r.pk,
            code=r.fault_type.code,
            name=r.fault_type.name,
            host=r.host,
            title=r.title,
            first_seen=r.first_seen,
            last_seen=r.last_seen,
            status=r.status,
            occurrences=r.occurrences,
            relation=_relation(focus, r, scoped_hosts, catalogue),
            sample=_cap(r.latest_sample),
        )
        for r in records
    ]
    related.sort(key=lambda r: _RELATION_ORDER[r.relation])
    return related[:MAX_RELATED]


# --- cluster status -----------------------------------------------------------------------------


def _status_row(row: ClusterStatus) -> StatusRow:
    metrics = {
        name: getattr(row, name) for name in STATUS_METRIC_FIELDS if getattr(row, name) is not None
    }
    return StatusRow(
        role=row.role,
        host=row.host,
        state=row.state,
        reachable=row.reachable,
        error=row.error,
        collected_at=row.collected_at,
        metrics=metrics,
        details=row.details if isinstance(row.details, dict) else {},
        health_report=row.health_report,
    )


def cluster_view(*, hosts: list[str], now: datetime) -> ClusterView | None:
    """The latest snapshot: its cluster row, the rows of `hosts`, the master daemons' rows."""
    Role, Scope = ClusterStatus.Role, ClusterStatus.Scope
    cluster_row = (
        ClusterStatus.objects.filter(scope=Scope.CLUSTER).order_by("-collected_at", "-id").first()
    )
    nodes: list[StatusRow] = []
    if cluster_row is not None:
        wanted = Q(role__in=[Role.NAMENODE, Role.RESOURCEMANAGER])
        if hosts:
            wanted |= _host_q(hosts)
        nodes += [
            _status_row(row)
            for row in ClusterStatus.objects.filter(
                collection_id=cluster_row.collection_id, scope=Scope.NODE
            )
            .filter(wanted)
            .order_by("role", "host")[:50]
        ]
    if hosts:  # host metrics pushed by scripts come in collections of their own
        pushed = ClusterStatus.objects.filter(scope=Scope.NODE, role=Role.HOST).filter(
            _host_q(hosts)
        )
        latest_by_host: dict[str, ClusterStatus] = {}
        for row in pushed.order_by("-collected_at", "-id")[: 4 * len(hosts)]:
            latest_by_host.setdefault(row.host, row)
        known = {(row.role, row.host) for row in nodes}
        nodes += [
            _status_row(row) for row in latest_by_host.values() if (row.role, row.host) not in known
        ]
    if cluster_row is None and not nodes:
        return None
    collected_at = (
        cluster_row.collected_at if cluster_row else max(row.collected_at for row in nodes)
    )
    age = max(0, int((now - collected_at).total_seconds()))
    return ClusterView(
        collected_at=collected_at,
        age_seconds=age,
        stale=age > settings.CLUSTER_STATUS_STALE_SECONDS,
        cluster=_status_row(cluster_row) if cluster_row else None,
        nodes=nodes,
        limits=thresholds_current(),
    )


def primary_codes(focus: list[str], catalogue: Catalogue) -> list[str]:
    """The shown types that are not precursors of another shown type (those explain it)."""
    explained = set()
    for code in focus:
        info = catalogue.get(code)
        if info:
            explained |= {other for other in focus if other != code and other in info.precursors}
    return [code for code in focus if code not in explained] or list(focus)


# --- the two entry points -----------------------------------------------------------------------


def _windows(anchors: list[datetime]) -> list[tuple[datetime, datetime]]:
    return [(a - RELATED_BEFORE, a + RELATED_AFTER) for a in anchors]


def context_for_fault(
    *, fault: FaultRecord, catalogue: Catalogue | None = None, now: datetime | None = None
) -> DiagnosisContext:
    catalogue = catalogue or catalogue_load()
    now = now or timezone.now()
    code = fault.fault_type.code
    hosts = [fault.host] if fault.host else []
    if not hosts:  # a cluster-wide fault: the hosts its sample lines came from
        sample_ids = [pk for pk in (fault.first_log_id, fault.latest_log_id) if pk]
        rows = SystemLog.objects.filter(pk__in=sample_ids).values_list("host", flat=True)
        hosts = sorted(set(rows))
    peers = peers_resolve(
        hosts_named_in(
            "\n".join((fault.first_sample, fault.latest_sample, fault.message)), exclude=hosts
        )[:MAX_PEERS]
    )
    anchors = [fault.first_seen]
    if fault.last_seen - fault.first_seen > timedelta(minutes=1):
        anchors.append(fault.last_seen)
    context = DiagnosisContext(
        kind="fault",
        catalogue=catalogue,
        focus=[code],
        host=fault.host,
        hosts=hosts,
        peers=peers,
        start=fault.first_seen,
        end=fault.last_seen,
        now=now,
        fault=fault,
        title=fault.title,
    )
    context.lines = _lines_for_fault(fault, hosts, peers[:2], anchors, catalogue)
    context.related = _related_faults(
        focus=[code],
        hosts=hosts + peers,
        any_host=not fault.host,
        windows=_windows(anchors),
        exclude_id=fault.pk,
        catalogue=catalogue,
    )
    context.cluster = cluster_view(hosts=hosts + peers, now=now)
    return context


def context_for_excerpt(
    *,
    log_text: str,
    host: str = "",
    catalogue: Catalogue | None = None,
    now: datetime | None = None,
) -> DiagnosisContext:
    catalogue = catalogue or catalogue_load()
    now = now or timezone.now()
    lines = []
    for event in excerpt_parse(log_text):
        text = event.text
        lines.append(
            ContextLine(
                log_id=None,
                host=host,
                time=event.time,
                level=event.level,
                component=event.component,
                text=_cap(text),
                types=tuple(catalogue.match(text, component=event.component, level=event.level)),
                origin="excerpt",
            )
        )
    focus: list[str] = []
    for line in lines:
        focus += [code for code in line.types if code not in focus]
    # The excerpt's moment is that of what it is about, not of the precursors before it.
    primary = primary_codes(focus, catalogue)
    times = [line.time for line in lines if line.time and set(line.types) & set(primary)]
    times = times or [line.time for line in lines if line.time]
    start, end = (min(times), max(times)) if times else (None, None)
    hosts = [host] if host else []
    peers = peers_resolve(hosts_named_in(log_text, exclude=hosts)[:MAX_PEERS])
    context = DiagnosisContext(
        kind="log_text",
        catalogue=catalogue,
        focus=focus,
        host=host,
        hosts=hosts,
        peers=peers,
        start=start,
        end=end,
        now=now,
        lines=lines,
        title=_excerpt_title(focus, catalogue, lines),
    )
    windows = _windows([start, end]) if start else [(now - EXCERPT_DEFAULT_WINDOW, now)]
    if hosts or peers:
        context.related = _related_faults(
            focus=focus,
            hosts=hosts + peers,
            any_host=False,
            windows=windows,
            exclude_id=None,
            catalogue=catalogue,
        )
    context.cluster = cluster_view(hosts=hosts + peers, now=now)
    return context


def _excerpt_title(focus: list[str], catalogue: Catalogue, lines: list[ContextLine]) -> str:
    if focus:
        return ", ".join(catalogue.types[code].name for code in focus[:3])
    if not lines:
        return "Log excerpt"
    first = next((line for line in lines if line.level in ("ERROR", "FATAL")), lines[0])
    return _cap(first.text.splitlines()[0], 200)
