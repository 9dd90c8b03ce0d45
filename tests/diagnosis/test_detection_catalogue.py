"""Must show 1: each of the 23 catalogue signatures is detected in the text Hadoop writes, in
both its 2.x and 3.x wordings where they differ, and lines that only look like it are not.

Lines are full log4j lines with the logger Hadoop uses, at the level Hadoop logs them; stack
traces are attached as ingestion attaches them, or arrive alone as Flume sends them.
"""

import pytest

from diagnosis.detection import detect_faults
from diagnosis.models import FaultType
from tests.diagnosis.loglines import continuation, log4j, unparsed

pytestmark = pytest.mark.django_db

T = "2024-05-01 10:15:42,123"
BP = "BP-1234567890-10.0.0.1-1600000000000"
BLK = f"{BP}:blk_1073741825_1001"
DN = "org.apache.hadoop.hdfs.server.datanode.DataNode"
CMI = "org.apache.hadoop.yarn.server.nodemanager.containermanager.monitor.ContainersMonitorImpl"
RM_NODE = "org.apache.hadoop.yarn.server.resourcemanager.rmnode.RMNodeImpl"
LIVELINESS = "org.apache.hadoop.yarn.util.AbstractLivelinessMonitor"

SIGNATURES = {
    "datanode_volume_failure": [
        log4j(  # 2.x: FsDatasetImpl refuses to start
            f"{T} ERROR {DN}: Initialization failed for Block pool <registering> (Datanode Uuid "
            "unassigned) service to nn01.example.com/10.0.0.1:8020. Exiting. ",
            trace="org.apache.hadoop.util.DiskChecker$DiskErrorException: Too many failed "
            "volumes - current valid volumes: 3, volumes configured: 4, volumes failed: 1, volume "
            "failures tolerated: 0\n\tat org.apache.hadoop.hdfs.server.datanode.fsdataset.impl."
            "FsDatasetImpl.<init>(FsDatasetImpl.java:285)",
        ),
        log4j(  # 3.x: StorageLocationChecker
            f"{T} ERROR {DN}: Exception in secureMain",
            trace="org.apache.hadoop.util.DiskChecker$DiskErrorException: Too many failed "
            "volumes - current valid volumes: 1, volumes configured: 2, volumes failed: 1, volume "
            "failures tolerated: 0\n\tat org.apache.hadoop.hdfs.server.datanode.checker."
            "StorageLocationChecker.check(StorageLocationChecker.java:231)",
        ),
        log4j(
            f"{T} WARN org.apache.hadoop.hdfs.server.datanode.checker.StorageLocationChecker: "
            "Exception checking StorageLocation [DISK]file:/data/3/dfs/dn",
            trace="org.apache.hadoop.util.DiskChecker$DiskErrorException: Directory is not "
            "writable: /data/3/dfs/dn",
        ),
        log4j(  # the NameNode hears of it
            f"{T} WARN org.apache.hadoop.hdfs.server.namenode.NameNode: Disk error on "
            "DatanodeRegistration(10.92.105.62:10040, datanodeUuid=44c3a0b8-6bad-4d6a-9bbf-"
            "06a735295ce2, infoPort=10060, infoSecurePort=0, ipcPort=50020, storageInfo=lv=-56;"
            "cid=CID-1;nsid=442760267;c=0): DataNode failed volumes:/data/disk10/hdfs/data;",
            host="nn01.example.com",
        ),
    ],
    "datanode_out_of_space": [
        log4j(
            f"{T} ERROR {DN}: dn01.example.com:9866:DataXceiver error processing WRITE_BLOCK "
            "operation  src: /10.0.0.5:41234 dst: /10.0.0.6:9866",
            trace="org.apache.hadoop.util.DiskChecker$DiskOutOfSpaceException: Out of space: The "
            "volume with the most available space (=1048576 B) is less than the block size "
            "(=134217728 B).\n\tat org.apache.hadoop.hdfs.server.datanode.fsdataset."
            "RoundRobinVolumeChoosingPolicy.chooseVolume(RoundRobinVolumeChoosingPolicy.java:97)",
        ),
        log4j(
            f"{T} WARN {DN}: IOException in BlockReceiver constructor :Possible disk error: "
            f"Failed to create /data/1/dfs/dn/current/{BP}/tmp/blk_1073741999. Cause is ",
            trace="java.io.IOException: No space left on device\n\tat java.io.UnixFileSystem."
            "createFileExclusively(Native Method)",
        ),
    ],
    "namenode_low_disk_safemode": [
        log4j(
            f"{T} WARN org.apache.hadoop.hdfs.server.namenode.FSNamesystem: NameNode low on "
            "available disk space. Entering safe mode.",
            host="nn01.example.com",
        ),
        log4j(
            f"{T} WARN org.apache.hadoop.hdfs.server.namenode.FSNamesystem: NameNode low on "
            "available disk space. Already in safe mode.",
            host="nn01.example.com",
        ),
        log4j(
            f"{T} WARN org.apache.hadoop.hdfs.server.namenode.NameNodeResourceChecker: Space "
            "available on volume '/dev/sda3' is 98566144, which is below the configured reserved "
            "amount 104857600",
            host="nn01.example.com",
        ),
        log4j(  # the tip of "STATE* Safe mode is ON." (INFO)
            f"{T} INFO org.apache.hadoop.hdfs.StateChange: STATE* Safe mode is ON.\nResources are "
            "low on NN. Please add or free up more resources then turn off safe mode manually. "
            "NOTE:  If you turn off safe mode before adding resources, the NN will immediately "
            'return to safe mode. Use "hdfs dfsadmin -safemode leave" to turn safe mode off.',
            host="nn01.example.com",
        ),
        unparsed(  # the same tip when it arrived as a line of its own
            "Resources are low on NN. Please add or free up more resources then turn off safe "
            "mode manually.",
            host="nn01.example.com",
        ),
    ],
    "namenode_safemode": [
        log4j(  # 2.x client, through UserGroupInformation
            f"{T} WARN org.apache.hadoop.security.UserGroupInformation: PriviledgedActionException "
            "as:hdfs (auth:SIMPLE) cause:org.apache.hadoop.ipc.RemoteException(org.apache.hadoop."
            "hdfs.server.namenode.SafeModeException): Cannot create directory "
            "/user/hdfs/.staging. Name node is in safe mode.",
            host="edge01.example.com",
        ),
        log4j(  # 3.x, with the block-report tip
            f"{T} ERROR org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Error starting MRAppMaster",
            trace="org.apache.hadoop.ipc.RemoteException(org.apache.hadoop.hdfs.server.namenode."
            "SafeModeException): Cannot create directory /tmp/hadoop-yarn/staging/hdfs/.staging/"
            "job_1700000000000_0042. Name node is in safe mode.\nThe reported blocks 120 needs "
            "additional 3 blocks to reach the threshold 0.9990 of total blocks 123.\nThe minimum "
            "number of live datanodes is not required. Safe mode will be turned off automatically "
            "once the thresholds have been reached. NamenodeHostName:nn01.example.com\n\tat org."
            "apache.hadoop.hdfs.server.namenode.FSNamesystem.newSafemodeException(FSNamesystem."
            "java:1570)",
            host="dn03.example.com",
        ),
        log4j(
            f"{T} ERROR org.apache.hadoop.hdfs.DFSClient: Failed to close inode 16400",
            trace="org.apache.hadoop.ipc.RemoteException(org.apache.hadoop.hdfs.server.namenode."
            "SafeModeException): Cannot add block to /user/etl/out/part-00000. Name node is in "
            'safe mode.\nIt was turned on manually. Use "hdfs dfsadmin -safemode leave" to turn '
            "safe mode off.",
        ),
    ],
    "hdfs_write_no_datanodes": [
        log4j(  # 3.x
            f"{T} WARN org.apache.hadoop.hdfs.DataStreamer: DataStreamer Exception",
            trace="org.apache.hadoop.ipc.RemoteException(java.io.IOException): File "
            "/user/etl/out/part-00000 could only be written to 0 of the 1 minReplication nodes. "
            "There are 3 datanode(s) running and 3 node(s) are excluded in this operation.",
            host="edge01.example.com",
        ),
        log4j(  # 2.x
            f"{T} WARN org.apache.hadoop.hdfs.DFSClient: DataStreamer Exception",
            trace="org.apache.hadoop.ipc.RemoteException(java.io.IOException): File "
            "/user/etl/out/part-00000 could only be replicated to 0 nodes instead of "
            "minReplication (=1).  There are 0 datanode(s) running and no node(s) are excluded "
            "in this operation.",
            host="edge01.example.com",
        ),
    ],
    "hdfs_block_missing": [
        log4j(
            f"{T} WARN org.apache.hadoop.hdfs.DFSClient: Could not obtain block: {BLK} "
            "file=/user/hive/warehouse/t/000000_0 No live nodes contain current block Block "
            "locations: DatanodeInfoWithStorage[10.0.0.6:9866,DS-9f1c2f1e-1b7a-4d5e-8f7a-"
            "2b3c4d5e6f70,DISK] Dead nodes:  DatanodeInfoWithStorage[10.0.0.6:9866,DS-9f1c2f1e-"
            "1b7a-4d5e-8f7a-2b3c4d5e6f70,DISK]. Throwing a BlockMissingException",
        ),
        log4j(
            f"{T} ERROR [main] org.apache.hadoop.mapred.YarnChild: Exception running child : "
            f"org.apache.hadoop.hdfs.BlockMissingException: Could not obtain block: {BLK} "
            "file=/user/etl/input/part-00003",
        ),
        continuation(
            f"Caused by: org.apache.hadoop.hdfs.BlockMissingException: Could not obtain block: "
            f"{BLK} file=/user/etl/input/part-00003"
        ),
    ],
    "hdfs_corrupt_replica": [
        log4j(
            f"{T} ERROR [main] org.apache.hadoop.mapred.YarnChild: Exception running child : "
            "org.apache.hadoop.fs.ChecksumException: Checksum error: /user/etl/in/file.txt at "
            "1048576 exp: 1234567 got: -7654321",
        ),
        log4j(
            f"{T} WARN org.apache.hadoop.hdfs.DFSClient: Found Checksum error for {BLK} from "
            "DatanodeInfoWithStorage[10.0.0.6:9866,DS-9f1c2f1e-1b7a-4d5e-8f7a-2b3c4d5e6f70,DISK] "
            "at 512",
        ),
        log4j(  # 3.x block scanner
            f"{T} WARN org.apache.hadoop.hdfs.server.datanode.VolumeScanner: Reporting bad {BLK} "
            "on /data/2/dfs/dn",
        ),
    ],
    "hdfs_pipeline_failure": [
        log4j(  # 3.x DataStreamer
            f"{T} WARN org.apache.hadoop.hdfs.DataStreamer: DataStreamer Exception",
            trace="java.io.IOException: Failed to replace a bad datanode on the existing pipeline "
            "due to no more good datanodes being available to try. (Nodes: current=["
            "DatanodeInfoWithStorage[10.0.0.6:9866,DS-1,DISK]], original=[DatanodeInfoWithStorage"
            "[10.0.0.6:9866,DS-1,DISK]]). The current failed datanode replacement policy is "
            "DEFAULT, and a client may configure this via 'dfs.client.block.write.replace-"
            "datanode-on-failure.policy' in its configuration.",
        ),
        log4j(  # 2.x DFSClient
            f"{T} WARN org.apache.hadoop.hdfs.DFSClient: DataStreamer Exception",
            trace="java.io.IOException: All datanodes DatanodeInfoWithStorage[10.0.0.6:50010,"
            "DS-1,DISK] are bad. Aborting...",
        ),
    ],
    "hdfs_lease_expired": [
        log4j(  # 2.x
            f"{T} WARN org.apache.hadoop.hdfs.DFSClient: DataStreamer Exception",
            trace="org.apache.hadoop.ipc.RemoteException(org.apache.hadoop.hdfs.server.namenode."
            "LeaseExpiredException): No lease on /tmp/out/_temporary/1/part-0 (inode 16400): "
            "File does not exist. Holder DFSClient_NONMAPREDUCE_-1234567_1 does not have any open "
            "files.",
        ),
        log4j(  # 3.x
            f"{T} ERROR org.apache.hadoop.hdfs.DFSClient: Failed to close file: /tmp/out/part-0 "
            "with inode: 16400",
            trace="org.apache.hadoop.ipc.RemoteException(org.apache.hadoop.hdfs.server.namenode."
            "LeaseExpiredException): No lease on /tmp/out/part-0 (inode 16400): File is not open "
            "for writing. Holder DFSClient_attempt_1700000000000_0042_m_000003_0_1234567_1 does "
            "not have any open files.",
        ),
    ],
    "datanode_cluster_id_mismatch": [
        log4j(  # 2.x
            f"{T} WARN org.apache.hadoop.hdfs.server.common.Storage: java.io.IOException: "
            "Incompatible clusterIDs in /data/1/dfs/dn: namenode clusterID = CID-6b5c3e6e-1f2a-"
            "4c59-9e8f-0a1b2c3d4e5f; datanode clusterID = CID-11111111-2222-3333-4444-"
            "555555555555",
        ),
        log4j(  # 3.x
            f"{T} WARN org.apache.hadoop.hdfs.server.common.Storage: Failed to add storage "
            "directory [DISK]file:/data/1/dfs/dn",
            trace="java.io.IOException: Incompatible clusterIDs in /data/1/dfs/dn: namenode "
            "clusterID = CID-6b5c3e6e-1f2a-4c59-9e8f-0a1b2c3d4e5f; datanode clusterID = "
            "CID-11111111-2222-3333-4444-555555555555",
        ),
    ],
    "datanode_dead": [
        log4j(  # 2.x
            f"{T} INFO org.apache.hadoop.hdfs.StateChange: BLOCK* removeDeadDatanode: lost "
            "heartbeat from 10.0.0.6:50010",
            host="nn01.example.com",
        ),
        log4j(  # 3.x
            f"{T} INFO org.apache.hadoop.hdfs.StateChange: BLOCK* removeDeadDatanode: lost "
            "heartbeat from 172.18.154.201:9866, removeBlocksFromBlockMap true",
            host="nn01.example.com",
        ),
    ],
    "datanode_xceiver_limit": [
        log4j(  # 2.x / 3.x before the spelling fix
            f"{T} ERROR {DN}: dn01.example.com:50010:DataXceiverServer: ",
            trace="java.io.IOException: Xceiver count 4097 exceeds the limit of concurrent "
            "xcievers: 4096",
        ),
        log4j(  # newer spelling
            f"{T} ERROR {DN}: dn01.example.com:9866:DataXceiverServer: ",
            trace="java.io.IOException: Xceiver count 4097 exceeds the limit of concurrent "
            "xceivers: 4096",
        ),
        log4j(  # very old
            f"{T} ERROR {DN}: DatanodeRegistration(10.0.0.6:50010, storageID=DS-1, infoPort="
            "50075, ipcPort=50020):DataXceiver",
            trace="java.io.IOException: xceiverCount 257 exceeds the limit of concurrent "
            "xcievers 256",
        ),
    ],
    "too_many_open_files": [
        log4j(
            f"{T} ERROR {DN}: dn01.example.com:9866:DataXceiverServer: Exiting due to: ",
            trace="java.net.SocketException: Too many open files\n\tat sun.nio.ch.ServerSocket"
            "ChannelImpl.accept0(Native Method)",
        ),
        log4j(
            f"{T} WARN org.apache.hadoop.yarn.server.nodemanager.containermanager.launcher."
            "ContainerLaunch: Failed to launch container.",
            trace="java.io.FileNotFoundException: /data/yarn/nm/usercache/etl/appcache/"
            "application_1700000000000_0042/container_e17_1700000000000_0042_01_000002/"
            "launch_container.sh (Too many open files)",
        ),
        continuation("java.io.IOException: Too many open files"),
    ],
    "jvm_out_of_memory": [
        log4j(
            f"{T} FATAL org.apache.hadoop.yarn.YarnUncaughtExceptionHandler: Thread Thread[IPC "
            "Server handler 3 on 8030,5,main] threw an Error.  Shutting down now...",
            trace="java.lang.OutOfMemoryError: Java heap space",
            host="rm01.example.com",
        ),
        log4j(
            f"{T} ERROR {DN}: dn01.example.com:9866:DataXceiverServer: ",
            trace="java.lang.OutOfMemoryError: unable to create new native thread",
        ),
        log4j(
            f"{T} FATAL [main] org.apache.hadoop.mapred.YarnChild: Error running child : "
            "java.lang.OutOfMemoryError: GC overhead limit exceeded",
        ),
        continuation("Caused by: java.lang.OutOfMemoryError: Java heap space"),
    ],
    "jvm_long_pause": [
        log4j(
            f"{T} WARN org.apache.hadoop.util.JvmPauseMonitor: Detected pause in JVM or host "
            "machine (eg GC): pause of approximately 15234ms\nGC pool 'ParNew' had "
            "collection(s): count=1 time=15012ms",
        ),
        log4j(
            f"{T} WARN org.apache.hadoop.util.JvmPauseMonitor: Detected pause in JVM or host "
            "machine (eg GC): pause of approximately 12001ms\nNo GCs detected",
        ),
    ],
    "container_killed_pmem": [
        log4j(  # 3.x
            f"{T} WARN {CMI}: Container [pid=4733,containerID=container_e17_1700000000000_0042_"
            "01_000007] is running 123731968B beyond the 'PHYSICAL' memory limit. Current usage: "
            "2.1 GB of 2 GB physical memory used; 3.9 GB of 4.2 GB virtual memory used. Killing "
            "container.",
        ),
        log4j(  # 2.x
            f"{T} WARN {CMI}: Container [pid=4733,containerID=container_1409135750325_48141_02_"
            "000001] is running beyond physical memory limits. Current usage: 2.0 GB of 2 GB "
            "physical memory used; 6.0 GB of 4.2 GB virtual memory used. Killing container.",
        ),
        log4j(  # 3.x, strict cgroups enforcement
            f"{T} WARN {CMI}: container_e17_1700000000000_0042_01_000007 is under oom because it "
            "exceeded its physical memory limit",
        ),
    ],
    "container_killed_vmem": [
        log4j(  # 3.x
            f"{T} WARN {CMI}: Container [pid=5120,containerID=container_e17_1700000000000_0042_"
            "01_000009] is running 115343360B beyond the 'VIRTUAL' memory limit. Current usage: "
            "513.4 MB of 1 GB physical memory used; 2.2 GB of 2.1 GB virtual memory used. Killing "
            "container.",
        ),
        log4j(  # 2.x
            f"{T} WARN {CMI}: Container [pid=5120,containerID=container_1409135750325_48141_02_"
            "000003] is running beyond virtual memory limits. Current usage: 513.4 MB of 1 GB "
            "physical memory used; 2.2 GB of 2.1 GB virtual memory used. Killing container.",
        ),
    ],
    "rpc_connection_refused": [
        log4j(
            f"{T} WARN {DN}: IOException in offerService",
            trace="java.net.ConnectException: Call From dn01.example.com/10.0.0.5 to "
            "nn01.example.com:8020 failed on connection exception: java.net.ConnectException: "
            "Connection refused; For more details see:  http://wiki.apache.org/hadoop/"
            "ConnectionRefused",
        ),
        log4j(  # a client with no ResourceManager address configured
            f"{T} ERROR [main] org.apache.hadoop.mapreduce.v2.app.rm.RMCommunicator: Exception "
            "while registering",
            trace="java.net.ConnectException: Call From dn02.example.com/10.0.0.6 to "
            "0.0.0.0:8030 failed on connection exception: java.net.ConnectException: Connection "
            "refused; For more details see:  http://wiki.apache.org/hadoop/ConnectionRefused",
        ),
    ],
    "rpc_socket_timeout": [
        log4j(
            f"{T} WARN org.apache.hadoop.hdfs.DataStreamer: Exception for {BLK}",
            trace="java.net.SocketTimeoutException: 65000 millis timeout while waiting for "
            "channel to be ready for read. ch : java.nio.channels.SocketChannel[connected "
            "local=/10.0.0.5:41234 remote=/10.0.0.6:9866]",
        ),
        log4j(
            f"{T} WARN {DN}: IOException in offerService",
            trace="java.net.SocketTimeoutException: Call From dn01.example.com/10.0.0.5 to "
            "nn01.example.com:8020 failed on socket timeout exception: java.net."
            "SocketTimeoutException: 60000 millis timeout while waiting for channel to be ready "
            "for read. ch : java.nio.channels.SocketChannel[connected local=/10.0.0.5:41234 "
            "remote=nn01.example.com/10.0.0.1:8020]; For more details see:  http://wiki.apache."
            "org/hadoop/SocketTimeout",
        ),
        log4j(
            f"{T} WARN org.apache.hadoop.hdfs.DFSClient: Failed to connect to /10.0.0.6:9866 for "
            f"block {BLK}, add to deadNodes and continue. ",
            trace="org.apache.hadoop.net.ConnectTimeoutException: 60000 millis timeout while "
            "waiting for channel to be ready for connect. ch : java.nio.channels.SocketChannel"
            "[connection-pending remote=/10.0.0.6:9866]",
        ),
        log4j(
            f"{T} WARN org.apache.hadoop.ipc.Client: Exception encountered while connecting to "
            "the server",
            trace='java.io.EOFException: End of File Exception between local host is: "dn01.'
            'example.com/10.0.0.5"; destination host is: "nn01.example.com":8020; : java.io.'
            "EOFException; For more details see:  http://wiki.apache.org/hadoop/EOFException",
        ),
    ],
    "ha_zk_session_expired": [
        log4j(
            f"{T} INFO org.apache.hadoop.ha.ActiveStandbyElector: Session expired. Entering "
            "neutral mode and rejoining...",
            host="nn01.example.com",
        ),
        log4j(  # also a socket timeout, but the health monitor losing the NameNode is the fault
            f"{T} WARN org.apache.hadoop.ha.HealthMonitor: Transport-level exception trying to "
            "monitor health of NameNode at nn01.example.com/10.0.0.1:8020: java.net."
            "SocketTimeoutException: 45000 millis timeout while waiting for channel to be ready "
            "for read. ch : java.nio.channels.SocketChannel[connected local=/10.0.0.1:50122 "
            "remote=nn01.example.com/10.0.0.1:8020]",
            host="nn01.example.com",
        ),
        log4j(  # ResourceManager HA state store
            f"{T} INFO org.apache.hadoop.yarn.server.resourcemanager.recovery.ZKRMStateStore: "
            "Exception while executing a ZK operation.",
            trace="org.apache.zookeeper.KeeperException$SessionExpiredException: KeeperErrorCode "
            "= Session expired for /rmstore/ZKRMStateRoot/RMAppRoot",
            host="rm01.example.com",
        ),
    ],
    "journal_quorum_timeout": [
        log4j(
            f"{T} FATAL org.apache.hadoop.hdfs.server.namenode.FSEditLog: Error: flush failed "
            "for required journal (JournalAndStream(mgr=QJM to [10.0.0.11:8485, 10.0.0.12:8485, "
            "10.0.0.13:8485], stream=QuorumOutputStream starting at txid 123456))",
            trace="java.io.IOException: Timed out waiting 20000ms for a quorum of nodes to "
            "respond.\n\tat org.apache.hadoop.hdfs.qjournal.client.AsyncLoggerSet."
            "waitForWriteQuorum(AsyncLoggerSet.java:137)",
            host="nn01.example.com",
        ),
        log4j(
            f"{T} ERROR org.apache.hadoop.hdfs.server.namenode.FSEditLog: Error: starting log "
            "segment 123457 failed for required journal",
            trace="org.apache.hadoop.hdfs.qjournal.client.QuorumException: Got too many "
            "exceptions to achieve quorum size 2/3. 1 successful responses:\n10.0.0.11:8485: null",
            host="nn01.example.com",
        ),
    ],
    "nodemanager_lost": [
        log4j(
            f"{T} INFO {LIVELINESS}: Expired:dn07.example.com:45454 Timed out after 600 secs",
            host="rm01.example.com",
        ),
    ],
    "nodemanager_unhealthy_disks": [
        log4j(  # 2.x
            f"{T} INFO {RM_NODE}: Node dn07.example.com:45454 reported UNHEALTHY with details: "
            "1/1 local-dirs are bad: /data/yarn/nm; 1/1 log-dirs are bad: /var/log/hadoop-yarn/"
            "userlogs",
            host="rm01.example.com",
        ),
        log4j(  # 3.x
            f"{T} INFO {RM_NODE}: Node dn07.example.com:45454 reported UNHEALTHY with details: "
            "1/1 local-dirs usable space is below configured utilization percentage/no more "
            "usable space [ /data/yarn/nm : used space above threshold of 90.0% ] ; 1/1 log-dirs "
            "usable space is below configured utilization percentage/no more usable space "
            "[ /var/log/hadoop-yarn/userlogs : used space above threshold of 90.0% ]",
            host="rm01.example.com",
        ),
        log4j(  # the NodeManager's own view
            f"{T} WARN org.apache.hadoop.yarn.server.nodemanager.DirectoryCollection: Directory "
            "/data/yarn/nm error, used space above threshold of 90.0%, removing from list of "
            "valid directories",
            host="dn07.example.com",
        ),
    ],
}

# Lines that share words with a signature but are not that fault.
LOOK_ALIKES = {
    "datanode_volume_failure": [
        log4j(f"{T} INFO {DN}: Added volume - [DISK]file:/data/3/dfs/dn, StorageType: DISK"),
        log4j(f"{T} DEBUG {DN}: checkDiskError: DiskErrorException: Too many failed volumes"),
    ],
    "datanode_out_of_space": [
        log4j(
            f"{T} INFO org.apache.hadoop.hdfs.server.datanode.fsdataset.impl.FsDatasetImpl: "
            "Out of space check passed for /data/1/dfs/dn"
        ),
    ],
    "namenode_low_disk_safemode": [
        log4j(f"{T} INFO org.apache.hadoop.hdfs.StateChange: STATE* Safe mode is OFF"),
    ],
    "namenode_safemode": [
        log4j(  # NameNode's own IPC log of a client's rejected call: INFO
            f"{T} INFO org.apache.hadoop.ipc.Server: IPC Server handler 3 on 8020, call Call#5 "
            "Retry#0 org.apache.hadoop.hdfs.protocol.ClientProtocol.mkdirs from 10.0.0.5:41234: "
            "org.apache.hadoop.hdfs.server.namenode.SafeModeException: Cannot create directory "
            "/tmp/x. Name node is in safe mode.",
            host="nn01.example.com",
        ),
        log4j(
            f"{T} DEBUG org.apache.hadoop.hdfs.DFSClient: retrying after SafeModeException: Name "
            "node is in safe mode.",
        ),
        log4j(
            f"{T} INFO org.apache.hadoop.hdfs.StateChange: STATE* Safe mode ON, in safe mode "
            "extension."
        ),
        log4j(f"{T} INFO org.apache.hadoop.hdfs.StateChange: STATE* Safe mode is OFF"),
    ],
    "hdfs_write_no_datanodes": [
        log4j(
            f"{T} WARN org.apache.hadoop.hdfs.server.blockmanagement.BlockPlacementPolicy: Failed "
            "to place enough replicas, still in need of 1 to reach 3 (unavailableStorages=[], "
            "storagePolicy=BlockStoragePolicy{HOT:7, storageTypes=[DISK], creationFallbacks=[], "
            "replicationFallbacks=[ARCHIVE]}, newBlock=true)",
            host="nn01.example.com",
        ),
    ],
    "hdfs_block_missing": [
        log4j(  # a retry that usually succeeds
            f"{T} INFO org.apache.hadoop.hdfs.DFSClient: Could not obtain {BLK} from any node:  "
            "No live nodes contain current block Block locations: DatanodeInfoWithStorage["
            "10.0.0.6:9866,DS-1,DISK] Dead nodes: . Will get new block locations from namenode "
            "and retry...",
        ),
        log4j(
            f"{T} WARN org.apache.hadoop.hdfs.DFSClient: No live nodes contain block {BLK} after "
            "checking nodes = [DatanodeInfoWithStorage[10.0.0.6:9866,DS-1,DISK]], ignoredNodes = "
            "null",
        ),
    ],
    "hdfs_corrupt_replica": [
        log4j(  # an audit line naming a file called Checksum…: INFO, no fault
            f"{T} INFO FSNamesystem.audit: allowed=true\tugi=etl (auth:SIMPLE)\tip=/10.0.0.5\t"
            "cmd=getfilechecksum\tsrc=/data/ChecksumException.log\tdst=null\tperm=null\tproto=rpc",
            host="nn01.example.com",
        ),
        log4j(f"{T} INFO {DN}: dfs.checksum.type = CRC32C, Checksum error detection enabled"),
    ],
    "hdfs_pipeline_failure": [
        log4j(  # one bad node in the pipeline, recovered
            f"{T} WARN org.apache.hadoop.hdfs.DataStreamer: Error Recovery for {BLK} in pipeline "
            "[DatanodeInfoWithStorage[10.0.0.6:9866,DS-1,DISK], DatanodeInfoWithStorage["
            "10.0.0.7:9866,DS-2,DISK]]: datanode 0(DatanodeInfoWithStorage[10.0.0.6:9866,DS-1,"
            "DISK]) is bad.",
        ),
    ],
    "hdfs_lease_expired": [
        log4j(
            f"{T} INFO org.apache.hadoop.hdfs.server.namenode.LeaseManager: [Lease.  Holder: "
            "DFSClient_NONMAPREDUCE_-1234567_1, pending creates: 1] has expired hard limit",
            host="nn01.example.com",
        ),
    ],
    "datanode_cluster_id_mismatch": [
        log4j(
            f"{T} INFO org.apache.hadoop.hdfs.server.common.Storage: Lock on /data/1/dfs/dn/"
            "in_use.lock acquired by nodename 4242@dn01.example.com",
        ),
    ],
    "datanode_dead": [
        log4j(
            f"{T} INFO org.apache.hadoop.hdfs.StateChange: BLOCK* registerDatanode: from "
            "DatanodeRegistration(10.0.0.6:9866, datanodeUuid=126b4743-728d-4800-b5bd-"
            "5e83c819fecc, infoPort=9864, infoSecurePort=0, ipcPort=9867) storage 126b4743",
            host="nn01.example.com",
        ),
        unparsed("Live datanodes (3):  Dead datanodes (0):", host="nn01.example.com"),
        log4j(
            f"{T} INFO org.apache.hadoop.hdfs.server.blockmanagement.DatanodeManager: 3 live, "
            "0 dead, 0 decommissioning datanodes",
            host="nn01.example.com",
        ),
    ],
    "datanode_xceiver_limit": [
        log4j(f"{T} DEBUG {DN}: Number of active connections is: 42"),
    ],
    "too_many_open_files": [
        log4j(f"{T} INFO {DN}: Too many open files check passed: 2048 of 65536 descriptors"),
    ],
    "jvm_out_of_memory": [
        log4j(
            f"{T} WARN org.apache.spark.deploy.yarn.Client: Same path resource spark.executor."
            "extraJavaOptions=-XX:+HeapDumpOnOutOfMemoryError -XX:OnOutOfMemoryError=kill",
            host="edge01.example.com",
        ),
    ],
    "jvm_long_pause": [
        log4j(  # 1-10 s pauses are INFO
            f"{T} INFO org.apache.hadoop.util.JvmPauseMonitor: Detected pause in JVM or host "
            "machine (eg GC): pause of approximately 1523ms\nNo GCs detected",
        ),
    ],
    "container_killed_pmem": [
        log4j(
            f"{T} INFO {CMI}: Memory usage of ProcessTree 4733 for container-id container_e17_"
            "1700000000000_0042_01_000007: 1.2 GB of 2 GB physical memory used; 2.9 GB of 4.2 GB "
            "virtual memory used",
        ),
        SIGNATURES["container_killed_vmem"][0],
    ],
    "container_killed_vmem": [
        SIGNATURES["container_killed_pmem"][0],
        SIGNATURES["container_killed_pmem"][1],
    ],
    "rpc_connection_refused": [
        log4j(  # a DataNode transfer port, not an RPC server
            f"{T} WARN org.apache.hadoop.hdfs.DFSClient: Failed to connect to /10.0.0.6:9866 for "
            f"file /x for block {BLK}, add to deadNodes and continue. ",
            trace="java.net.ConnectException: Connection refused",
        ),
        log4j(  # the client still retrying
            f"{T} INFO org.apache.hadoop.ipc.Client: Retrying connect to server: nn01.example.com/"
            "10.0.0.1:8020. Already tried 3 time(s); retry policy is RetryUpToMaximumCountWith"
            "FixedSleep(maxRetries=10, sleepTime=1000 MILLISECONDS)",
        ),
    ],
    "rpc_socket_timeout": [
        # (No Route to Host is the routing fault: added with peer_no_route below)
        SIGNATURES["ha_zk_session_expired"][1],
    ],
    "ha_zk_session_expired": [
        log4j(f"{T} INFO org.apache.hadoop.ha.ActiveStandbyElector: Session connected."),
        log4j(
            f"{T} INFO org.apache.hadoop.ha.ActiveStandbyElector: Session disconnected. Entering "
            "neutral mode..."
        ),
        log4j(
            f"{T} INFO org.apache.zookeeper.ClientCnxn: Session establishment complete on server "
            "zk01.example.com/10.0.0.9:2181, sessionid = 0x17f3a2b4c5d6e7f0, negotiated timeout "
            "= 5000"
        ),
    ],
    "journal_quorum_timeout": [
        log4j(  # still waiting: a precursor, not the failure
            f"{T} WARN org.apache.hadoop.hdfs.qjournal.client.QuorumJournalManager: Waited 18014 "
            "ms (timeout=20000 ms) for a response for sendEdits. No responses yet.",
            host="nn01.example.com",
        ),
    ],
    "nodemanager_lost": [
        log4j(  # an ApplicationMaster expiring, not a node
            f"{T} INFO {LIVELINESS}: Expired:appattempt_1700000000000_0042_000001 Timed out "
            "after 600 secs",
            host="rm01.example.com",
        ),
        log4j(
            f"{T} INFO {LIVELINESS}: Expired:container_e17_1700000000000_0042_01_000002 Timed "
            "out after 600 secs",
            host="rm01.example.com",
        ),
    ],
    "nodemanager_unhealthy_disks": [
        log4j(
            f"{T} INFO org.apache.hadoop.yarn.server.nodemanager.LocalDirsHandlerService: Disk(s) "
            "turned good: 1/1 local-dirs are good: /data/yarn/nm",
            host="dn07.example.com",
        ),
        log4j(
            f"{T} INFO {RM_NODE}: dn07.example.com:45454 Node Transitioned from UNHEALTHY to "
            "RUNNING",
            host="rm01.example.com",
        ),
    ],
}


# The failures on-call meets most (migration 0008; wordings from docs/hadoop-messages.md).
SIGNATURES.update(
    {
        "peer_no_route": [
            log4j(  # the routing variant of NetUtils.wrapException (two spaces after "from")
                f"{T} WARN {DN}: IOException in offerService",
                trace="java.net.NoRouteToHostException: No Route to Host from  dn01.example.com/"
                "10.0.0.5 to nn01.example.com:8020 failed on socket timeout exception: java.net."
                "NoRouteToHostException: No route to host; For more details see:  http://wiki."
                "apache.org/hadoop/NoRouteToHost",
            ),
            log4j(  # the MapReduce task listener, FATAL, the exception in the message
                f"{T} FATAL [IPC Server handler 4 on 62270] org.apache.hadoop.mapred."
                "TaskAttemptListenerImpl: Task: attempt_1445144423722_0020_m_000005_0 - exited : "
                "java.net.NoRouteToHostException: No Route to Host from  worker17/10.0.0.17 to "
                "master1:8030 failed on socket timeout exception: java.net.NoRouteToHostException:"
                " No route to host: no further information; For more details see:  http://wiki."
                "apache.org/hadoop/NoRouteToHost",
            ),
        ],
        "peer_unknown_host": [
            log4j(
                f"{T} ERROR org.apache.hadoop.hdfs.server.namenode.ha.BootstrapStandby: Unable to "
                "fetch namespace information from remote NN",
                trace="java.net.UnknownHostException: Invalid host name: local host is: "
                '"nn02.example.com/10.0.0.2"; destination host is: "nn1.example.con":8020; '
                "java.net.UnknownHostException; For more details see:  http://wiki.apache.org/"
                "hadoop/UnknownHost",
            ),
        ],
        "peer_address_changed": [
            log4j(
                f"{T} WARN [LeaseRenewer:etl@master1:9000] org.apache.hadoop.ipc.Client: Address "
                "change detected. Old: master1/10.0.0.1:9000 New: master1:9000",
            ),
        ],
        "peer_connect_retrying": [
            log4j(
                f"{T} INFO org.apache.hadoop.ipc.Client: Retrying connect to server: nn01.example."
                "com/10.0.0.1:8020. Already tried 3 time(s); retry policy is RetryUpToMaximumCount"
                "WithFixedSleep(maxRetries=10, sleepTime=1000 MILLISECONDS)",
            ),
            log4j(
                f"{T} INFO [main] org.apache.hadoop.ipc.Client: Retrying connect to server: master1"
                ":8030. Already tried 0 time(s); maxRetries=45",
            ),
        ],
        "hdfs_lease_renew_failed": [
            log4j(
                f"{T} WARN org.apache.hadoop.hdfs.client.impl.LeaseRenewer: Failed to renew lease "
                "for [DFSClient_NONMAPREDUCE_-1234567_1] for 30 seconds.  Will retry shortly ...",
            ),
            log4j(  # 2.x logger; the cause in the trace does not change what failed
                f"{T} WARN [LeaseRenewer:msrabi@msra-sa-41:9000] org.apache.hadoop.hdfs."
                "LeaseRenewer: Failed to renew lease for [DFSClient_NONMAPREDUCE_1537864556_1] for "
                "128 seconds.  Will retry shortly ...",
                trace="java.net.ConnectException: Call From worker17/10.0.0.17 to msra-sa-41:9000 "
                "failed on connection exception: java.net.ConnectException: Connection refused;",
            ),
        ],
        "rm_contact_failed": [
            log4j(
                f"{T} ERROR [RMCommunicator Allocator] org.apache.hadoop.mapreduce.v2.app.rm."
                "RMContainerAllocator: ERROR IN CONTACTING RM. ",
            ),
            log4j(
                f"{T} ERROR [RMCommunicator Allocator] org.apache.hadoop.mapreduce.v2.app.rm."
                "RMCommunicator: Error communicating with RM: Resource Manager doesn't recognize "
                "AttemptId: appattempt_1445144423722_0020_000001",
            ),
        ],
        "daemon_exit": [
            log4j(
                f"{T} INFO org.apache.hadoop.util.ExitUtil: Exiting with status 1: java.io."
                "IOException: All specified directories have failed to load.",
            ),
            log4j(f"{T} INFO util.ExitUtil: Exiting with status 1"),
        ],
        "hdfs_pipeline_datanode_bad": [
            log4j(
                f"{T} WARN org.apache.hadoop.hdfs.DataStreamer: Error Recovery for {BLK} in "
                "pipeline [DatanodeInfoWithStorage[10.0.0.5:9866,DS-1,DISK], DatanodeInfoWith"
                "Storage[10.0.0.6:9866,DS-2,DISK]]: datanode 0(DatanodeInfoWithStorage[10.0.0.5:"
                "9866,DS-1,DISK]) is bad.",
            ),
            log4j(
                f"{T} WARN org.apache.hadoop.hdfs.DataStreamer: Excluding datanode DatanodeInfo"
                "WithStorage[10.0.0.5:9866,DS-1,DISK]",
            ),
        ],
    }
)
LOOK_ALIKES["rpc_socket_timeout"].append(SIGNATURES["peer_no_route"][0])
LOOK_ALIKES.update(
    {
        "peer_no_route": [SIGNATURES["rpc_connection_refused"][0]],
        "peer_unknown_host": [
            log4j(f"{T} INFO org.apache.hadoop.hdfs.DFSClient: Resolved nn1 to 10.0.0.1"),
        ],
        "peer_address_changed": [
            log4j(f"{T} INFO org.apache.hadoop.ipc.Client: Address change detected in config"),
        ],
        "peer_connect_retrying": [
            log4j(  # a DEBUG line below the type's bar
                f"{T} DEBUG org.apache.hadoop.ipc.Client: Retrying connect to server: master1:8030"
                ". Already tried 0 time(s); maxRetries=45",
            ),
        ],
        "hdfs_lease_renew_failed": [
            log4j(
                f"{T} INFO org.apache.hadoop.hdfs.client.impl.LeaseRenewer: Lease renewer daemon "
                "for [DFSClient_NONMAPREDUCE_-1234567_1] with renew id 1 started",
            ),
        ],
        "rm_contact_failed": [
            log4j(
                f"{T} INFO [main] org.apache.hadoop.yarn.client.RMProxy: Connecting to "
                "ResourceManager at master1/10.0.0.1:8030",
            ),
        ],
        "daemon_exit": [
            log4j(f"{T} INFO org.apache.hadoop.util.ExitUtil: Exiting with status 0"),
            log4j(f"{T} INFO org.apache.hadoop.hdfs.DFSClient: Exiting with status 1"),
        ],
        "hdfs_pipeline_datanode_bad": [
            log4j(
                f"{T} INFO org.apache.hadoop.hdfs.DataStreamer: Exception in createBlockOutput"
                f"Stream {BLK}",
            ),
        ],
    }
)


def _cases(table):
    return [
        pytest.param(code, line, id=f"{code}-{n}")
        for code, lines in table.items()
        for n, line in enumerate(lines)
    ]


def test_every_catalogue_type_is_covered():
    # Log signatures only: the metric-raised types (cluster thresholds) have no patterns.
    codes = set(
        FaultType.objects.filter(is_builtin=True)
        .exclude(code="unclassified")
        .exclude(patterns="")
        .values_list("code", flat=True)
    )
    assert len(codes) == 31
    assert codes == set(SIGNATURES) == set(LOOK_ALIKES)


@pytest.mark.parametrize(("code", "line"), _cases(SIGNATURES))
def test_signature_is_detected_as_its_type(code, line):
    detected = detect_faults([line])
    assert [occ.fault_type.code for _, occ in detected] == [code]


@pytest.mark.parametrize(("code", "line"), _cases(LOOK_ALIKES))
def test_look_alike_is_not_that_fault(code, line):
    detected = detect_faults([line])
    assert code not in [occ.fault_type.code for _, occ in detected]
