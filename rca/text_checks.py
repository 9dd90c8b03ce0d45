"""Facts read from the fault's own lines that narrow down its cause.

Hadoop's messages carry figures and hints the catalogue's general text cannot: "No GCs
detected" puts a pause on the host, not the heap; "0.0.0.0:8032" means the client has no
ResourceManager address; "running 0 datanode(s)" versus "all excluded" separates a dead HDFS
from a network problem (docs/sources.md §5).
"""

import re
from collections.abc import Callable

from rca.context import ContextLine
from rca.findings import CONFIRMS, CONTEXT, CauseHint, Finding

_PAUSE = re.compile(r"pause of approximately (\d+)ms")
_GC_POOL = re.compile(r"GC pool '([^']+)' had collection\(s\): count=(\d+) time=(\d+)ms")
_DATANODES = re.compile(
    r"There are (\d+) datanode\(s\) running and (\d+) node\(s\) are excluded in this operation"
)
_USAGE = re.compile(
    r"Current usage: ([\d.]+ [KMGT]?B) of ([\d.]+ [KMGT]?B) physical memory used; "
    r"([\d.]+ [KMGT]?B) of ([\d.]+ [KMGT]?B) virtual memory used"
)
_VOLUMES = re.compile(r"volumes failed: (\d+), volume failures tolerated: (\d+)")
_UNSET_ADDRESS = re.compile(r"0\.0\.0\.0(?:/0\.0\.0\.0)?:(\d+)")
_TARGET = re.compile(r"\bto ([\w.-]+):(\d+) failed on")
_PORTS = {
    "8020": "NameNode",
    "9000": "NameNode",
    "8032": "ResourceManager",
    "8030": "ResourceManager scheduler",
    "8031": "ResourceManager tracker",
    "2181": "ZooKeeper",
    "8485": "JournalNode",
}

TextCheck = Callable[[ContextLine], list[Finding]]


def _source(line: ContextLine) -> str:
    return f"log line on {line.host}" if line.host else "log line"


def text_jvm_long_pause(line):
    found = []
    if match := _PAUSE.search(line.text):
        found.append(
            Finding(
                "pause (ms)",
                int(match[1]),
                "> 10000 (WARN)",
                CONFIRMS,
                _source(line),
                "pause measured by JvmPauseMonitor",
                line=line,
            )
        )
    if "No GCs detected" in line.text:
        found.append(
            Finding(
                "GCs during the pause",
                0,
                "",
                CONTEXT,
                _source(line),
                "No GCs detected",
                line=line,
                cause=CauseHint(
                    "host_stall",
                    "The host stalled, not the JVM's garbage collector",
                    "JvmPauseMonitor saw the pause with no garbage collection in it: the whole "
                    "host stopped (swapping, CPU steal, a frozen VM).",
                    0.75,
                    "Check the host: swap use (vmstat 1, free -m), CPU steal (top, %st), "
                    "hypervisor events; disable swap for Hadoop hosts.",
                ),
            )
        )
    elif match := _GC_POOL.search(line.text):
        found.append(
            Finding(
                f"GC time in pool {match[1]} (ms)",
                int(match[3]),
                "",
                CONFIRMS,
                _source(line),
                f"{match[2]} collection(s) during the pause",
                line=line,
                cause=CauseHint(
                    "long_gc",
                    "A long garbage collection",
                    f"The pause was spent in the '{match[1]}' collector ({match[3]} ms): the heap "
                    "is under pressure or the GC settings do not fit its size.",
                    0.7,
                    "Read the daemon's GC log; raise the heap or move to G1 with a pause target "
                    "(-XX:+UseG1GC -XX:MaxGCPauseMillis=200); reduce its load.",
                ),
            )
        )
    return found


def text_jvm_out_of_memory(line):
    text = line.text
    if "unable to create new native thread" in text:
        hint = CauseHint(
            "nproc_limit",
            "The process/thread limit (nproc) was reached, not the heap",
            "The JVM could not start a thread: the user's process limit or the host's memory "
            "for thread stacks is exhausted.",
            0.8,
            "Raise nproc for the daemon user (LimitNPROC / limits.d) and look for a thread "
            "leak (jstack <pid> | grep -c '^\"').",
        )
    elif "Metaspace" in text:
        hint = CauseHint(
            "metaspace",
            "Metaspace exhausted",
            "Class metadata filled -XX:MaxMetaspaceSize.",
            0.7,
            "Raise -XX:MaxMetaspaceSize or find the class-loader leak.",
        )
    elif "Java heap space" in text or "GC overhead limit exceeded" in text:
        hint = CauseHint(
            "heap_too_small",
            "The heap is too small for the work",
            "The JVM ran out of heap (or spent almost all its time collecting it).",
            0.65,
            "Daemon: raise -Xmx (hadoop-env.sh / yarn-env.sh); task: raise "
            "mapreduce.{map,reduce}.java.opts together with the container size.",
        )
    else:
        return []
    return [
        Finding(
            "OutOfMemoryError",
            hint.title,
            "",
            CONFIRMS,
            _source(line),
            "the kind of memory exhausted",
            cause=hint,
            line=line,
        )
    ]


def text_hdfs_write_no_datanodes(line):
    match = _DATANODES.search(line.text)
    if not match:
        return []
    running, excluded = int(match[1]), int(match[2])
    found = [
        Finding(
            "datanodes running (message)",
            running,
            "> 0",
            CONFIRMS if running == 0 else CONTEXT,
            _source(line),
            f"{excluded} excluded in this operation",
            line=line,
        )
    ]
    if running == 0:
        found[0] = Finding(
            found[0].name,
            running,
            "> 0",
            CONFIRMS,
            _source(line),
            found[0].note,
            line=line,
            cause=CauseHint(
                "no_live_datanodes",
                "No live DataNode",
                "The NameNode reported 0 DataNodes running.",
                0.85,
                "Start the DataNodes and check why they stopped (their logs).",
            ),
        )
    elif excluded >= running:
        found.append(
            Finding(
                "datanodes excluded (message)",
                excluded,
                f"< {running}",
                CONFIRMS,
                _source(line),
                "every running DataNode was excluded by the writer",
                line=line,
                cause=CauseHint(
                    "datanodes_unreachable",
                    "The client cannot reach the DataNodes' transfer port, so all are excluded",
                    f"All {running} running DataNode(s) were excluded by the writer: it could not "
                    "connect to them.",
                    0.75,
                    "From the client host test the DataNode data port (nc -zv <datanode> 9866); "
                    "set dfs.client.use.datanode.hostname=true for NATed clients.",
                ),
            )
        )
    return found


def _container_memory(line, kind: str):
    match = _USAGE.search(line.text)
    if not match:
        return []
    used, limit = (match[1], match[2]) if kind == "physical" else (match[3], match[4])
    return [
        Finding(
            f"container {kind} memory",
            used,
            f"<= {limit}",
            CONFIRMS,
            _source(line),
            f"{used} used of {limit} allowed",
            line=line,
        )
    ]


def text_container_killed_pmem(line):
    return _container_memory(line, "physical")


def text_container_killed_vmem(line):
    return _container_memory(line, "virtual")


def text_datanode_volume_failure(line):
    match = _VOLUMES.search(line.text)
    if not match:
        return []
    return [
        Finding(
            "volumes failed (message)",
            int(match[1]),
            f"<= {match[2]} tolerated",
            CONFIRMS,
            _source(line),
            "dfs.datanode.failed.volumes.tolerated exceeded",
            line=line,
        )
    ]


def text_rpc_connection_refused(line):
    found = []
    if match := _UNSET_ADDRESS.search(line.text):
        daemon = _PORTS.get(match[1], f"port {match[1]}")
        found.append(
            Finding(
                "target address",
                match[0],
                "a real host",
                CONFIRMS,
                _source(line),
                "the client dials 0.0.0.0",
                line=line,
                cause=CauseHint(
                    "address_unset",
                    f"The client has no {daemon} address configured",
                    f"It connects to {match[0]}, the default of an unset address.",
                    0.85,
                    "Set the address in the client's configuration (yarn.resourcemanager.hostname "
                    "or fs.defaultFS) and redeploy the client configs.",
                ),
            )
        )
    elif match := _TARGET.search(line.text):
        host, port = match[1], match[2]
        daemon = _PORTS.get(port, f"service on port {port}")
        if host in ("localhost", "127.0.0.1"):
            found.append(
                Finding(
                    "target address",
                    f"{host}:{port}",
                    "not loopback",
                    CONFIRMS,
                    _source(line),
                    "the client dials the loopback interface",
                    line=line,
                    cause=CauseHint(
                        "loopback_address",
                        "The address resolves to 127.0.0.1",
                        f"The client connects to {host}:{port}: the configured name resolves to "
                        "the loopback interface (a common /etc/hosts mistake).",
                        0.75,
                        "Fix /etc/hosts so the host's name maps to its real address; check "
                        "getent hosts <name> on both ends.",
                    ),
                )
            )
        else:
            found.append(
                Finding(
                    "target",
                    f"{host}:{port}",
                    "",
                    CONTEXT,
                    _source(line),
                    f"the {daemon} the client could not reach",
                    line=line,
                )
            )
    return found


TEXT_CHECKS: dict[str, TextCheck] = {
    name.removeprefix("text_"): function
    for name, function in list(globals().items())
    if name.startswith("text_") and callable(function)
}


def text_findings(lines: list[ContextLine], code: str, *, limit: int = 3) -> list[Finding]:
    """Findings from up to `limit` lines showing `code` (nearest to the fault first)."""
    check = TEXT_CHECKS.get(code)
    if check is None:
        return []
    found: list[Finding] = []
    for line in [line for line in lines if code in line.types][:limit]:
        found += check(line)
    return found
