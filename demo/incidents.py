"""The week's incidents as log lines, and the faults operators made of them.

Every line that matches a fault signature of the catalogue (at or above the type's level) is
tagged with the key of the fault it belongs to; each FaultSpec says what operators did about it
and when. The lines are the evidence: faults are built from them, samples included.
"""

import random
from dataclasses import dataclass, field
from datetime import timedelta

from demo import scenario as sc
from demo.lines import Ids, Line
from demo.topology import BLOCK_POOL, CLUSTER_ID, NAMESERVICE, NAMESPACE_ID, host

DN = "org.apache.hadoop.hdfs.server.datanode"
NN = "org.apache.hadoop.hdfs.server.namenode"
NM = "org.apache.hadoop.yarn.server.nodemanager"
RM = "org.apache.hadoop.yarn.server.resourcemanager"
ST = "org.apache.hadoop.hdfs.StateChange"
PAUSE = "Detected pause in JVM or host machine (eg GC): pause of approximately {ms}ms"


@dataclass(frozen=True)
class Step:
    """Something an operator (or the system) did to a fault, `hours` into the week."""

    hours: float
    action: str  # acknowledged / resolved / ignored
    actor: str
    note: str = ""
    resolution: str = "manual"


@dataclass(frozen=True)
class FaultSpec:
    key: str
    code: str
    host: str  # "" for a cluster-wide fault
    title: str
    steps: tuple[Step, ...] = ()


@dataclass
class Story:
    week: object
    rng: random.Random
    ids: Ids
    lines: list[Line] = field(default_factory=list)
    faults: list[FaultSpec] = field(default_factory=list)
    shift: float = 0.0  # seconds added to one incident's times, so they do not fall on :00

    def log(self, hours, short, daemon, level, component, message, **extra) -> Line:
        # Up to 90 ms of jitter keeps lines written 0.1 s apart in their order.
        seconds = self.shift + self.rng.uniform(0, 0.09)
        at = self.week.at(hours) + timedelta(seconds=seconds)
        at = at.replace(microsecond=at.microsecond // 1000 * 1000)
        line = Line(at, host(short), daemon, level, component, message, **extra)
        # Nightly jobs run for hours: tonight's may still lie ahead of "now". Only what has
        # happened by the end of the week is written.
        if at <= self.week.end:
            self.lines.append(line)
        return line

    def container_log(self, hours, short, level, thread, component, message, *, app="", **extra):
        app = app or self.ids.app(hours)
        container = self.ids.container(app)
        return self.log(
            hours,
            short,
            "container",
            level,
            component,
            message,
            thread=thread,
            app=app,
            container=container,
            **extra,
        )

    def fault(self, key, code, short, title, *steps: Step) -> str:
        name = host(short).name if short else ""
        self.faults.append(FaultSpec(key, code, name, title, steps))
        return key


def _frames(*frames: str) -> str:
    return "\n".join(f if f.startswith("Caused by:") else f"\tat {f}" for f in frames)


def _trace(exception: str, *frames: str) -> str:
    """A Java stack trace as log4j prints it under the event."""
    return f"{exception}\n{_frames(*frames)}"


def _startup(story: Story, hours: float, short: str, daemon: str, what: str) -> None:
    me = host(short)
    story.log(
        hours,
        short,
        daemon,
        "INFO",
        f"{NN}.NameNode" if what == "NameNode" else f"{DN}.DataNode",
        "STARTUP_MSG: ",
        trace="/************************************************************\n"
        f"STARTUP_MSG: Starting {what}\n"
        f"STARTUP_MSG:   host = {me.name}/{me.ip}\n"
        "STARTUP_MSG:   args = []\n"
        "STARTUP_MSG:   version = 3.3.6\n"
        "STARTUP_MSG:   java = 1.8.0_392\n"
        "************************************************************/",
    )


def dn04_heap_exhaustion(story: Story) -> None:
    """dn04's DataNode heap is too small: GC pauses, then OutOfMemoryError and a dead node."""
    pause = story.fault(
        "dn04-pause",
        "jvm_long_pause",
        "dn04",
        "Long GC pauses in the DataNode on dn04",
        Step(
            24.2,
            "ignored",
            "bob",
            "Came from the undersized heap (fixed). Pauses under 15 s during nightly "
            "compaction are expected on dn04; not worth a page.",
        ),
    )
    for hours, ms in [(19.6, 10712), (19.85, 11904), (20.1, 12934), (20.3, 14110), (20.45, 17233)]:
        story.log(
            hours,
            "dn04",
            "datanode",
            "WARN",
            "org.apache.hadoop.util.JvmPauseMonitor",
            PAUSE.format(ms=ms),
            trace=f"GC pool 'G1 Old Generation' had collection(s): count=1 time={ms - 310}ms",
            fault=pause,
        )
    for hours, ms in [(70.2, 10388), (118.7, 11542)]:  # after the fix: occasional, tolerated
        story.log(
            hours,
            "dn04",
            "datanode",
            "WARN",
            "org.apache.hadoop.util.JvmPauseMonitor",
            PAUSE.format(ms=ms),
            trace=f"GC pool 'G1 Old Generation' had collection(s): count=1 time={ms - 280}ms",
            fault=pause,
        )

    resolved = (
        "DataNode heap was 4 GB for 62 M blocks; raised to 8 GB (HDFS_DATANODE_OPTS) and "
        "restarted with restart_datanode.sh. Re-replication finished at 23:40."
    )
    timeout = story.fault(
        "dn03-timeout",
        "rpc_socket_timeout",
        "dn03",
        "Socket timeouts reading from dn04 (10.20.1.14:9866)",
        Step(23.8, "resolved", "alice", "Side effect of dn04's GC pauses. " + resolved),
    )
    for hours in (20.12, 20.31, 20.46):
        block = story.ids.recent_block(hours)
        story.container_log(
            hours,
            "dn03",
            "WARN",
            f"ResponseProcessor for block {block}",
            "org.apache.hadoop.hdfs.DataStreamer",
            f"Exception for {block}",
            trace=_trace(
                "java.net.SocketTimeoutException: 65000 millis timeout while waiting for "
                "channel to be ready for read. ch : java.nio.channels.SocketChannel[connected "
                f"local=/10.20.1.13:{story.rng.randint(40000, 60000)} remote=/10.20.1.14:9866]",
                "org.apache.hadoop.net.SocketIOWithTimeout.doIO(SocketIOWithTimeout.java:163)",
                "org.apache.hadoop.net.SocketInputStream.read(SocketInputStream.java:161)",
                "org.apache.hadoop.hdfs.protocolPB.PBHelperClient.vintPrefixed"
                "(PBHelperClient.java:519)",
                "org.apache.hadoop.hdfs.DataStreamer$ResponseProcessor.run(DataStreamer.java:1137)",
            ),
            fault=timeout,
        )

    oom = story.fault(
        "dn04-oom",
        "jvm_out_of_memory",
        "dn04",
        "DataNode on dn04 ran out of heap (java.lang.OutOfMemoryError: Java heap space)",
        Step(20.9, "acknowledged", "alice", "DataNode process is gone; looking."),
        Step(23.8, "resolved", "alice", resolved),
    )
    for offset, op in [(0.0, "WRITE_BLOCK"), (0.0004, "READ_BLOCK")]:
        story.log(
            sc.DN04_DIES + offset,
            "dn04",
            "datanode",
            "ERROR",
            f"{DN}.DataNode",
            f"dn04.hdp.example:9866:DataXceiver error processing {op} operation  "
            f"src: /10.20.1.{story.rng.randint(11, 19)}:{story.rng.randint(40000, 60000)} "
            "dst: /10.20.1.14:9866",
            trace=_trace(
                "java.lang.OutOfMemoryError: Java heap space",
                "java.nio.HeapByteBuffer.<init>(HeapByteBuffer.java:57)",
                "java.nio.ByteBuffer.allocate(ByteBuffer.java:335)",
                f"{DN}.BlockReceiver.receivePacket(BlockReceiver.java:560)",
                f"{DN}.BlockReceiver.receiveBlock(BlockReceiver.java:1004)",
                f"{DN}.DataXceiver.writeBlock(DataXceiver.java:917)",
                "org.apache.hadoop.hdfs.protocol.datatransfer.Receiver.processOp(Receiver.java:103)",
                f"{DN}.DataXceiver.run(DataXceiver.java:290)",
                "java.lang.Thread.run(Thread.java:750)",
            ),
            fault=oom,
        )

    dead = story.fault(
        "dn04-dead",
        "datanode_dead",
        "nn01",
        "DataNode 10.20.1.14:9866 (dn04) lost heartbeat",
        Step(20.9, "acknowledged", "alice", "dn04's DataNode died of OutOfMemoryError."),
        Step(23.8, "resolved", "alice", resolved),
    )
    story.log(
        sc.DN04_DECLARED_DEAD,
        "nn01",
        "namenode",
        "INFO",
        ST,
        "BLOCK* removeDeadDatanode: lost heartbeat from 10.20.1.14:9866, "
        "removeBlocksFromBlockMap true",
        fault=dead,
    )
    story.log(
        sc.DN04_DECLARED_DEAD + 0.0001,
        "nn01",
        "namenode",
        "INFO",
        "org.apache.hadoop.net.NetworkTopology",
        "Removing a node: /default-rack/10.20.1.14:9866",
    )
    # The restart: ulimits from the .out file (no layout), start-up, registration.
    _ulimits(story, sc.DN04_BACK - 0.002, "dn04", open_files=128000)
    _startup(story, sc.DN04_BACK, "dn04", "datanode", "DataNode")
    story.log(
        sc.DN04_BACK + 0.01,
        "dn04",
        "datanode",
        "INFO",
        f"{DN}.DataNode",
        f"Block pool {BLOCK_POOL} (Datanode Uuid 5c1d7e2a-93b4-4f0e-8d61-2a7b9c0e4f13) service "
        "to nn01.hdp.example/10.20.1.1:8020 successfully registered with NN",
    )
    story.log(
        sc.DN04_BACK + 0.0101,
        "nn01",
        "namenode",
        "INFO",
        ST,
        "BLOCK* registerDatanode: from DatanodeRegistration(10.20.1.14:9866, "
        "datanodeUuid=5c1d7e2a-93b4-4f0e-8d61-2a7b9c0e4f13, infoPort=9864, infoSecurePort=0, "
        f"ipcPort=9867, storageInfo=lv=-57;cid={CLUSTER_ID};nsid={NAMESPACE_ID};"
        "c=1700000000000) storage 5c1d7e2a-93b4-4f0e-8d61-2a7b9c0e4f13",
    )


def _ulimits(story: Story, hours: float, short: str, *, open_files: int) -> None:
    for offset, text in enumerate(
        [
            "ulimit -a for user hdfs",
            "core file size          (blocks, -c) 0",
            f"open files                      (-n) {open_files}",
            "max user processes              (-u) 65536",
        ]
    ):
        story.log(hours + offset / 360000, short, "datanode.out", "", "", text, unparsed=True)


def dn07_descriptors(story: Story) -> None:
    """dn07 runs out of file descriptors; fixed; an upgrade brings the old limit back."""
    fd = story.fault(
        "dn07-fd",
        "too_many_open_files",
        "dn07",
        "DataNode on dn07 out of file descriptors (Too many open files)",
        Step(40.4, "acknowledged", "alice", "nofile is 1024 for hdfs on dn07 since the reinstall."),
        Step(
            sc.DN07_FIXED,
            "resolved",
            "alice",
            "LimitNOFILE=128000 in /etc/systemd/system/hadoop-hdfs-datanode.service.d/"
            "limits.conf; DataNode restarted.",
        ),
    )
    xceiver = story.fault(
        "dn07-xceiver",
        "datanode_xceiver_limit",
        "dn07",
        "DataNode on dn07 refused transfers: xceiver limit 4096 reached",
        Step(
            41.2 + 24,
            "resolved",
            "system",
            "Auto-resolved: no occurrence for 1 day, 0:00:00.",
            resolution="quiet",
        ),
    )
    accept_trace = _trace(
        "java.io.IOException: Too many open files",
        "sun.nio.ch.ServerSocketChannelImpl.accept0(Native Method)",
        "sun.nio.ch.ServerSocketChannelImpl.accept(ServerSocketChannelImpl.java:421)",
        "sun.nio.ch.ServerSocketChannelImpl.accept(ServerSocketChannelImpl.java:249)",
        "org.apache.hadoop.hdfs.net.TcpPeerServer.accept(TcpPeerServer.java:85)",
        f"{DN}.DataXceiverServer.run(DataXceiverServer.java:145)",
        "java.lang.Thread.run(Thread.java:750)",
    )

    def exhausted(start, end):
        hours = start
        while hours < end:
            story.log(
                hours,
                "dn07",
                "datanode",
                "ERROR",
                f"{DN}.DataNode",
                "dn07.hdp.example:9866:DataXceiverServer: ",
                trace=accept_trace,
                fault=fd,
            )
            hours += story.rng.uniform(0.08, 0.2)

    exhausted(*sc.DN07_FD_EXHAUSTED)
    for hours in (40.3, 40.7, 41.2):
        story.log(
            hours,
            "dn07",
            "datanode",
            "ERROR",
            f"{DN}.DataNode",
            "dn07.hdp.example:9866:DataXceiverServer: ",
            trace=_trace(
                f"java.io.IOException: Xceiver count {4097 + story.rng.randint(0, 3)} exceeds "
                "the limit of concurrent xceivers: 4096",
                f"{DN}.DataXceiverServer.run(DataXceiverServer.java:158)",
                "java.lang.Thread.run(Thread.java:750)",
            ),
            fault=xceiver,
        )
    _ulimits(story, sc.DN07_FIXED - 0.01, "dn07", open_files=128000)
    _startup(story, sc.DN07_FIXED, "dn07", "datanode", "DataNode")
    # The hadoop package upgrade restores the packaged unit: 1024 again.
    _ulimits(story, sc.DN07_RESTARTED - 0.01, "dn07", open_files=1024)
    _startup(story, sc.DN07_RESTARTED, "dn07", "datanode", "DataNode")
    exhausted(*sc.DN07_FD_AGAIN)


def namenode_safe_mode(story: Story) -> None:
    """nn01's metadata volume fills with audit logs: the NameNode enters safe mode."""
    start, end = sc.SAFE_MODE
    low = story.fault(
        "nn-low-disk",
        "namenode_low_disk_safemode",
        "",
        "NameNode nn01 low on metadata disk space: entered safe mode",
        Step(start + 0.15, "acknowledged", "bob", "14 GB of unrotated hdfs-audit.log on /nn."),
        Step(
            end + 0.1,
            "resolved",
            "bob",
            "Rotated and compressed hdfs-audit.log (MaxBackupIndex was unset), 18 GB free; "
            "hdfs dfsadmin -safemode leave.",
        ),
    )
    writes = story.fault(
        "safemode-writes",
        "namenode_safemode",
        "",
        "Writes refused: NameNode is in safe mode",
        Step(
            end + 0.1,
            "resolved",
            "bob",
            "Safe mode left at the end of the episode; failed "
            "ETL attempts were retried by the scheduler.",
        ),
    )
    story.log(
        start - 0.01,
        "nn01",
        "namenode",
        "WARN",
        f"{NN}.NameNodeResourceChecker",
        "Space available on volume '/dev/mapper/vg_meta-lv_nn' is 82313216, which is below "
        "the configured reserved amount 104857600",
        fault=low,
    )
    story.log(
        start,
        "nn01",
        "namenode",
        "WARN",
        f"{NN}.FSNamesystem",
        "NameNode low on available disk space. Entering safe mode.",
        fault=low,
    )
    story.log(
        start + 0.0001,
        "nn01",
        "namenode",
        "INFO",
        ST,
        "STATE* Safe mode is ON. Resources are low on NN. Please add or free up more resources "
        "then turn off safe mode manually. NOTE:  If you turn off safe mode before adding "
        'resources, the NN will immediately return to safe mode. Use "hdfs dfsadmin -safemode '
        'leave" to turn safe mode off.',
        fault=low,
    )
    hours = start + 0.2
    while hours < end:
        story.log(
            hours,
            "nn01",
            "namenode",
            "WARN",
            f"{NN}.FSNamesystem",
            "NameNode low on available disk space. Already in safe mode.",
            fault=low,
        )
        hours += 0.2
    hours = start + 0.03
    while hours < end - 0.05:
        app = story.ids.app(hours)
        attempt = story.ids.attempt(app, "r", story.rng.randint(0, 40))
        part = f"part-r-{story.rng.randint(0, 40):05d}"
        path = f"/user/etl/sessions/_temporary/1/_temporary/{attempt}/{part}"
        worker = f"dn0{story.rng.randint(1, 9)}"
        story.log(
            hours - 0.0001,
            "nn01",
            "namenode",
            "INFO",
            "org.apache.hadoop.ipc.Server",
            f"IPC Server handler {story.rng.randint(0, 99)} on default port 8020, call "
            f"Call#{story.rng.randint(1000, 90000)} Retry#0 "
            "org.apache.hadoop.hdfs.protocol.ClientProtocol.create from "
            f"{host(worker).ip}:{story.rng.randint(40000, 60000)}: "
            f"org.apache.hadoop.hdfs.server.namenode.SafeModeException: Cannot create file{path}. "
            "Name node is in safe mode.",
        )
        story.container_log(
            hours,
            worker,
            "ERROR",
            "main",
            "org.apache.hadoop.mapred.YarnChild",
            "Error running child : org.apache.hadoop.ipc.RemoteException"
            f"(org.apache.hadoop.hdfs.server.namenode.SafeModeException): "
            f"Cannot create file{path}. Name node is in safe mode.",
            app=app,
            trace="Resources are low on NN. Please add or free up more resources then turn off "
            "safe mode manually.\n"
            + _frames(
                "org.apache.hadoop.ipc.Client.getRpcResponse(Client.java:1612)",
                "org.apache.hadoop.ipc.Client.call(Client.java:1558)",
                "org.apache.hadoop.ipc.ProtobufRpcEngine2$Invoker.invoke(ProtobufRpcEngine2.java:242)",
                "org.apache.hadoop.hdfs.DFSOutputStream.newStreamForCreate(DFSOutputStream.java:280)",
                "org.apache.hadoop.mapred.YarnChild.main(YarnChild.java:172)",
            ),
            fault=writes,
        )
        hours += story.rng.uniform(0.06, 0.14)
    for offset, message in enumerate(
        [
            "STATE* Safe mode is OFF",
            f"STATE* Leaving safe mode after {int((end - start) * 3600)} secs",
            "STATE* Network topology has 1 racks and 9 datanodes",
            "STATE* UnderReplicatedBlocks has 0 blocks",
        ]
    ):
        story.log(end + offset / 36000, "nn01", "namenode", "INFO", ST, message)


def nn01_freeze_and_failover(story: Story) -> None:
    """A 35 s freeze of nn01's host: ZooKeeper session lost, edits time out, nn02 takes over."""
    t = sc.NN01_FREEZE
    pause = story.fault("nn01-pause", "jvm_long_pause", "nn01", "Host freeze on nn01 (35 s, no GC)")
    zk = story.fault(
        "nn01-zk",
        "ha_zk_session_expired",
        "nn01",
        "ZKFC on nn01 lost its ZooKeeper session: failover to nn02",
        Step(
            t + 0.35,
            "acknowledged",
            "carol",
            "nn02 is active and healthy. nn01's VM froze for 35 s (No GCs detected): asked the "
            "virtualization team before failing back.",
        ),
    )
    journal = story.fault(
        "journal-timeout",
        "journal_quorum_timeout",
        "",
        "Active NameNode could not write edits to the JournalNode quorum",
        Step(
            t + 0.7,
            "resolved",
            "carol",
            "Consequence of nn01's freeze; nn01 restarted as standby, JournalNodes healthy.",
        ),
    )
    exited = story.fault(
        "nn01-exit",
        "daemon_exit",
        "nn01",
        "NameNode on nn01 exited: flush failed for required journal",
        Step(t + 0.7, "resolved", "carol", "nn01 restarted as standby after the freeze."),
    )
    retrying = story.fault(
        "dn01-retrying",
        "peer_connect_retrying",
        "dn01",
        "dn01 retrying connections to nn01.hdp.example:8020",
        Step(t + 1.2, "resolved", "carol", "Same job as the refused connections: fixed."),
    )
    refused = story.fault(
        "dn01-refused",
        "rpc_connection_refused",
        "dn01",
        "Connection refused to nn01.hdp.example:8020",
        Step(
            t + 1.2,
            "resolved",
            "carol",
            f"Job partner_export used hdfs://nn01.hdp.example:8020 instead of hdfs://{NAMESERVICE};"
            " its owner fixed the job configuration.",
        ),
    )
    for daemon in ("namenode", "zkfc"):
        story.log(
            t + 0.0101,
            "nn01",
            daemon,
            "WARN",
            "org.apache.hadoop.util.JvmPauseMonitor",
            PAUSE.format(ms=35412),
            trace="No GCs detected",
            fault=pause,
        )
    session = "0x3000a1b2c3d0004"
    zk_lines = [
        (
            "INFO",
            "org.apache.zookeeper.ClientCnxn",
            f"Client session timed out, have not heard "
            f"from server in 36012ms for sessionid {session}, closing socket connection and "
            "attempting reconnect",
            "",
        ),
        (
            "INFO",
            "org.apache.hadoop.ha.ActiveStandbyElector",
            "Session disconnected. Entering neutral mode...",
            "",
        ),
        (
            "WARN",
            "org.apache.zookeeper.ClientCnxn",
            f"Unable to reconnect to ZooKeeper service, session {session} has expired",
            "",
        ),
        (
            "INFO",
            "org.apache.hadoop.ha.ActiveStandbyElector",
            "Session expired. Entering neutral mode and rejoining...",
            zk,
        ),
    ]
    for offset, (level, component, message, fault) in enumerate(zk_lines):
        story.log(
            t + 0.0102 + offset / 36000, "nn01", "zkfc", level, component, message, fault=fault
        )
    story.log(
        t + 0.0104,
        "nn01",
        "namenode",
        "WARN",
        "org.apache.hadoop.hdfs.qjournal.client.QuorumJournalManager",
        "Waited 19015 ms (timeout=20000 ms) for a response for sendEdits. No responses yet.",
    )
    journal_set = (
        "JournalAndStream(mgr=QJM to [10.20.1.1:8485, 10.20.1.2:8485, 10.20.1.3:8485], "
        f"stream=QuorumOutputStream starting at txid {story.ids.txid_at(t - 1)})"
    )
    story.log(
        t + 0.0105,
        "nn01",
        "namenode",
        "FATAL",
        f"{NN}.FSEditLog",
        f"Error: flush failed for required journal ({journal_set})",
        trace=_trace(
            "java.io.IOException: Timed out waiting 20000ms for a quorum of nodes to respond.",
            "org.apache.hadoop.hdfs.qjournal.client.AsyncLoggerSet.waitForWriteQuorum"
            "(AsyncLoggerSet.java:138)",
            "org.apache.hadoop.hdfs.qjournal.client.QuorumOutputStream.flushAndSync"
            "(QuorumOutputStream.java:107)",
            f"{NN}.EditLogOutputStream.flush(EditLogOutputStream.java:113)",
            f"{NN}.JournalSet$JournalSetOutputStream.flush(JournalSet.java:529)",
            f"{NN}.FSEditLog.logSync(FSEditLog.java:707)",
            "java.lang.Thread.run(Thread.java:750)",
        ),
        fault=journal,
    )
    story.log(
        t + 0.0106,
        "nn01",
        "namenode",
        "INFO",
        "org.apache.hadoop.util.ExitUtil",
        f"Exiting with status 1: Error: flush failed for required journal ({journal_set})",
        fault=exited,
    )
    story.log(
        t + 0.0107,
        "nn01",
        "namenode",
        "INFO",
        f"{NN}.NameNode",
        "SHUTDOWN_MSG: ",
        trace="/************************************************************\n"
        "SHUTDOWN_MSG: Shutting down NameNode at nn01.hdp.example/10.20.1.1\n"
        "************************************************************/",
    )
    story.log(
        t + 0.011,
        "nn01",
        "zkfc",
        "WARN",
        "org.apache.hadoop.ha.HealthMonitor",
        "Transport-level exception trying to monitor health of NameNode at "
        "nn01.hdp.example/10.20.1.1:8020: java.net.ConnectException: Call From "
        "nn01.hdp.example/10.20.1.1 to nn01.hdp.example:8020 failed on connection exception: "
        "java.net.ConnectException: Connection refused; For more details see:  "
        "http://wiki.apache.org/hadoop/ConnectionRefused",
        fault=zk,
    )
    failover = [
        (
            "org.apache.hadoop.ha.ActiveStandbyElector",
            "Checking for any old active which needs to be fenced...",
        ),
        (
            "org.apache.hadoop.ha.ZKFailoverController",
            "Should fence: NameNode at nn01.hdp.example/10.20.1.1:8020",
        ),
        ("org.apache.hadoop.ha.NodeFencer", "====== Beginning Service Fencing Process... ======"),
        (
            "org.apache.hadoop.ha.NodeFencer",
            "Trying method 1/1: org.apache.hadoop.ha.ShellCommandFencer(/bin/true)",
        ),
        (
            "org.apache.hadoop.ha.NodeFencer",
            "====== Fencing successful by method "
            "org.apache.hadoop.ha.ShellCommandFencer(/bin/true) ======",
        ),
        (
            "org.apache.hadoop.ha.ZKFailoverController",
            "Trying to make NameNode at nn02.hdp.example/10.20.1.2:8020 active...",
        ),
        (
            "org.apache.hadoop.ha.ZKFailoverController",
            "Successfully transitioned NameNode at nn02.hdp.example/10.20.1.2:8020 to active state",
        ),
    ]
    for offset, (component, message) in enumerate(failover):
        story.log(t + 0.0112 + offset / 7200, "nn02", "zkfc", "INFO", component, message)
    for offset, (component, message) in enumerate(
        [
            (f"{NN}.FSNamesystem", "Stopping services started for standby state"),
            (f"{NN}.FSNamesystem", "Starting services required for active state"),
            (
                "org.apache.hadoop.hdfs.qjournal.client.QuorumJournalManager",
                "Starting recovery process for unclosed journal segments...",
            ),
            (f"{NN}.FSEditLog", f"Starting log segment at {story.ids.txid_at(t) + 1}"),
        ]
    ):
        story.log(t + 0.0122 + offset / 7200, "nn02", "namenode", "INFO", component, message)
    # A job that names nn01 directly instead of the nameservice keeps failing while it is down.
    app = story.ids.app_name(story.ids.app_seq_at(t) - 2)  # started before the freeze
    for hours in (t + 0.03, t + 0.15, t + 0.29, t + 0.42):
        story.container_log(
            hours - 0.003,
            "dn01",
            "INFO",
            "main",
            "org.apache.hadoop.ipc.Client",
            "Retrying connect to server: nn01.hdp.example/10.20.1.1:8020. Already tried 9 "
            "time(s); retry policy is RetryUpToMaximumCountWithFixedSleep(maxRetries=10, "
            "sleepTime=1000 MILLISECONDS)",
            app=app,
            fault=retrying,
        )
        story.container_log(
            hours,
            "dn01",
            "WARN",
            "main",
            "org.apache.hadoop.mapred.YarnChild",
            "Exception running child : java.net.ConnectException: Call From "
            "dn01.hdp.example/10.20.1.11 to nn01.hdp.example:8020 failed on connection "
            "exception: java.net.ConnectException: Connection refused; For more details see:  "
            "http://wiki.apache.org/hadoop/ConnectionRefused",
            app=app,
            trace=_trace(
                "sun.reflect.NativeConstructorAccessorImpl.newInstance0(Native Method)",
                "org.apache.hadoop.net.NetUtils.wrapWithMessage(NetUtils.java:913)",
                "org.apache.hadoop.net.NetUtils.wrapException(NetUtils.java:828)",
                "org.apache.hadoop.ipc.Client.getRpcResponse(Client.java:1616)",
                "org.apache.hadoop.ipc.Client.call(Client.java:1558)",
                "Caused by: java.net.ConnectException: Connection refused",
                "sun.nio.ch.SocketChannelImpl.checkConnect(Native Method)",
                "org.apache.hadoop.net.SocketIOWithTimeout.connect(SocketIOWithTimeout.java:205)",
            ),
            fault=refused,
        )
    back = sc.NN01_DOWN[1]
    _startup(story, back, "nn01", "namenode", "NameNode")
    story.log(
        back + 0.02,
        "nn01",
        "namenode",
        "INFO",
        f"{NN}.FSNamesystem",
        "Starting services required for standby state",
    )
    story.log(
        back + 0.021,
        "nn01",
        "zkfc",
        "INFO",
        "org.apache.hadoop.ha.ZKFailoverController",
        "Local service NameNode at nn01.hdp.example/10.20.1.1:8020 entered state: SERVICE_HEALTHY",
    )


def container_memory_kills(story: Story) -> None:
    """The nightly etl_daily_sessions reducers outgrow their 2 GB containers."""
    hosts = {"dn02": (), "dn05": ()}
    hosts["dn08"] = (
        Step(
            sc.WEEK_HOURS - 30,
            "acknowledged",
            "dave",
            "Asked the ETL team to raise mapreduce.reduce.memory.mb to 4096 (heap 3276m) for "
            "etl_daily_sessions.",
        ),
    )
    keys = {
        short: story.fault(
            f"pmem-{short}",
            "container_killed_pmem",
            short,
            f"Reducers of etl_daily_sessions killed on {short}: over 2 GB physical memory",
            *steps,
        )
        for short, steps in hosts.items()
    }
    for night, hours in enumerate(story.week.nightly(2.3)):
        app = story.ids.app_name(story.ids.app_seq_at(hours) - 1)  # tonight's etl run
        rotation = list(keys)[night % 3 :] + list(keys)[: night % 3]
        for index, short in enumerate(rotation):
            if index and story.rng.random() < 0.5:  # each host's turn comes every third night
                continue
            number = story.rng.randint(30, 180)
            container = story.ids.container(app, number)
            attempt = story.ids.attempt(app, "r", story.rng.randint(0, 40))
            pid = story.rng.randint(10000, 60000)
            over = story.rng.randint(40, 600) * 1024 * 1024
            used = 2 + over / 1024**3
            at = hours + story.rng.uniform(0, 1.2)
            story.log(
                at,
                short,
                "nodemanager",
                "WARN",
                f"{NM}.containermanager.monitor.ContainersMonitorImpl",
                f"Container [pid={pid},containerID={container}] is running {over}B beyond the "
                f"'PHYSICAL' memory limit. Current usage: {used:.1f} GB of 2 GB physical memory "
                f"used; {used + 1.8:.1f} GB of 4.2 GB virtual memory used. Killing container.",
                trace=f"Dump of the process-tree for {container} :\n"
                "\t|- PID PPID PGRPID SESSID CMD_NAME USER_MODE_TIME(MILLIS) SYSTEM_TIME(MILLIS) "
                "VMEM_USAGE(BYTES) RSSMEM_USAGE(PAGES) FULL_CMD_LINE\n"
                f"\t|- {pid} {pid - 2} {pid} {pid} (java) 81234 4123 4402341888 602345 "
                "/usr/lib/jvm/java-8-openjdk-amd64/bin/java -Djava.net.preferIPv4Stack=true "
                f"-Xmx1638m org.apache.hadoop.mapred.YarnChild {host(short).ip} 41234 "
                f"{attempt} {number}",
                fault=keys[short],
            )
            story.log(
                at + 0.0002,
                short,
                "nodemanager",
                "INFO",
                f"{NM}.containermanager.container.ContainerImpl",
                f"Container {container} transitioned from RUNNING to KILLING",
            )
            story.container_log(
                at + 0.0005,
                f"dn0{story.rng.randint(1, 9)}",
                "INFO",
                "AsyncDispatcher event handler",
                "org.apache.hadoop.mapreduce.v2.app.job.impl.TaskAttemptImpl",
                f"Diagnostics report from {attempt}: Container killed on request. Exit code is 143",
                app=app,
            )
    vmem = story.fault(
        "vmem-dn03",
        "container_killed_vmem",
        "dn03",
        "Containers killed on dn03 for virtual memory (vmem-pmem-ratio 2.1)",
        Step(
            55.0,
            "ignored",
            "dave",
            "Known: yarn.nodemanager.vmem-check-enabled=false ships with the next config push.",
        ),
    )
    for hours in (30.2, 54.3, 121.4):
        app = story.ids.app(hours)
        container = story.ids.container(app)
        story.log(
            hours,
            "dn03",
            "nodemanager",
            "WARN",
            f"{NM}.containermanager.monitor.ContainersMonitorImpl",
            f"Container [pid={story.rng.randint(10000, 60000)},containerID={container}] is "
            "running 106954752B beyond the 'VIRTUAL' memory limit. Current usage: 912.4 MB of "
            "1 GB physical memory used; 2.2 GB of 2.1 GB virtual memory used. Killing container.",
            fault=vmem,
        )


def dn08_bad_replica(story: Story) -> None:
    bad = story.fault(
        "dn08-corrupt",
        "hdfs_corrupt_replica",
        "dn08",
        "Corrupt replicas reported by dn08 (/data/3)",
    )
    for hours in (sc.DN08_BAD_REPLICA, sc.DN08_BAD_REPLICA + 0.8):
        block = story.ids.recent_block(hours)
        story.log(
            hours - 0.0003,
            "dn08",
            "datanode",
            "WARN",
            f"{DN}.VolumeScanner",
            f"I/O error while finding block {block} on volume /data/3/dfs/dn",
        )
        story.log(
            hours,
            "dn08",
            "datanode",
            "WARN",
            f"{DN}.VolumeScanner",
            f"Reporting bad {block} on /data/3/dfs/dn",
            fault=bad,
        )
        story.log(
            hours + 0.0002,
            sc.active_namenode(hours),
            "namenode",
            "INFO",
            ST,
            f"*DIR* reportBadBlocks for block: {block} on datanode: 10.20.1.18:9866",
        )


def dn06_local_dirs_full(story: Story) -> None:
    """A stuck Spark job fills dn06's YARN local dirs: the NodeManager is UNHEALTHY, still."""
    stuck = story.ids.app_name(story.ids.app_seq_at(sc.STUCK_APP_STARTED))
    note = (
        f"Stuck Spark job {stuck} filled /data/yarn/local/usercache/analytics; "
        "asked analytics to kill it, then clean_node_disk.sh."
    )
    nm = story.fault(
        "dn06-unhealthy",
        "nodemanager_unhealthy_disks",
        "dn06",
        "NodeManager dn06: local-dirs and log-dirs over 90 %",
        Step(sc.DN06_UNHEALTHY_FROM + 0.4, "acknowledged", "bob", note),
    )
    rm = story.fault(
        "dn06-unhealthy-rm",
        "nodemanager_unhealthy_disks",
        "rm01",
        "ResourceManager marked dn06.hdp.example:8041 UNHEALTHY",
    )
    report = (
        "1/1 local-dirs usable space is below configured utilization percentage/no more usable "
        "space [ /data/yarn/local : used space above threshold of 90.0% ] ; 1/1 log-dirs usable "
        "space is below configured utilization percentage/no more usable space "
        "[ /data/yarn/log : used space above threshold of 90.0% ] "
    )
    t = sc.DN06_UNHEALTHY_FROM
    for offset, path in enumerate(("/data/yarn/local", "/data/yarn/log")):
        story.log(
            t - 0.001 + offset / 36000,
            "dn06",
            "nodemanager",
            "WARN",
            f"{NM}.DirectoryCollection",
            f"Directory {path} error, used space above threshold of 90.0%, removing from list "
            "of valid directories",
            fault=nm,
        )
    hours = t
    while hours < sc.WEEK_HOURS:
        story.log(
            hours,
            "dn06",
            "nodemanager",
            "ERROR",
            f"{NM}.LocalDirsHandlerService",
            f"Most of the disks failed. {report}",
            fault=nm,
        )
        hours += story.rng.uniform(0.6, 1.1)
    story.log(
        t + 0.005,
        "rm01",
        "resourcemanager",
        "INFO",
        f"{RM}.rmnode.RMNodeImpl",
        f"Node dn06.hdp.example:8041 reported UNHEALTHY with details: {report}",
        fault=rm,
    )
    story.log(
        t + 0.0051,
        "rm01",
        "resourcemanager",
        "INFO",
        f"{RM}.rmnode.RMNodeImpl",
        "dn06.hdp.example:8041 Node Transitioned from RUNNING to UNHEALTHY",
    )


def dn09_log_aggregation(story: Story) -> None:
    """An error no signature knows: it lands in the catch-all `unclassified` type."""
    key = story.fault(
        "dn09-aggregation",
        "unclassified",
        "dn09",
        "AppLogAggregatorImpl: Failed to move temporary log file to final location",
    )
    for hours in (75.3, 99.1, 147.6):
        app = story.ids.app(hours)
        base = f"hdfs://{NAMESERVICE}/app-logs/analytics/logs-tfile/{app}/dn09.hdp.example_8041"
        story.log(
            hours,
            "dn09",
            "nodemanager",
            "ERROR",
            f"{NM}.containermanager.logaggregation.AppLogAggregatorImpl",
            f"Failed to move temporary log file to final location: [{base}.tmp] to [{base}]",
            trace=_trace(
                "org.apache.hadoop.security.AccessControlException: Permission denied: "
                'user=yarn, access=WRITE, inode="/app-logs/analytics/logs-tfile":'
                "analytics:hadoop:drwxr-x---",
                f"{NN}.FSPermissionChecker.check(FSPermissionChecker.java:506)",
                f"{NN}.FSDirRenameOp.renameToInt(FSDirRenameOp.java:247)",
            ),
            fault=key,
        )


INCIDENTS = (
    dn04_heap_exhaustion,
    dn07_descriptors,
    namenode_safe_mode,
    nn01_freeze_and_failover,
    container_memory_kills,
    dn08_bad_replica,
    dn06_local_dirs_full,
    dn09_log_aggregation,
)


def incident_story(week, rng: random.Random, ids: Ids) -> Story:
    story = Story(week, rng, ids)
    for incident in INCIDENTS:
        story.shift = rng.uniform(0, 55)
        incident(story)
    return story
