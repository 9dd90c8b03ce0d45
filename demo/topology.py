"""The demo cluster: who runs what, and the identifiers Hadoop prints in its logs."""

from dataclasses import dataclass

DOMAIN = "hdp.example"  # .example is reserved (RFC 2606): no real host is ever called this
NAMESERVICE = "hdpcluster"
CLUSTER_ID = "CID-4f1c2a9e-3b7d-4c1e-9a52-6d8e0f1b2c3d"
BLOCK_POOL = "BP-1473268542-10.20.1.1-1700000000000"
NAMESPACE_ID = 1473268542
EDGE_IPS = ("10.20.1.21", "10.20.1.22")  # gateway nodes users submit from (not monitored)
USERS = ("etl", "hive", "spark", "analytics", "hdfs")
QUEUES = ("etl", "adhoc", "default")


@dataclass(frozen=True)
class Host:
    name: str
    ip: str
    roles: tuple[str, ...]
    volumes: int = 0  # DataNode data disks (/data/1 … /data/N)

    @property
    def short(self) -> str:
        return self.name.split(".")[0]

    @property
    def is_worker(self) -> bool:
        return "datanode" in self.roles


def _host(short: str, ip: str, *roles: str, volumes: int = 0) -> Host:
    return Host(f"{short}.{DOMAIN}", ip, roles, volumes)


NAMENODE_1 = _host("nn01", "10.20.1.1", "namenode", "zkfc", "journalnode")
NAMENODE_2 = _host("nn02", "10.20.1.2", "namenode", "zkfc", "journalnode")
RESOURCEMANAGER = _host("rm01", "10.20.1.3", "resourcemanager", "journalnode", "historyserver")
WORKERS = tuple(
    _host(f"dn{n:02d}", f"10.20.1.{10 + n}", "datanode", "nodemanager", volumes=4)
    for n in range(1, 10)
)
HOSTS = (NAMENODE_1, NAMENODE_2, RESOURCEMANAGER, *WORKERS)
HOST_NAMES = tuple(host.name for host in HOSTS)
BY_SHORT = {host.short: host for host in HOSTS}


def host(short: str) -> Host:
    return BY_SHORT[short]


# Sizes that shape the metrics: 4 x 4 TB disks per worker, 96 GB / 32 vcores for YARN.
VOLUME_BYTES = 3_937_000_000_000  # what a 4 TB disk offers after the filesystem
DATANODE_CAPACITY_BYTES = 4 * VOLUME_BYTES - 120_000_000_000  # minus dfs.datanode.du.reserved
NODEMANAGER_MEMORY_MB = 96 * 1024
NODEMANAGER_VCORES = 32
