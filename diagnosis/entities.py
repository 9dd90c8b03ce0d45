"""What a log line is about: peers, DataNodes, ids, paths and exception classes.

Detection keeps these on the fault record (`FaultRecord.entities`) so incidents can tell which
remote host several faults point at, titles can name the peer, and a diagnosis can give steps
concrete to the line (`nc -zv master1 9000`). The text shapes are Hadoop's own (docs/hadoop-
messages.md): NetUtils.wrapException names the peer as `to <host>:<port>` or `destination host
is: "<host>":<port>`, ipc.Client prints servers as `host/ip:port` ("Retrying connect to server:
master1/10.0.0.1:8020."), the DataStreamer names DataNodes as `DatanodeInfoWithStorage[ip:port,
DS-…,DISK]`, the NameNode as `lost heartbeat from ip:port`.

Roles come from the port: Hadoop's well-known defaults (docs/hadoop-messages.md, "Ports"), then
the ports this cluster configures (settings.HADOOP_PORT_ROLES). An endpoint on a port with no role
(a client's ephemeral port) is kept as an address but names no peer.

Log text is hostile: only the first MAX_SCAN_CHARS are read, every expression is linear, and every
list is capped.
"""

import re
from dataclasses import dataclass, field

from django.conf import settings

MAX_SCAN_CHARS = 16_384
MAX_PER_KIND = 8

# Hadoop 3 defaults, with the Hadoop 2 port where it differs (docs/hadoop-messages.md, "Ports").
WELL_KNOWN_PORTS: dict[int, str] = {
    8020: "NameNode RPC",
    9000: "NameNode RPC",
    8022: "NameNode service RPC",
    9870: "NameNode HTTP",
    50070: "NameNode HTTP",
    8485: "JournalNode RPC",
    8480: "JournalNode HTTP",
    9866: "DataNode data transfer",
    50010: "DataNode data transfer",
    9867: "DataNode IPC",
    50020: "DataNode IPC",
    9864: "DataNode HTTP",
    50075: "DataNode HTTP",
    8019: "ZKFC RPC",
    2181: "ZooKeeper",
    8030: "RM scheduler",
    8031: "RM resource tracker",
    8032: "RM client",
    8033: "RM admin",
    8088: "RM web",
    8040: "NM localizer",
    8042: "NM web",
    13562: "MapReduce shuffle",
    10020: "JobHistory RPC",
    19888: "JobHistory web",
    10200: "Timeline server RPC",
    8188: "Timeline server web",
}

DATANODE_ROLES = frozenset({"DataNode data transfer", "DataNode IPC", "DataNode HTTP"})

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63}){0,10}"
_IP = r"\d{1,3}(?:\.\d{1,3}){3}"
# host:port, host/ip:port, /ip:port (a DataNode as the NameNode prints it), or a quoted host
# followed by :port (NetUtils: destination host is: "master1":8020).
_ENDPOINT = re.compile(
    rf"(?:(?<![\w./-])(?P<name>{_NAME})/(?P<ip>{_IP})|/(?P<ip2>{_IP})"
    rf"|(?<![\w./-])\"?(?P<host>{_NAME})\"?)"
    rf":(?P<port>\d{{2,5}})(?![\w])"
)
# The local side of a NetUtils message: "Call From worker17/10.0.0.17 to …", "No Route to Host
# from  worker17/10.0.0.17 to …", "local host is: "worker17/10.0.0.17"".
_LOCAL = re.compile(
    rf"(?:[Cc]all [Ff]rom|Host from|local host is:)\s+\"?(?P<local>{_NAME}(?:/{_IP})?)"
)
_BAD_DATANODE = re.compile(
    rf"(?:datanode \d+\((?:DatanodeInfoWithStorage\[)?|Excluding datanode "
    rf"(?:DatanodeInfoWithStorage\[)?|lost heartbeat from |Removing a node: /[\w./-]*?/|"
    rf"[Dd]ead [Dd]ata[Nn]ode:? |bad datanode )"
    rf"(?P<addr>(?:{_NAME}/)?{_IP}:\d{{2,5}}|{_NAME}:\d{{2,5}})"
)
# A node the ResourceManager gave up on: "Expired:worker17:45454 Timed out after 600 secs",
# "Deactivating Node worker17:45454 as it is now LOST".
_LOST_NODE = re.compile(rf"(?:Expired:|Deactivating Node )(?P<node>{_NAME}):\d{{2,5}}\b")
_BLOCK = re.compile(r"\bblk_-?\d{1,20}(?:_\d{1,20})?")
_CONTAINER = re.compile(r"\bcontainer_(?:e\d{1,6}_)?\d{10,16}_\d{1,10}_\d{1,6}_\d{1,12}\b")
_APPLICATION = re.compile(r"\bapplication_\d{10,16}_\d{1,10}\b")
_ATTEMPT = re.compile(
    r"\b(?:appattempt_\d{10,16}_\d{1,10}_\d{1,6}|attempt_\d{10,16}_\d{1,10}_[mr]_\d{1,8}_\d{1,6})\b"
)
_PATH = re.compile(
    r"(?<![\w:/.<>])(?:hdfs://[\w.-]+(?::\d+)?)?/(?:[\w.@+=~-]+/){1,30}[\w.@+=~-]+(?![\w.@+=~-]|:\d)"
)
_EXCEPTION = re.compile(r"\b(?:[a-z_$][\w$]{0,40}\.){1,12}[A-Z][\w$]{0,80}(?:Exception|Error)\b")


def port_roles() -> dict[int, str]:
    """Well-known ports, overridden by the cluster's own (settings.HADOOP_PORT_ROLES)."""
    configured = getattr(settings, "HADOOP_PORT_ROLES", {}) or {}
    return {**WELL_KNOWN_PORTS, **{int(port): role for port, role in configured.items()}}


@dataclass
class Entities:
    peers: list[dict] = field(default_factory=list)  # {"host", "ip", "port", "role"}
    datanodes: list[str] = field(default_factory=list)  # "ip:port" or "host:port"
    bad_datanodes: list[str] = field(default_factory=list)
    lost_nodes: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    containers: list[str] = field(default_factory=list)
    applications: list[str] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {name: value for name, value in self.__dict__.items() if value}


def _add(items: list, value) -> None:
    if value not in items and len(items) < MAX_PER_KIND:
        items.append(value)


def endpoints(text: str) -> list[tuple[int, int, dict]]:
    """Every (start, end, endpoint) in `text`; the endpoint's role is "" for unknown ports."""
    roles = port_roles()
    found = []
    for match in _ENDPOINT.finditer(text[:MAX_SCAN_CHARS]):
        port = int(match["port"])
        if port > 65535:
            continue
        ip = match["ip"] or match["ip2"] or ""
        host = match["name"] or match["host"] or ip
        if _looks_ip(host):
            ip = host
        elif not re.search(r"[A-Za-z]", host):
            continue  # "18:05" is a time of day, not an endpoint
        endpoint = {"host": host, "ip": ip, "port": port, "role": roles.get(port, "")}
        found.append((match.start(), match.end(), endpoint))
    return found


def _looks_ip(text: str) -> bool:
    return re.fullmatch(_IP, text) is not None


def extract(text: str) -> Entities:
    """The entities of one line of log text (message plus its stack trace)."""
    text = text[:MAX_SCAN_CHARS]
    entities = Entities()
    local = {m["local"].split("/", 1)[0] for m in _LOCAL.finditer(text)}
    for start, _end, endpoint in endpoints(text):
        if endpoint["host"] in local and _preceded_by_local(text, start):
            continue
        address = f"{endpoint['ip'] or endpoint['host']}:{endpoint['port']}"
        if endpoint["role"] in DATANODE_ROLES:
            _add(entities.datanodes, address)
        if endpoint["role"]:
            same = next(
                (
                    p
                    for p in entities.peers
                    if p["port"] == endpoint["port"]
                    and (p["host"] == endpoint["host"] or (p["ip"] and p["ip"] == endpoint["ip"]))
                ),
                None,
            )
            if same is None:
                _add(entities.peers, endpoint)
            elif not same["ip"] and endpoint["ip"]:
                same["ip"] = endpoint["ip"]
            elif _looks_ip(same["host"]) and not _looks_ip(endpoint["host"]):
                same["host"] = endpoint["host"]
    for match in _BAD_DATANODE.finditer(text):
        addr = match["addr"]
        name, _, rest = addr.rpartition("/")
        _add(entities.bad_datanodes, rest if name else addr)
    for match in _LOST_NODE.finditer(text):
        if not match["node"].startswith("appattempt_"):
            _add(entities.lost_nodes, match["node"])
    for pattern, items in (
        (_BLOCK, entities.blocks),
        (_CONTAINER, entities.containers),
        (_APPLICATION, entities.applications),
        (_ATTEMPT, entities.attempts),
        (_EXCEPTION, entities.exceptions),
    ):
        for match in pattern.finditer(text):
            _add(items, match.group(0))
            if len(items) >= MAX_PER_KIND:
                break
    for match in _PATH.finditer(text):
        path = match.group(0)
        if "." in path.rsplit("/", 1)[-1] and path.endswith((".java", ".scala")):
            continue
        _add(entities.paths, path)
        if len(entities.paths) >= MAX_PER_KIND:
            break
    return entities


def _preceded_by_local(text: str, start: int) -> bool:
    """The endpoint at `start` is the local side when a "from"/"local host is" names it."""
    window = text[max(0, start - 24) : start]
    return bool(re.search(r"(?:[Ff]rom\s+|local host is:\s*\"?)$", window))


def peer_label(peer: dict) -> str:
    """ "master1:9000 (NameNode RPC)"."""
    label = f"{peer['host']}:{peer['port']}"
    return f"{label} ({peer['role']})" if peer.get("role") else label


def peer_hosts(entities: dict) -> set[str]:
    """Names and addresses of the remote hosts `entities` point at (peers with a role)."""
    hosts = set()
    for peer in entities.get("peers", ()):
        hosts.add(peer["host"])
        if peer.get("ip"):
            hosts.add(peer["ip"])
    return hosts


def datanode_hosts(entities: dict) -> set[str]:
    """The DataNodes (or NodeManagers) a line says failed; else the DataNodes it names."""
    named = [*entities.get("bad_datanodes", ()), *entities.get("lost_nodes", ())]
    if not named:
        named = list(entities.get("datanodes", ()))
    hosts = set()
    for address in named:
        hosts.add(address_host(address))
    # The peer entries carry the name for an address when the line printed both.
    for peer in entities.get("peers", ()):
        if peer.get("ip") in hosts or peer["host"] in hosts:
            hosts |= {peer["host"], peer.get("ip") or peer["host"]}
    return hosts


def address_host(address: str) -> str:
    """ "10.0.0.5:9866" → "10.0.0.5"; a name without a port is returned as it is."""
    host, sep, port = address.rpartition(":")
    return host if sep and port.isdigit() else address
