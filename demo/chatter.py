"""Everyday log traffic of each daemon: the INFO bulk, some DEBUG/TRACE, the usual WARNs.

Each generator returns (level, component, message[, thread]) for one line; `background_lines`
spreads them over the week, following the cluster's load and the daemons that are running.
"""

import heapq
import random
from collections.abc import Callable, Iterator

from demo import scenario
from demo.lines import Ids, Line
from demo.topology import (
    BLOCK_POOL,
    CLUSTER_ID,
    EDGE_IPS,
    HOSTS,
    NAMESERVICE,
    NAMESPACE_ID,
    QUEUES,
    USERS,
    WORKERS,
    Host,
    host,
)

Generator = Callable[[random.Random, Ids, Host], tuple]


def _worker_ip(rng: random.Random, exclude: Host | None = None) -> str:
    return rng.choice([w.ip for w in WORKERS if w is not exclude])


def _path(rng: random.Random) -> str:
    user = rng.choice(USERS)
    kind = rng.choice(["events", "sessions", "clicks", "orders", "tmp"])
    return f"/user/{user}/{kind}/dt=2026-11-{rng.randint(1, 28):02d}/part-{rng.randint(0, 399):05d}"


def _container(ids: Ids, hours: float) -> str:
    return ids.container(ids.app(hours))


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# --- NameNode ----------------------------------------------------------------------------------

ST = "org.apache.hadoop.hdfs.StateChange"
NN_PKG = "org.apache.hadoop.hdfs.server.namenode"
BM = "org.apache.hadoop.hdfs.server.blockmanagement"


def nn_allocate(rng, ids, me, hours):
    replicas = ", ".join(f"{ip}:9866" for ip in rng.sample([w.ip for w in WORKERS], 3))
    return (
        "INFO",
        ST,
        f"BLOCK* allocate {ids.next_block(hours)}, replicas={replicas} for {_path(rng)}",
    )


def nn_complete(rng, ids, me, hours):
    return "INFO", ST, f"DIR* completeFile: {_path(rng)} is closed by {ids.client_id()}"


def nn_editlog(rng, ids, me, hours):
    n = rng.randint(40, 900)
    return (
        "INFO",
        f"{NN_PKG}.FSEditLog",
        f"Number of transactions: {n} Total time for transactions(ms): {rng.randint(3, 60)} "
        f"Number of transactions batched in Syncs: {n // 3} Number of syncs: {n - n // 3} "
        f"SyncTimes(ms): {rng.randint(40, 900)} {rng.randint(20, 400)} ",
    )


def nn_block_report(rng, ids, me, hours):
    dn = rng.choice(WORKERS)
    return (
        "INFO",
        f"{BM}.BlockManager",
        f"BLOCK* processReport 0x{rng.getrandbits(60):x}: from storage DS-{_uuid(rng)} node "
        f"DatanodeRegistration({dn.ip}:9866, datanodeUuid={_uuid(rng)}, infoPort=9864, "
        f"infoSecurePort=0, ipcPort=9867, storageInfo=lv=-57;cid={CLUSTER_ID};"
        f"nsid={NAMESPACE_ID};c=1700000000000), blocks: {rng.randint(58_000, 64_000)}, "
        f"hasStaleStorage: false, processing time: {rng.randint(8, 60)} msecs, "
        "invalidatedBlocks: 0",
    )


def nn_placement_warn(rng, ids, me, hours):
    return (
        "WARN",
        f"{BM}.BlockPlacementPolicy",
        "Failed to place enough replicas, still in need of 1 to reach 3 (unavailableStorages=[], "
        "storagePolicy=BlockStoragePolicy{HOT:7, storageTypes=[DISK], creationFallbacks=[], "
        "replicationFallbacks=[ARCHIVE]}, newBlock=true) For more information, please enable "
        f"DEBUG log level on {BM}.BlockPlacementPolicy and "
        "org.apache.hadoop.net.NetworkTopology",
    )


def nn_ipc_not_found(rng, ids, me, hours):
    return (
        "INFO",
        "org.apache.hadoop.ipc.Server",
        f"IPC Server handler {rng.randint(0, 99)} on default port 8020, call "
        f"Call#{rng.randint(1000, 99999)} Retry#0 "
        "org.apache.hadoop.hdfs.protocol.ClientProtocol.getFileInfo from "
        f"{rng.choice(EDGE_IPS)}:{rng.randint(30000, 60000)}: "
        f"java.io.FileNotFoundException: File does not exist: {_path(rng)}",
    )


def nn_audit(rng, ids, me, hours):
    cmd = rng.choice(["open", "open", "getfileinfo", "listStatus", "create", "rename", "delete"])
    src = _path(rng)
    dst = f"{src}.done" if cmd == "rename" else "null"
    perm = f"{rng.choice(USERS)}:hadoop:rw-r--r--" if cmd in ("create", "rename") else "null"
    return (
        "INFO",
        "FSNamesystem.audit",
        f"allowed=true\tugi={rng.choice(USERS)} (auth:SIMPLE)\tip=/{rng.choice(EDGE_IPS)}\t"
        f"cmd={cmd}\tsrc={src}\tdst={dst}\tperm={perm}\tproto=rpc",
    )


def nn_standby_tail(rng, ids, me, hours):
    return "INFO", f"{NN_PKG}.ha.EditLogTailer", "Triggering log roll on remote NameNode"


def nn_standby_load(rng, ids, me, hours):
    n = rng.randint(2000, 9000)
    return (
        "INFO",
        f"{NN_PKG}.FSImage",
        f"Edits file http://nn01.hdp.example:8480/getJournal?jid={NAMESERVICE}"
        f"&segmentTxId={ids.txid_at(hours) - n}&storageInfo=-66%3A{NAMESPACE_ID}%3A1700000000000%3A"
        f"{CLUSTER_ID}&inProgressOk=true of size {n * 160} edits # {n} loaded in 0 seconds",
    )


def nn_standby_checkpoint(rng, ids, me, hours):
    return (
        "INFO",
        f"{NN_PKG}.ha.StandbyCheckpointer",
        "Triggering checkpoint because it has been 3604 seconds since the last checkpoint, "
        "which exceeds the configured interval 3600",
    )


def nn_standby_debug(rng, ids, me, hours):
    return (
        "DEBUG",
        f"{NN_PKG}.ha.EditLogTailer",
        f"lastTxnId: {ids.txid_at(hours)} lastLoadTimeMs: {rng.randint(0, 5000)}",
    )


# --- DataNode ----------------------------------------------------------------------------------

DN = "org.apache.hadoop.hdfs.server.datanode"


def dn_receiving(rng, ids, me, hours):
    return (
        "INFO",
        f"{DN}.DataNode",
        f"Receiving {BLOCK_POOL}:{ids.next_block(hours)} "
        f"src: /{_worker_ip(rng, me)}:{rng.randint(30000, 60000)} dest: /{me.ip}:9866",
    )


def dn_clienttrace(rng, ids, me, hours):
    size = rng.choice([134217728, 134217728, rng.randint(1_000_000, 134217728)])
    return (
        "INFO",
        f"{DN}.DataNode.clienttrace",
        f"src: /{me.ip}:9866, dest: /{_worker_ip(rng)}:{rng.randint(30000, 60000)}, "
        f"bytes: {size}, op: HDFS_READ, cliID: {ids.client_id()}, offset: 0, "
        f"srvID: {_uuid(rng)}, blockid: {BLOCK_POOL}:{ids.pooled_block(hours)}, "
        f"duration(ns): {rng.randint(20_000_000, 2_000_000_000)}",
    )


def dn_responder(rng, ids, me, hours):
    return (
        "INFO",
        f"{DN}.DataNode",
        f"PacketResponder: {BLOCK_POOL}:{ids.pooled_block(hours)}, "
        "type=LAST_IN_PIPELINE terminating",
    )


def dn_deleted(rng, ids, me, hours):
    block = ids.pooled_block(hours)
    disk = rng.randint(1, me.volumes)
    number = block.split("_")[1]
    return (
        "INFO",
        f"{DN}.fsdataset.impl.FsDatasetAsyncDiskService",
        f"Deleted {BLOCK_POOL} {block} URI file:/data/{disk}/dfs/dn/current/{BLOCK_POOL}/"
        f"current/finalized/subdir{rng.randint(0, 31)}/subdir{rng.randint(0, 31)}/blk_{number}",
    )


def dn_slow_write(rng, ids, me, hours):
    return (
        "WARN",
        f"{DN}.DataNode",
        f"Slow BlockReceiver write data to disk cost:{rng.randint(310, 2400)}ms "
        f"(threshold=300ms), volume=/data/{rng.randint(1, me.volumes)}/dfs/dn, "
        f"blockId={ids.block_at(hours) - rng.randint(0, 50)}",
    )


def dn_scanner(rng, ids, me, hours):
    return (
        "INFO",
        f"{DN}.VolumeScanner",
        f"VolumeScanner(/data/{rng.randint(1, me.volumes)}/dfs/dn, DS-{_uuid(rng)}): "
        f"finished scanning block pool {BLOCK_POOL}",
    )


def dn_heartbeat_debug(rng, ids, me, hours):
    active = host(scenario.active_namenode(hours))
    return (
        "DEBUG",
        f"{DN}.DataNode",
        f"Sending heartbeat with {me.volumes} storage reports from service actor: Block pool "
        f"{BLOCK_POOL} (Datanode Uuid {_uuid(rng)}) service to {active.name}/{active.ip}:8020",
    )


def dn_rpc_trace(rng, ids, me, hours):
    active = host(scenario.active_namenode(hours))
    return (
        "TRACE",
        "org.apache.hadoop.ipc.ProtobufRpcEngine2",
        f"{rng.randint(1, 400)}: Call -> {active.name}/{active.ip}:8020: sendHeartbeat "
        f'{{registration {{ datanodeID {{ ipAddr: "{me.ip}" hostName: "{me.name}" }} }} '
        f"xmitsInProgress: 0 xceiverCount: {rng.randint(3, 60)} failedVolumes: 0 }}",
    )


# --- YARN --------------------------------------------------------------------------------------

NM = "org.apache.hadoop.yarn.server.nodemanager"
RM = "org.apache.hadoop.yarn.server.resourcemanager"
CONTAINER_STATES = [
    ("NEW", "LOCALIZING"),
    ("LOCALIZING", "SCHEDULED"),
    ("SCHEDULED", "RUNNING"),
    ("RUNNING", "EXITED_WITH_SUCCESS"),
    ("EXITED_WITH_SUCCESS", "DONE"),
]


def nm_transition(rng, ids, me, hours):
    before, after = rng.choice(CONTAINER_STATES)
    return (
        "INFO",
        f"{NM}.containermanager.container.ContainerImpl",
        f"Container {_container(ids, hours)} transitioned from {before} to {after}",
    )


def nm_memory(rng, ids, me, hours):
    return (
        "INFO",
        f"{NM}.containermanager.monitor.ContainersMonitorImpl",
        f"Memory usage of ProcessTree {rng.randint(2000, 60000)} for container-id "
        f"{_container(ids, hours)}: {rng.randint(300, 1900)}.{rng.randint(0, 9)} MB of 2 GB "
        f"physical memory used; {rng.randint(2, 3)}.{rng.randint(0, 9)} GB of 4.2 GB "
        "virtual memory used",
    )


def nm_start(rng, ids, me, hours):
    return (
        "INFO",
        f"{NM}.containermanager.ContainerManagerImpl",
        f"Start request for {_container(ids, hours)} by user {rng.choice(USERS)}",
    )


def nm_audit(rng, ids, me, hours):
    app = ids.app(hours)
    return (
        "INFO",
        f"{NM}.NMAuditLogger",
        f"USER={rng.choice(USERS)}\tIP=10.20.1.3\tOPERATION=Start Container Request\t"
        f"TARGET=ContainerManageImpl\tRESULT=SUCCESS\tAPPID={app}\t"
        f"CONTAINERID={ids.container(app)}",
    )


def nm_aggregate(rng, ids, me, hours):
    return (
        "INFO",
        f"{NM}.containermanager.logaggregation.AppLogAggregatorImpl",
        f"Uploading logs for container {_container(ids, hours)}. "
        "Current good log dirs are /data/yarn/log",
    )


def nm_exit_143(rng, ids, me, hours):
    return (
        "WARN",
        f"{NM}.LinuxContainerExecutor",
        f"Exit code from container {_container(ids, hours)} is : 143",
    )


def rm_new_app(rng, ids, me, hours):
    ids.new_app(hours)
    return "INFO", f"{RM}.ClientRMService", f"Allocated new applicationId: {ids.app_seq}"


def rm_audit(rng, ids, me, hours):
    return (
        "INFO",
        f"{RM}.RMAuditLogger",
        f"USER={rng.choice(USERS)}\tIP={rng.choice(EDGE_IPS)}\t"
        "OPERATION=Submit Application Request\tTARGET=ClientRMService\tRESULT=SUCCESS\t"
        f"APPID={ids.app(hours)}\tQUEUENAME={rng.choice(QUEUES)}",
    )


APP_STATES = [
    ("NEW_SAVING", "SUBMITTED", "APP_NEW_SAVED"),
    ("SUBMITTED", "ACCEPTED", "APP_ACCEPTED"),
    ("ACCEPTED", "RUNNING", "ATTEMPT_REGISTERED"),
    ("RUNNING", "FINAL_SAVING", "ATTEMPT_UNREGISTERED"),
    ("FINISHING", "FINISHED", "ATTEMPT_FINISHED"),
]


def rm_app_state(rng, ids, me, hours):
    before, after, event = rng.choice(APP_STATES)
    return (
        "INFO",
        f"{RM}.rmapp.RMAppImpl",
        f"{ids.app(hours)} State change from {before} to {after} on event = {event}",
    )


def rm_container(rng, ids, me, hours):
    before, after = rng.choice(
        [("NEW", "ALLOCATED"), ("ALLOCATED", "ACQUIRED"), ("ACQUIRED", "RUNNING")]
        + [("RUNNING", "COMPLETED")]
    )
    return (
        "INFO",
        f"{RM}.rmcontainer.RMContainerImpl",
        f"{_container(ids, hours)} Container Transitioned from {before} to {after}",
    )


def rm_assigned(rng, ids, me, hours):
    worker = rng.choice(WORKERS)
    used = rng.randint(8, 90) * 1024
    return (
        "INFO",
        f"{RM}.scheduler.SchedulerNode",
        f"Assigned container {_container(ids, hours)} of capacity <memory:2048, vCores:1> "
        f"on host {worker.name}:8041, which has {used // 2048} containers, <memory:{used}, "
        f"vCores:{used // 2048}> used and <memory:{98304 - used}, "
        f"vCores:{32 - used // 2048}> available after allocation",
    )


def rm_summary(rng, ids, me, hours):
    app = ids.app(hours)
    user = rng.choice(USERS)
    finish = rng.random()
    status = "SUCCEEDED" if finish > 0.04 else ("FAILED" if finish > 0.015 else "KILLED")
    state = {"SUCCEEDED": "FINISHED", "FAILED": "FAILED", "KILLED": "KILLED"}[status]
    return (
        "INFO",
        f"{RM}.RMAppManager$ApplicationSummary",
        f"appId={app},name={user}_{rng.choice(['sessions', 'orders', 'clicks'])}_daily,"
        f"user={user},queue={rng.choice(QUEUES)},state={state},"
        f"trackingUrl=http://rm01.hdp.example:8088/proxy/{app}/,"
        f"appMasterHost={rng.choice(WORKERS).name},finalStatus={status},"
        f"memorySeconds={rng.randint(10**5, 10**8)},vcoreSeconds={rng.randint(10**2, 10**5)},"
        "preemptedMemorySeconds=0,preemptedVcoreSeconds=0,applicationType=MAPREDUCE",
    )


# --- MapReduce task containers (the [thread] layout) -------------------------------------------

MR = "org.apache.hadoop.mapred"


def task_split(rng, ids, me, hours):
    return (
        "INFO",
        f"{MR}.MapTask",
        f"Processing split: hdfs://{NAMESERVICE}{_path(rng)}.parquet:0+134217728",
        "main",
    )


def task_spill(rng, ids, me, hours):
    return "INFO", f"{MR}.MapTask", f"Finished spill {rng.randint(0, 6)}", "main"


def task_done(rng, ids, me, hours):
    attempt = ids.attempt(ids.app(hours))
    return (
        "INFO",
        f"{MR}.Task",
        f"Task:{attempt} is done. And is in the process of committing",
        "main",
    )


def task_fetch(rng, ids, me, hours):
    n = rng.randint(1, 5)
    size = rng.randint(100_000, 9_000_000)
    return (
        "INFO",
        "org.apache.hadoop.mapreduce.task.reduce.Fetcher",
        f"fetcher#{n} about to shuffle output of map {ids.attempt(ids.app(hours))} "
        f"decomp: {size} len: {size + 4} to MEMORY",
        f"fetcher#{n}",
    )


def task_metrics_warn(rng, ids, me, hours):
    return (
        "WARN",
        "org.apache.hadoop.metrics2.impl.MetricsConfig",
        "Cannot locate configuration: tried "
        "hadoop-metrics2-maptask.properties,hadoop-metrics2.properties",
        "main",
    )


def task_deprecation(rng, ids, me, hours):
    return (
        "INFO",
        "org.apache.hadoop.conf.Configuration.deprecation",
        "mapred.job.id is deprecated. Instead, use mapreduce.job.id",
        "main",
    )


def am_attempt(rng, ids, me, hours):
    return (
        "INFO",
        "org.apache.hadoop.mapreduce.v2.app.job.impl.TaskAttemptImpl",
        f"{ids.attempt(ids.app(hours))} TaskAttempt Transitioned from RUNNING to "
        "SUCCESS_FINISHING_CONTAINER",
        "AsyncDispatcher event handler",
    )


def am_allocator(rng, ids, me, hours):
    maps = rng.randint(0, 60)
    return (
        "INFO",
        "org.apache.hadoop.mapreduce.v2.app.rm.RMContainerAllocator",
        f"After Scheduling: PendingReds:0 ScheduledMaps:{maps} ScheduledReds:0 "
        f"AssignedMaps:{rng.randint(4, 48)} AssignedReds:0 CompletedMaps:{rng.randint(0, 400)} "
        f"CompletedReds:0 ContAlloc:{rng.randint(10, 500)} ContRel:0 "
        f"HostLocal:{rng.randint(5, 400)} RackLocal:{rng.randint(0, 40)}",
        "RMCommunicator Allocator",
    )


# daemon -> (lines per hour at normal load, [(weight, generator)])
NAMENODE_ACTIVE = [
    (5, nn_allocate),
    (3, nn_complete),
    (1, nn_editlog),
    (0.6, nn_block_report),
    (0.05, nn_placement_warn),
    (0.4, nn_ipc_not_found),
]
NAMENODE_STANDBY = [
    (2, nn_standby_tail),
    (2, nn_standby_load),
    (0.3, nn_standby_checkpoint),
    (0.6, nn_standby_debug),
]
DATANODE = [
    (4, dn_receiving),
    (4, dn_clienttrace),
    (3, dn_responder),
    (1.5, dn_deleted),
    (0.12, dn_slow_write),
    (0.2, dn_scanner),
]
DATANODE_DEBUG = [(3, dn_heartbeat_debug), (1, dn_rpc_trace)]  # dn09 runs with DEBUG on
NODEMANAGER = [
    (4, nm_transition),
    (2, nm_memory),
    (1.5, nm_start),
    (1, nm_audit),
    (1, nm_aggregate),
    (0.1, nm_exit_143),
]
RESOURCEMANAGER = [
    (1, rm_new_app),
    (1, rm_audit),
    (2, rm_app_state),
    (3, rm_container),
    (2, rm_assigned),
    (0.6, rm_summary),
]
CONTAINER = [
    (2, task_split),
    (2, task_spill),
    (1, task_done),
    (1.5, task_fetch),
    (0.6, task_metrics_warn),
    (0.4, task_deprecation),
    (1.2, am_attempt),
    (0.8, am_allocator),
]

# Lines per hour at normal load. Real daemons write far more; this keeps the demo quick.
RATES = {
    "namenode_active": 14,
    "audit": 6,
    "namenode_standby": 4,
    "datanode": 5,
    "datanode_debug": 3,
    "nodemanager": 5,
    "resourcemanager": 9,
    "container": 4,
}


def _pick(rng: random.Random, table) -> Generator:
    weights = [weight for weight, _ in table]
    return rng.choices([gen for _, gen in table], weights=weights)[0]


def _stream(week, rng, ids, me, daemon, table, rate, running) -> Iterator[Line]:
    """Lines of one daemon: Poisson arrivals scaled by the hour's load."""
    hours = rng.expovariate(rate) if rate else scenario.WEEK_HOURS
    while hours < scenario.WEEK_HOURS:
        if running(hours):
            # A container's lines all name its own application.
            ids.focus = ids.app(hours) if daemon == "container" else ""
            result = _pick(rng, table)(rng, ids, me, hours)
            level, component, message = result[:3]
            thread = result[3] if len(result) > 3 else ""
            at = week.at(hours)
            at = at.replace(microsecond=at.microsecond // 1000 * 1000)
            line = Line(at, me, daemon, level, component, message, thread=thread)
            if ids.focus:
                line.app, line.container = ids.focus, ids.container(ids.focus)
            ids.focus = ""
            yield line
        hours += rng.expovariate(rate * week.activity(hours))


def background_lines(week, rng: random.Random, ids: Ids) -> list[Line]:
    """Every daemon's lines, merged in time order so identifiers evolve like the real cluster's
    (an application appears in the ResourceManager's log before its containers do)."""
    always = lambda hours: True  # noqa: E731
    streams = []

    def add(me, daemon, table, rate, running):
        streams.append(_stream(week, rng, ids, me, daemon, table, rate, running))

    for me in HOSTS:
        if "namenode" in me.roles:

            def is_active(hours, short=me.short):
                up = scenario.namenode_up(short, hours)
                return up and scenario.active_namenode(hours) == short

            def is_standby(hours, short=me.short):
                up = scenario.namenode_up(short, hours)
                return up and scenario.active_namenode(hours) != short

            add(me, "namenode", NAMENODE_ACTIVE, RATES["namenode_active"], is_active)
            add(me, "audit", [(1, nn_audit)], RATES["audit"], is_active)
            add(me, "namenode", NAMENODE_STANDBY, RATES["namenode_standby"], is_standby)
        if "resourcemanager" in me.roles:
            add(me, "resourcemanager", RESOURCEMANAGER, RATES["resourcemanager"], always)
        if me.is_worker:

            def dn_running(hours, short=me.short):
                return scenario.datanode_running(short, hours)

            add(me, "datanode", DATANODE, RATES["datanode"], dn_running)
            if me.short == "dn09":
                add(me, "datanode", DATANODE_DEBUG, RATES["datanode_debug"], dn_running)
            add(me, "nodemanager", NODEMANAGER, RATES["nodemanager"], always)
            add(me, "container", CONTAINER, RATES["container"], always)
    return list(heapq.merge(*streams, key=lambda line: line.at))
