"""Runs of the operators' scripts: nightly cron jobs and the runbooks used in the incidents."""

import random
from dataclasses import dataclass, field
from datetime import timedelta

from demo import scenario as sc
from demo.lines import Ids
from demo.topology import WORKERS, host
from runs.models import ExecLog

Status = ExecLog.Status
Trigger = ExecLog.Trigger


@dataclass
class Run:
    hours: float
    script: str
    short: str
    status: str
    exit_code: int | None
    seconds: float | None  # None: never reported finishing
    stdout: str = ""
    stderr: str = ""
    args: list[str] = field(default_factory=list)
    trigger: str = Trigger.CRON
    timeout: int | None = 3600
    fault: str = ""  # key of the demo fault the run belongs to


def _fsck(week, rng, hours: float) -> Run:
    short = sc.active_namenode(hours)
    local = week.at(hours).astimezone(week.zone)
    blocks = 2_104_000 + int(61_000 * hours / sc.WEEK_HOURS)
    seconds = rng.uniform(380, 520)
    stdout = (
        f"FSCK started by hdfs (auth:SIMPLE) from /{host(short).ip} for path / at "
        f"{local:%a %b %d %H:%M:%S %Z %Y}\n\n"
        "Status: HEALTHY\n"
        " Number of data-nodes:\t9\n"
        " Number of racks:\t\t1\n"
        f" Total files:\t{1_452_000 + int(40_000 * hours / sc.WEEK_HOURS)}\n"
        f" Total blocks (validated):\t{blocks} (avg. block size 98213455 B)\n"
        f" Minimally replicated blocks:\t{blocks} (100.0 %)\n"
        " Under-replicated blocks:\t0 (0.0 %)\n"
        " Default replication factor:\t3\n"
        " Average block replication:\t3.0\n"
        " Corrupt blocks:\t\t0\n"
        " Missing replicas:\t\t0 (0.0 %)\n"
        f"FSCK ended at {local + timedelta(seconds=seconds):%a %b %d %H:%M:%S %Z %Y} in "
        f"{int(seconds * 1000)} milliseconds\n\n"
        "The filesystem under path '/' is HEALTHY\n"
    )
    return Run(
        hours, "hdfs_fsck_report.sh", short, Status.SUCCEEDED, 0, seconds, stdout, args=["/"]
    )


def _backup(week, rng, hours: float, night: int) -> Run:
    standby = "nn02" if sc.active_namenode(hours) == "nn01" else "nn01"
    local = week.at(hours).astimezone(week.zone)
    txid = 48_100_000 + int(hours * 3000)
    if night == 4:
        return Run(
            hours,
            "backup_namenode_fsimage.sh",
            standby,
            Status.FAILED,
            1,
            rng.uniform(60, 90),
            f"Fetching the latest fsimage from {host(standby).name}:9870 ...\n"
            f"Downloaded fsimage_{txid:019d} (1.71 GB)\n",
            f"gzip: /backup/namenode/fsimage_{local:%Y-%m-%d}.gz: No space left on device\n",
        )
    pruned = 3 if night == 5 else 1
    return Run(
        hours,
        "backup_namenode_fsimage.sh",
        standby,
        Status.SUCCEEDED,
        0,
        rng.uniform(70, 110),
        f"Fetching the latest fsimage from {host(standby).name}:9870 ...\n"
        f"Downloaded fsimage_{txid:019d} (1.71 GB)\n"
        f"Copied to /backup/namenode/fsimage_{local:%Y-%m-%d}.gz (612 MB)\n"
        f"Pruned {pruned} backup(s) older than 14 days\n",
    )


def _balancer(week, rng, hours: float, night: int) -> Run:
    args = ["-threshold", "10"]
    if night == 2:
        return Run(
            hours,
            "hdfs_balancer.sh",
            "rm01",
            Status.FAILED,
            255,
            4.2,
            "",
            "java.io.IOException: Another Balancer is running..  Exiting ...\n",
            args=args,
            timeout=14400,
        )
    minutes = rng.uniform(25, 70)
    moved = rng.uniform(0.2, 0.9)
    local = week.at(hours).astimezone(week.zone)
    stdout = (
        "Time Stamp               Iteration#  Bytes Already Moved  Bytes Left To Move  "
        "Bytes Being Moved\n"
        f"{local:%b %d, %Y %I:%M:%S %p}           0                  0 B           "
        f"{moved + 0.4:.2f} TB            40 GB\n"
        f"{local + timedelta(minutes=minutes):%b %d, %Y %I:%M:%S %p}           "
        f"{int(minutes // 12)}           {moved:.2f} TB                 0 B                 0 B\n"
        "The cluster is balanced. Exiting...\n"
        f"Balancing took {minutes:.1f} minutes\n"
    )
    return Run(
        hours,
        "hdfs_balancer.sh",
        "rm01",
        Status.SUCCEEDED,
        0,
        minutes * 60,
        stdout,
        args=args,
        timeout=14400,
    )


def _disk_check(rng, hours: float, short: str, *, trigger=Trigger.CRON, fault="") -> Run:
    failing = short == "dn08" and hours > sc.DN08_BAD_REPLICA
    lines = [f"Checking 4 data volumes on {short}.hdp.example"]
    for disk in range(1, 5):
        used = rng.randint(62, 78)
        if failing and disk == 3:
            lines.append(
                f"/data/{disk}  ext4  rw  3.6T  used {used}%  SMART FAILED: "
                "Reallocated_Sector_Ct 24 (threshold 10), Current_Pending_Sector 8"
            )
        else:
            lines.append(f"/data/{disk}  ext4  rw  3.6T  used {used}%  SMART PASSED")
    lines.append("1 of 4 volumes need attention" if failing else "All 4 volumes healthy")
    return Run(
        hours,
        "check_datanode_disks.sh",
        short,
        Status.FAILED if failing else Status.SUCCEEDED,
        1 if failing else 0,
        rng.uniform(8, 25),
        "\n".join(lines) + "\n",
        "smartctl: /dev/sdd: 8 sectors pending reallocation\n" if failing else "",
        trigger=trigger,
        timeout=600,
        fault=fault,
    )


def incident_runs(rng: random.Random) -> list[Run]:
    stuck = "{stuck}"  # filled in by exec_logs, which knows the ResourceManager's start
    return [
        _disk_check(rng, 23.0, "dn04", trigger=Trigger.FAULT, fault="dn04-dead"),
        Run(
            23.35,
            "restart_datanode.sh",
            "dn04",
            Status.SUCCEEDED,
            0,
            95.4,
            "Stopping DataNode on dn04.hdp.example: not running (pid 28731 is gone)\n"
            "Heap: HDFS_DATANODE_OPTS -Xmx4g -> -Xmx8g\n"
            "Starting DataNode ...\n"
            "open files (-n) 128000\n"
            "DataNode registered with nn01.hdp.example:8020 after 38 s\n"
            "OK\n",
            trigger=Trigger.FAULT,
            timeout=900,
            fault="dn04-dead",
        ),
        Run(
            sc.DN07_FIXED - 0.05,
            "restart_datanode.sh",
            "dn07",
            Status.SUCCEEDED,
            0,
            88.1,
            "Stopping DataNode on dn07.hdp.example (pid 11902) ... stopped\n"
            "Starting DataNode ...\n"
            "open files (-n) 128000\n"
            "DataNode registered with nn01.hdp.example:8020 after 41 s\n"
            "OK\n",
            trigger=Trigger.FAULT,
            timeout=900,
            fault="dn07-fd",
        ),
        Run(
            sc.SAFE_MODE[0] + 0.85,
            "clean_node_disk.sh",
            "nn01",
            Status.FAILED,
            1,
            2.3,
            "Cleaning rotated Hadoop logs on nn01.hdp.example (/var/log/hadoop)\n",
            "rm: cannot remove '/var/log/hadoop/hdfs/hdfs-audit.log.2026-11-21': "
            "Permission denied\n"
            "clean_node_disk.sh must run as hdfs or root\n",
            args=["--logs-only"],
            trigger=Trigger.MANUAL,
            timeout=1800,
            fault="nn-low-disk",
        ),
        Run(
            sc.SAFE_MODE[0] + 1.05,
            "clean_node_disk.sh",
            "nn01",
            Status.SUCCEEDED,
            0,
            212.7,
            "Cleaning rotated Hadoop logs on nn01.hdp.example (/var/log/hadoop)\n"
            "Compressed 41 files (hdfs-audit.log.*), removed 12 older than 30 days\n"
            "Freed 14.2 GiB on /dev/mapper/vg_meta-lv_nn (now 61% used)\n",
            args=["--logs-only"],
            trigger=Trigger.MANUAL,
            timeout=1800,
            fault="nn-low-disk",
        ),
        _disk_check(
            rng, sc.DN08_BAD_REPLICA + 1.3, "dn08", trigger=Trigger.FAULT, fault="dn08-corrupt"
        ),
        Run(
            sc.DN06_UNHEALTHY_FROM + 0.6,
            "clean_node_disk.sh",
            "dn06",
            Status.TIMED_OUT,
            None,
            None,
            args=["--yarn-local"],
            trigger=Trigger.FAULT,
            timeout=1800,
            fault="dn06-unhealthy",
        ),
        Run(
            sc.DN06_UNHEALTHY_FROM + 1.4,
            "clean_node_disk.sh",
            "dn06",
            Status.FAILED,
            3,
            6.9,
            "Scanning /data/yarn/local/usercache (412 GB)\n"
            "analytics/appcache: 371 GB, 1 running application\n",
            f"Refusing to delete the appcache of running application {stuck}: kill it first "
            f"(yarn application -kill {stuck})\n",
            args=["--yarn-local"],
            trigger=Trigger.FAULT,
            timeout=1800,
            fault="dn06-unhealthy",
        ),
        # Started by bob once capacity crossed 75 %: still running now.
        Run(
            sc.WEEK_HOURS - 0.7,
            "hdfs_balancer.sh",
            "rm01",
            Status.RUNNING,
            None,
            None,
            args=["-threshold", "5"],
            trigger=Trigger.MANUAL,
            timeout=14400,
        ),
    ]


def scheduled_runs(week, rng: random.Random) -> list[Run]:
    runs = [_fsck(week, rng, hours) for hours in week.nightly(2.0)]
    runs += [_backup(week, rng, hours, night) for night, hours in enumerate(week.nightly(3.5))]
    runs += [_balancer(week, rng, hours, night) for night, hours in enumerate(week.nightly(22.0))]
    for hours in week.nightly(6.0):
        runs += [_disk_check(rng, hours + index / 600, w.short) for index, w in enumerate(WORKERS)]
    return [
        run for run in runs if run.seconds is None or run.hours + run.seconds / 3600 < sc.WEEK_HOURS
    ]


def exec_logs(week, runs: list[Run], *, rm_started_ms: int) -> list[tuple[ExecLog, str]]:
    """The runs as unsaved rows, each with the key of the demo fault it belongs to (or "")."""
    ids = Ids(rng=random.Random(0), rm_started_ms=rm_started_ms)
    stuck = ids.app_name(ids.app_seq_at(sc.STUCK_APP_STARTED))
    rows = []
    for number, run in enumerate(sorted(runs, key=lambda r: r.hours), start=1):
        started = week.at(run.hours).replace(microsecond=0)
        finished = None if run.seconds is None else started + timedelta(seconds=run.seconds)
        stdout = run.stdout.replace("{stuck}", stuck)
        stderr = run.stderr.replace("{stuck}", stuck)
        row = ExecLog(
            script=run.script,
            args=run.args,
            host=host(run.short).name,
            trigger=run.trigger,
            status=run.status,
            exit_code=run.exit_code,
            started_at=started,
            finished_at=finished,
            duration_seconds=None if run.seconds is None else round(run.seconds, 1),
            timeout_seconds=run.timeout,
            stdout_tail=stdout,
            stderr_tail=stderr,
            stdout_bytes=None if finished is None else len(stdout.encode()),
            stderr_bytes=None if finished is None else len(stderr.encode()),
            client_run_id=f"demo-run-{number:04d}",
        )
        rows.append((row, run.fault))
    return rows
