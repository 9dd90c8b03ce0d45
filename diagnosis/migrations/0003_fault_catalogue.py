"""Load the built-in catalogue of Hadoop fault signatures (research: peers.md §4).

The data is frozen here on purpose: a later change to the catalogue ships as a new migration.
Patterns are Python regular expressions searched in a line's message and stack trace; both
Hadoop 2.x and 3.x wordings are covered where they differ.
"""

from django.db import migrations

CATALOGUE = [
    {
        "code": "datanode_volume_failure",
        "name": "DataNode disk (volume) failure",
        "category": "hdfs",
        "default_severity": "critical",
        "patterns": [
            r"DiskErrorException: Too many failed volumes",
            r"DiskErrorException: (Directory is not (writable|readable|executable)|Could not find)",
            r"DataNode failed volumes?:",
        ],
        "min_level": "WARN",
        "description": "A data disk of a DataNode failed, went read-only or lost permissions; past "
        "dfs.datanode.failed.volumes.tolerated the DataNode refuses to start.",
        "cause": "Failed disk or controller, a mount gone read-only, wrong ownership of a data "
        "directory, more failed volumes than dfs.datanode.failed.volumes.tolerated (default 0).",
        "remediation": "Check dmesg/SMART and the mount. Replace the disk or remove it from "
        "dfs.datanode.data.dir (hot-swap: hdfs dfsadmin -reconfig datanode <host:ipc> start), or "
        "raise the tolerated count; restart the DataNode and watch re-replication.",
        "confirm_metrics": "VolumeFailuresTotal and EstimatedCapacityLostTotal rise; "
        "NumDeadDataNodes if the DataNode stopped.",
        "runbook_script": "check_datanode_disks.sh",
    },
    {
        "code": "datanode_out_of_space",
        "name": "DataNode volumes full",
        "category": "hdfs",
        "default_severity": "major",
        "patterns": [
            r"DiskOutOfSpaceException: Out of space",
            r"No space left on device",
        ],
        "min_level": "WARN",
        "description": "No DataNode volume has room for another block.",
        "cause": "Disks full of HDFS data or of non-DFS files (logs, YARN local dirs), or "
        "dfs.datanode.du.reserved too small.",
        "remediation": "Clear non-DFS usage, run the balancer, add capacity, set "
        "dfs.datanode.du.reserved; expunge trash and old HDFS data.",
        "confirm_metrics": "CapacityRemaining low, CapacityUsedNonDFS high; per-node remaining "
        "in LiveNodes.",
        "runbook_script": "clean_node_disk.sh",
    },
    {
        "code": "namenode_low_disk_safemode",
        "name": "NameNode metadata disk low (safe mode)",
        "category": "hdfs",
        "default_severity": "critical",
        # The safe-mode tip follows "STATE* Safe mode is ON." on its own line, logged at INFO;
        # it is also appended to the SafeModeException clients get, which then names the cause.
        "patterns": [
            r"NameNode low on available disk space\. (Entering|Already in) safe mode",
            r"Resources are low on NN\. Please add or free up more resources",
            r"Space available on volume '[^']*' is \d+, which is below the configured reserved "
            r"amount",
        ],
        "min_level": "INFO",
        "grouping": "cluster",
        "description": "The volume holding the NameNode's name/edits directories is below "
        "dfs.namenode.resource.du.reserved, so the NameNode entered safe mode.",
        "cause": "The name-dir volume filled up, very often with unrotated logs (audit log).",
        "remediation": "Free space on the name-dir volumes (rotate and compress logs), then "
        "hdfs dfsadmin -safemode leave; leaving first only re-enters safe mode.",
        "confirm_metrics": "FSState = Safemode; disk usage of the NameNode host.",
    },
    {
        "code": "namenode_safemode",
        "name": "NameNode in safe mode",
        "category": "hdfs",
        "default_severity": "critical",
        "patterns": [
            r"SafeModeException\b.*Name ?node is in safe mode",
            r"Cannot (create|add|delete|rename|set|complete|append|truncate)\b.*"
            r"Name ?node is in safe mode",
        ],
        "min_level": "WARN",
        "grouping": "cluster",
        "description": "HDFS refuses writes because the NameNode is in safe mode.",
        "cause": "Start-up waiting for block reports; DataNodes missing so reported blocks stay "
        "below dfs.namenode.safemode.threshold-pct; low NameNode disk; entered manually.",
        "remediation": "hdfs dfsadmin -safemode get, hdfs dfsadmin -report, hdfs fsck /; bring "
        "DataNodes back; only once missing/corrupt blocks are understood, -safemode leave.",
        "confirm_metrics": "FSState, NameNodeInfo.Safemode, MissingBlocks, live DataNodes.",
    },
    {
        "code": "hdfs_write_no_datanodes",
        "name": "HDFS block allocation fails (no DataNode to write to)",
        "category": "hdfs",
        "default_severity": "critical",
        "patterns": [
            r"could only be written to \d+ of the \d+ minReplication nodes",
            r"could only be replicated to \d+ nodes,? instead of minReplication",
        ],
        "min_level": "WARN",
        "grouping": "cluster",
        "description": "The NameNode found no DataNode to place a new block on.",
        "cause": "No DataNode with free space, all DataNodes dead or decommissioning, or "
        "clients cannot reach DataNode transfer ports so every target is excluded.",
        "remediation": "Check capacity and live DataNodes; open the DataNode data port "
        "(9866/50010); set dfs.client.use.datanode.hostname for NATed clients; add nodes.",
        "confirm_metrics": "NumLiveDataNodes, CapacityRemaining.",
    },
    {
        "code": "hdfs_block_missing",
        "name": "HDFS block missing (no replica readable)",
        "category": "hdfs",
        "default_severity": "critical",
        # Only the final failure: "Could not obtain <blk> from any node … Will get new block
        # locations from namenode and retry" (INFO) and "No live nodes contain block … after
        # checking nodes" (WARN, 3.x) come before each retry and often clear by themselves.
        "patterns": [
            r"BlockMissingException",
            r"Could not obtain block: ",
        ],
        "min_level": "WARN",
        "grouping": "cluster",
        "description": "A reader could not find any live, healthy replica of a block.",
        "cause": "Every replica is on dead DataNodes or corrupt; files with replication 1 lost "
        "with one node.",
        "remediation": "Restart the DataNodes holding the replicas; hdfs fsck / "
        "-list-corruptfileblocks; restore from source; fsck -delete only as a last resort.",
        "confirm_metrics": "MissingBlocks / NumberOfMissingBlocks > 0, MissingReplOneBlocks.",
    },
    {
        "code": "hdfs_corrupt_replica",
        "name": "HDFS checksum failure (corrupt replica)",
        "category": "hdfs",
        "default_severity": "major",
        "patterns": [
            r"ChecksumException\)?: Checksum error",
            r"org\.apache\.hadoop\.fs\.ChecksumException",
            r"Found [Cc]hecksum error for ",
            r"Reporting bad (BP-\S+:)?blk_\d+",
        ],
        "min_level": "WARN",
        "description": "A replica's data does not match its checksum.",
        "cause": "Bad disk, controller or memory on the reporting DataNode; files truncated by "
        "a crash.",
        "remediation": "Check the hardware of the reporting DataNode; HDFS re-replicates from a "
        "good copy; hdfs fsck to list the files affected.",
        "confirm_metrics": "CorruptBlocks > 0, DataNode BlockVerificationFailures.",
    },
    {
        "code": "hdfs_pipeline_failure",
        "name": "HDFS write pipeline cannot recover",
        "category": "hdfs",
        "default_severity": "major",
        "patterns": [
            r"Failed to replace a bad datanode on the existing pipeline",
            r"All datanodes \S.* are bad\. Aborting",
        ],
        "min_level": "WARN",
        "description": "A DataNode in a write pipeline failed and no replacement was available.",
        "cause": "Too few DataNodes for the replication factor (small clusters, appends), or "
        "DataNodes overloaded or pausing.",
        "remediation": "Add DataNodes or lower replication on small clusters; for tiny clusters "
        "set dfs.client.block.write.replace-datanode-on-failure.policy=NEVER or best-effort; "
        "investigate the failing DataNode.",
        "confirm_metrics": "DataNode network errors; NumLiveDataNodes close to the replication "
        "factor.",
        "precursors": ["datanode_xceiver_limit", "jvm_long_pause"],
    },
    {
        "code": "hdfs_lease_expired",
        "name": "HDFS writer lost its lease",
        "category": "hdfs",
        "default_severity": "minor",
        "patterns": [
            r"LeaseExpiredException\)?: No lease on",
            r"Failed to renew lease for \[?DFSClient_",
        ],
        "min_level": "WARN",
        "description": "A file was deleted or renamed while being written, or the writer paused "
        "past the lease limit.",
        "cause": "Concurrent jobs writing the same output path, speculative attempts, cleanup "
        "scripts, overwrites; or a client paused past the lease hard limit.",
        "remediation": "One writer per path (unique temp dirs, commit by rename), no speculation "
        "for non-idempotent writers, fix cleanup timing; hdfs debug recoverLease -path for stuck "
        "files.",
        "confirm_metrics": "Audit-log delete/rename of the same path near the time.",
        "precursors": ["jvm_long_pause"],
    },
    {
        "code": "datanode_cluster_id_mismatch",
        "name": "DataNode cluster ID mismatch",
        "category": "hdfs",
        "default_severity": "critical",
        "patterns": [r"Incompatible clusterIDs in"],
        "min_level": "WARN",
        "grouping": "host",
        "description": "The DataNode's storage belongs to another namespace and it cannot register.",
        "cause": "The NameNode was reformatted while DataNode directories keep the old VERSION, "
        "or a disk moved from another cluster.",
        "remediation": "On a fresh cluster clear the DataNode data dirs; on a real cluster do not "
        "reformat: restore the NameNode metadata, or knowingly set the DataNode VERSION "
        "clusterID. Never wipe directories that hold the only replicas.",
        "confirm_metrics": "The DataNode is absent from LiveNodes.",
    },
    {
        "code": "datanode_dead",
        "name": "DataNode heartbeat lost (dead)",
        "category": "hdfs",
        "default_severity": "major",
        "patterns": [r"removeDeadDatanode: lost heartbeat from"],
        "min_level": "INFO",
        "description": "The NameNode declared a DataNode dead after 10.5 minutes without "
        "heartbeat.",
        "cause": "DataNode process died (out of memory, disk failure, killed), host down, network "
        "partition, long GC pause.",
        "remediation": "Read the last lines of the DataNode's log and check the host; restart "
        "it; expect a re-replication storm and throttle it if needed.",
        "confirm_metrics": "NumDeadDataNodes, StaleDataNodes, UnderReplicatedBlocks rising.",
        "runbook_script": "restart_datanode.sh",
        "precursors": ["jvm_out_of_memory", "datanode_volume_failure", "jvm_long_pause"],
    },
    {
        "code": "datanode_xceiver_limit",
        "name": "DataNode transfer-thread (xceiver) limit reached",
        "category": "hdfs",
        "default_severity": "major",
        "patterns": [r"[Xx]ceiver ?[Cc]ount \d+ exceeds the limit of concurrent xc[ie]{2}vers"],
        "min_level": "WARN",
        "grouping": "host",
        "description": "A DataNode refused a transfer: too many concurrent readers and writers.",
        "cause": "dfs.datanode.max.transfer.threads (4096) too low for the load: HBase, many "
        "small files, many parallel readers.",
        "remediation": "Raise dfs.datanode.max.transfer.threads together with the open-file and "
        "process limits; spread the load.",
        "confirm_metrics": "DataNode DataNodeActiveXceiversCount.",
        "precursors": ["too_many_open_files"],
    },
    {
        "code": "too_many_open_files",
        "name": "File descriptors exhausted",
        "category": "os",
        "default_severity": "major",
        "patterns": [r"Too many open files"],
        "min_level": "WARN",
        "grouping": "host",
        "description": "A daemon hit its open-file limit (EMFILE).",
        "cause": "nofile ulimit too low for the hdfs/yarn users (often the default 1024), or a "
        "descriptor leak.",
        "remediation": "Raise the limits (/etc/security/limits.d or LimitNOFILE in the systemd "
        "unit), restart the daemon; find leaks with lsof -p.",
        "confirm_metrics": "The process's open descriptors against its limit.",
    },
    {
        "code": "jvm_out_of_memory",
        "name": "JVM out of memory",
        "category": "jvm",
        "default_severity": "critical",
        "patterns": [r"java\.lang\.OutOfMemoryError"],
        "min_level": "WARN",
        "description": "A JVM ran out of heap, GC headroom, native threads or metaspace.",
        "cause": "Daemon heap too small for the namespace (NameNode heap grows with files and "
        "blocks), too many threads (nproc), or task heap too small for its data.",
        "remediation": "Daemons: raise -Xmx in hadoop-env/yarn-env, reduce small files. Tasks: "
        "raise the heap together with the container size. Native threads: raise nproc.",
        "confirm_metrics": "MemHeapUsedM near MemHeapMaxM; GC time climbing.",
        "precursors": ["jvm_long_pause"],
    },
    {
        "code": "jvm_long_pause",
        "name": "Long JVM or host pause (GC)",
        "category": "jvm",
        "default_severity": "warning",
        "patterns": [r"Detected pause in JVM or host machine \(eg GC\): pause of approximately"],
        "min_level": "WARN",
        "grouping": "host",
        "description": 'JvmPauseMonitor saw the process stall; "No GCs detected" points at the '
        "host (swap, CPU steal, VM freeze).",
        "cause": "Heap pressure, an oversized heap with poor GC settings, swapping, noisy "
        "neighbours.",
        "remediation": "Tune heap and GC, disable swap, check host load. Long pauses explain lost "
        "heartbeats, socket timeouts and ZooKeeper session expiry.",
        "confirm_metrics": "GcTimeMillis, GcNumWarnThresholdExceeded.",
    },
    {
        "code": "container_killed_pmem",
        "name": "YARN container over physical memory",
        "category": "yarn",
        "default_severity": "major",
        "patterns": [
            r"is running \S+ beyond the 'PHYSICAL' memory limit",
            r"is running beyond physical memory limits",
            # Strict cgroups memory enforcement (3.x): the kernel's OOM state, not a poll.
            r"is under oom because it exceeded its physical memory limit",
        ],
        "min_level": "WARN",
        "description": "The NodeManager killed a container whose RSS exceeded its size "
        "(exit status -104).",
        "cause": "Heap plus off-heap above the container size: Java heap too close to "
        "mapreduce.*.memory.mb, Spark memory overhead too small.",
        "remediation": "Raise the container size (mapreduce.map/reduce.memory.mb, "
        "spark.executor.memoryOverhead) and keep the heap at about 80 % of it; fix the job's "
        "memory use.",
        "confirm_metrics": "The application attempt's diagnostics in the ResourceManager.",
    },
    {
        "code": "container_killed_vmem",
        "name": "YARN container over virtual memory",
        "category": "yarn",
        "default_severity": "minor",
        "patterns": [
            r"is running \S+ beyond the 'VIRTUAL' memory limit",
            r"is running beyond virtual memory limits",
        ],
        "min_level": "WARN",
        "description": "The NodeManager killed a container over its virtual-memory allowance "
        "(exit status -103).",
        "cause": "JVM and glibc reserve large address space; the check is strict by "
        "yarn.nodemanager.vmem-pmem-ratio (2.1).",
        "remediation": "Raise the ratio or set yarn.nodemanager.vmem-check-enabled=false "
        "(common on modern JVMs); raise the container size.",
        "confirm_metrics": "The application attempt's diagnostics in the ResourceManager.",
    },
    {
        "code": "rpc_connection_refused",
        "name": "Cannot reach NameNode/ResourceManager (connection refused)",
        "category": "network",
        "default_severity": "critical",
        "patterns": [
            r"failed on connection exception: java\.net\.ConnectException: Connection refused",
            r"No Route to Host from\s+\S+ to \S+ failed on socket timeout exception",
        ],
        "min_level": "WARN",
        "description": "An RPC client could not connect to a Hadoop daemon.",
        "cause": "Daemon down or restarting, wrong host/port in fs.defaultFS or "
        "yarn.resourcemanager.*, hostname resolving to 127.0.0.1, daemon bound to another NIC, "
        "firewall.",
        "remediation": "Check the daemon and its listening socket (ss -ltnp), the configuration, "
        "forward and reverse DNS, and the firewall.",
        "confirm_metrics": "NameNode JMX or ResourceManager REST unreachable in the same minute.",
    },
    {
        "code": "rpc_socket_timeout",
        "name": "RPC socket timeout (slow or half-dead peer)",
        "category": "network",
        "default_severity": "major",
        "patterns": [
            r"SocketTimeoutException: \d+ millis timeout while waiting for channel to be ready "
            r"for (read|write|connect)",
            r"ConnectTimeoutException: \d+ millis timeout",
            r"failed on socket timeout exception",
            r"End of File Exception between",
        ],
        "min_level": "WARN",
        "description": "A peer did not answer in time or closed the connection mid-call.",
        "cause": "The peer in a long GC, an overloaded DataNode, network congestion or loss, a "
        "dead host not yet declared dead.",
        "remediation": "Find the remote in the message and check its GC and load; network "
        "checks; only then consider dfs.client.socket-timeout (60 s).",
        "confirm_metrics": "GC time and load of the remote host.",
        "precursors": ["jvm_long_pause", "datanode_xceiver_limit"],
    },
    {
        "code": "ha_zk_session_expired",
        "name": "HA ZooKeeper session lost / failover",
        "category": "ha",
        "default_severity": "critical",
        "patterns": [
            r"Session expired\. Entering neutral mode",
            r"SessionExpiredException",
            r"Transport-level exception trying to monitor health of NameNode",
        ],
        "min_level": "INFO",
        "grouping": "host",
        "description": "A failover controller or ResourceManager lost its ZooKeeper session; a "
        "failover may follow.",
        "cause": "A NameNode/ZKFC/ResourceManager pause longer than "
        "ha.zookeeper.session-timeout.ms, ZooKeeper overloaded or partitioned, an unhealthy "
        "NameNode.",
        "remediation": "Fix the pause or ZooKeeper; verify exactly one active (hdfs haadmin "
        "-getServiceState nn1, yarn rmadmin -getServiceState rm1); check fencing.",
        "confirm_metrics": "NameNodeStatus.State and LastHATransitionTime; RM haState.",
        "precursors": ["jvm_long_pause"],
    },
    {
        "code": "journal_quorum_timeout",
        "name": "JournalNode quorum timeout",
        "category": "ha",
        "default_severity": "critical",
        "patterns": [
            r"Timed out waiting \d+ms for a quorum of nodes to respond",
            r"Got too many exceptions to achieve quorum size",
        ],
        "min_level": "WARN",
        "grouping": "cluster",
        "description": "The active NameNode could not write edits to a quorum of JournalNodes "
        "and aborts.",
        "cause": "JournalNode disk latency, a JournalNode down, a NameNode GC pause, network.",
        "remediation": "Check JournalNode disks and processes; fix the pause; raising "
        "dfs.qjournal.write-txns.timeout.ms is only a stopgap.",
        "confirm_metrics": "NameNode HA state changes at the same time.",
        "precursors": ["jvm_long_pause"],
    },
    {
        "code": "nodemanager_lost",
        "name": "NodeManager lost (heartbeat expired)",
        "category": "yarn",
        "default_severity": "major",
        # NodeManager ids are host:port; "Expired:appattempt_…" is the AM monitor, not a node.
        "patterns": [r"Expired:(?!appattempt_)[\w.-]+:\d+ Timed out after \d+ secs"],
        "min_level": "INFO",
        "description": "The ResourceManager expired a NodeManager after 10 minutes without "
        "heartbeat; the node is LOST.",
        "cause": "NodeManager died (out of memory, killed), host down, network partition, long "
        "pause.",
        "remediation": "Check and restart the NodeManager; its containers are rescheduled; if it "
        "recurs, look for OOM or GC in its log.",
        "confirm_metrics": "lostNodes in /ws/v1/cluster/metrics; state=LOST in "
        "/ws/v1/cluster/nodes.",
        "runbook_script": "restart_nodemanager.sh",
        "precursors": ["jvm_out_of_memory", "jvm_long_pause"],
    },
    {
        "code": "nodemanager_unhealthy_disks",
        "name": "NodeManager unhealthy (local/log dirs bad)",
        "category": "yarn",
        "default_severity": "major",
        "patterns": [
            r"reported UNHEALTHY with details:",
            r"(local|log)-dirs (usable space is below configured utilization percentage|are bad)",
            r"used space above threshold of [\d.]+%, removing from list of valid directories",
        ],
        "min_level": "INFO",
        "description": "A NodeManager's local or log directories are full or failed; its "
        "containers exit with -101.",
        "cause": "Directories over 90 % (YARN appcache/usercache, shuffle spills, old container "
        "logs) or a failed disk; or the health script reported ERROR.",
        "remediation": "Find the big directories (du -hs …/usercache/*/appcache/*), kill or clean "
        "the offending application, clean logs; the node recovers by itself.",
        "confirm_metrics": "unhealthyNodes; the node's healthReport.",
        "runbook_script": "clean_node_disk.sh",
        "precursors": ["datanode_out_of_space"],
    },
    {
        "code": "unclassified",
        "name": "Unclassified error",
        "category": "other",
        "default_severity": "minor",
        "patterns": [],
        "min_level": "ERROR",
        "description": "An ERROR or FATAL line that matches no fault type, grouped by its "
        "normalised message so nothing severe goes unseen.",
        "cause": "Unknown: read the sample lines.",
        "remediation": "Read the samples; if it recurs and matters, add a fault type with a "
        "pattern for it in the admin.",
    },
]

FIELDS = (
    "name",
    "category",
    "default_severity",
    "min_level",
    "grouping",
    "description",
    "cause",
    "remediation",
    "confirm_metrics",
    "runbook_script",
)


def load_catalogue(apps, schema_editor):
    FaultType = apps.get_model("diagnosis", "FaultType")
    by_code = {}
    for entry in CATALOGUE:
        values = {name: entry.get(name, "") for name in FIELDS}
        values["grouping"] = entry.get("grouping", "host_message")
        values["patterns"] = "\n".join(entry["patterns"])
        fault_type, _ = FaultType.objects.update_or_create(
            code=entry["code"], defaults={**values, "is_builtin": True, "enabled": True}
        )
        by_code[entry["code"]] = fault_type
    for entry in CATALOGUE:
        precursors = [by_code[code] for code in entry.get("precursors", [])]
        by_code[entry["code"]].precursors.set(precursors)


def unload_catalogue(apps, schema_editor):
    FaultType = apps.get_model("diagnosis", "FaultType")
    FaultType.objects.filter(code__in=[e["code"] for e in CATALOGUE], records__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("diagnosis", "0002_initial")]

    operations = [migrations.RunPython(load_catalogue, unload_catalogue)]
