"""Log lines as Hadoop writes them, and the SystemLog rows a parser would make of them.

Two log4j layouts: the daemons' `%d{ISO8601} %p %c: %m%n` and the YARN container (MapReduce
task) `%d{ISO8601} %p [%t] %c: %m%n`. Timestamps are written in the cluster's local time
(CLUSTER_TIME_ZONE) and stored in UTC, as ingestion does. A stack trace travels with its event
(`trace`), and a few lines are in no layout at all (a daemon's .out file): level UNKNOWN,
no time, kept raw.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from demo.topology import BLOCK_POOL, Host
from logs.models import SystemLog

# daemon -> (logtype, file under the node's log directory)
DAEMON_FILES = {
    "namenode": ("hdfs", "/var/log/hadoop/hdfs/hadoop-hdfs-namenode-{host}.log"),
    "datanode": ("hdfs", "/var/log/hadoop/hdfs/hadoop-hdfs-datanode-{host}.log"),
    "zkfc": ("hdfs", "/var/log/hadoop/hdfs/hadoop-hdfs-zkfc-{host}.log"),
    "journalnode": ("hdfs", "/var/log/hadoop/hdfs/hadoop-hdfs-journalnode-{host}.log"),
    "audit": ("hdfs", "/var/log/hadoop/hdfs/hdfs-audit.log"),
    "datanode.out": ("hdfs", "/var/log/hadoop/hdfs/hadoop-hdfs-datanode-{host}.out"),
    "resourcemanager": ("yarn", "/var/log/hadoop-yarn/yarn/hadoop-yarn-resourcemanager-{host}.log"),
    "nodemanager": ("yarn", "/var/log/hadoop-yarn/yarn/hadoop-yarn-nodemanager-{host}.log"),
    "container": ("mapreduce", "/data/yarn/log/{app}/{container}/syslog"),
}


@dataclass
class Line:
    at: datetime  # UTC, millisecond precision
    host: Host
    daemon: str
    level: str
    component: str
    message: str
    thread: str = ""  # container layout only
    trace: str = ""
    fault: str = ""  # key of the demo fault this line is evidence of
    app: str = ""  # container lines: where the file lives
    container: str = ""
    unparsed: bool = False  # no layout: stored raw, level UNKNOWN, no time


# Identifiers grow with time at a steady pace, so any part of the story can name the block,
# transaction or application current at its moment, in whatever order it is generated.
APPS_PER_HOUR = 14
TXNS_PER_HOUR = 28_000
BLOCKS_PER_HOUR = 9_000


@dataclass
class Ids:
    """Identifiers that look like one running cluster's: blocks, transactions, applications."""

    rng: random.Random
    rm_started_ms: int
    block: int = 0  # the last block the NameNode allocated (background traffic)
    app_seq: int = 0  # the last application id handed out (background traffic)
    focus: str = ""  # the application whose container is writing, if any

    # --- as of a moment ----------------------------------------------------------------------
    def block_at(self, hours: float) -> int:
        return 1_074_512_000 + int(hours * BLOCKS_PER_HOUR)

    def genstamp_at(self, hours: float) -> int:
        return 1_771_000 + int(hours * BLOCKS_PER_HOUR * 1.05)

    def txid_at(self, hours: float) -> int:
        return 48_100_000 + int(hours * TXNS_PER_HOUR)

    def app_seq_at(self, hours: float) -> int:
        return 381 + int(hours * APPS_PER_HOUR)

    def app_name(self, seq: int) -> str:
        return f"application_{self.rm_started_ms}_{seq:04d}"

    # --- blocks ------------------------------------------------------------------------------
    def next_block(self, hours: float) -> str:
        """A newly allocated block (background traffic, generated in time order)."""
        self.block = max(self.block + self.rng.randint(1, 40), self.block_at(hours))
        return f"blk_{self.block}_{self.genstamp_at(hours) + self.block % 997}"

    def recent_block(self, hours: float) -> str:
        """A block written shortly before `hours`, with its block pool."""
        number = self.block_at(hours) - self.rng.randint(0, 8000)
        return f"{BLOCK_POOL}:blk_{number}_{self.genstamp_at(hours) - self.rng.randint(0, 8000)}"

    def pooled_block(self, hours: float) -> str:
        """An older block, as read, replicated or deleted."""
        number = self.block_at(hours) - self.rng.randint(50, 900_000)
        return f"blk_{number}_{number - 1_074_512_000 + 1_762_000}"

    # --- applications ------------------------------------------------------------------------
    def new_app(self, hours: float) -> str:
        """The next application id (background traffic, generated in time order)."""
        self.app_seq = max(self.app_seq + 1, self.app_seq_at(hours))
        return self.app_name(self.app_seq)

    def app(self, hours: float) -> str:
        """One of the dozen applications running at `hours`."""
        if self.focus:
            return self.focus
        return self.app_name(self.app_seq_at(hours) - self.rng.randint(1, 12))

    def container(self, app: str, number: int | None = None) -> str:
        seq = app.removeprefix("application_")
        number = number if number is not None else self.rng.randint(2, 180)
        return f"container_e07_{seq}_01_{number:06d}"

    def attempt(self, app: str, kind: str = "m", number: int | None = None) -> str:
        seq = app.removeprefix("application_")
        number = number if number is not None else self.rng.randint(0, 240)
        return f"attempt_{seq}_{kind}_{number:06d}_0"

    def client_id(self) -> str:
        return f"DFSClient_NONMAPREDUCE_{-self.rng.randint(10**8, 2 * 10**9)}_1"


def local_timestamp(at: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M:%S") + f",{local.microsecond // 1000:03d}"


def render_raw(line: Line, zone: ZoneInfo) -> str:
    if line.unparsed:
        return line.message
    stamp = local_timestamp(line.at, zone)
    if line.daemon == "container":
        text = f"{stamp} {line.level} [{line.thread}] {line.component}: {line.message}"
    else:
        text = f"{stamp} {line.level} {line.component}: {line.message}"
    return f"{text}\n{line.trace}" if line.trace else text


def to_system_log(line: Line, zone: ZoneInfo, *, delay: timedelta) -> SystemLog:
    logtype, path = DAEMON_FILES[line.daemon]
    source = path.format(host=line.host.name, app=line.app, container=line.container)
    return SystemLog(
        host=line.host.name,
        logtype=logtype,
        source_file=source,
        log_time=None if line.unparsed else line.at,
        level="UNKNOWN" if line.unparsed else line.level,
        component="" if line.unparsed else line.component,
        thread=line.thread,
        message=line.message,
        trace=line.trace,
        raw=render_raw(line, zone),
        received_at=line.at + delay,  # Flume's TAILDIR source ships within seconds
    )
