"""The demo week's story: when each incident happens, and the cluster's state at any moment.

Times are hours from the start of the week (which ends at "now"). Everything else — log lines,
snapshots, faults, script runs — reads the state from here, so they tell the same story.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

WEEK_HOURS = 7 * 24

# dn04's DataNode pauses, dies of OutOfMemoryError, is declared dead 10.5 min later, restarted.
DN04_PAUSES = (19.6, 20.45)
DN04_DIES = 20.5
DN04_DECLARED_DEAD = DN04_DIES + 10.5 / 60
DN04_BACK = 23.5
# dn07 runs out of file descriptors (nofile 1024 after a reinstall); fixed, then it comes back
# after a package upgrade restores the packaged systemd unit.
DN07_FD_EXHAUSTED = (40.0, 41.5)
DN07_FIXED = 44.0
DN07_RESTARTED = 138.8
DN07_FD_AGAIN = (139.5, 142.0)
# nn01's name-dir volume fills with unrotated audit logs: low-resource safe mode.
SAFE_MODE = (60.0, 61.3)
# A 35 s host freeze on nn01: ZooKeeper session lost, edits quorum timed out, nn01's NameNode
# exits and nn02 takes over; nn01 is restarted as standby.
NN01_FREEZE = 100.0
NN01_DOWN = (100.02, 100.6)
DN08_BAD_REPLICA = 130.2
# dn06's YARN local dirs cross 90 % (a stuck Spark job's appcache): NodeManager UNHEALTHY, still.
DN06_UNHEALTHY_FROM = 158.0
STUCK_APP_STARTED = DN06_UNHEALTHY_FROM - 8


@dataclass(frozen=True)
class Week:
    start: datetime  # UTC
    end: datetime  # "now", UTC
    zone: ZoneInfo

    @classmethod
    def ending(cls, now: datetime, zone: ZoneInfo) -> "Week":
        # A minute back from now, on the minute: lines placed a few seconds after the week's last
        # moment (jitter, follow-up lines) must still lie in the past, never ahead of "now".
        end = (now - timedelta(minutes=1)).replace(second=0, microsecond=0)
        return cls(start=end - timedelta(hours=WEEK_HOURS), end=end, zone=zone)

    def at(self, hours: float) -> datetime:
        return self.start + timedelta(hours=hours)

    def hours(self, moment: datetime) -> float:
        return (moment - self.start).total_seconds() / 3600

    def local_hour(self, hours: float) -> int:
        return self.at(hours).astimezone(self.zone).hour

    def activity(self, hours: float) -> float:
        """Relative load: the nightly ETL window is busiest, office hours next."""
        hour = self.local_hour(hours)
        if 1 <= hour < 5:
            return 1.6
        if 9 <= hour < 18:
            return 1.1
        return 0.6

    def nightly(self, local_hour: float) -> list[float]:
        """Hours (from start) of each night's `local_hour` within the week."""
        moments = []
        first = self.start.astimezone(self.zone).replace(hour=0, minute=0, second=0)
        for day in range(9):
            local = first + timedelta(days=day, hours=local_hour)
            hours = self.hours(local.astimezone(self.start.tzinfo))
            if 0 < hours < WEEK_HOURS:
                moments.append(hours)
        return moments


def within(hours: float, span: tuple[float, float]) -> bool:
    return span[0] <= hours < span[1]


def active_namenode(hours: float) -> str:
    return "nn01" if hours < NN01_FREEZE else "nn02"


def namenode_up(short: str, hours: float) -> bool:
    return not (short == "nn01" and within(hours, NN01_DOWN))


def datanode_state(short: str, hours: float) -> str:
    if short == "dn04" and DN04_DIES <= hours < DN04_BACK:
        return "dead" if hours >= DN04_DECLARED_DEAD else "stale"
    return "live"


def datanode_running(short: str, hours: float) -> bool:
    return not (short == "dn04" and DN04_DIES <= hours < DN04_BACK)


def nodemanager_state(short: str, hours: float) -> str:
    if short == "dn06" and hours >= DN06_UNHEALTHY_FROM:
        return "UNHEALTHY"
    return "RUNNING"


def safe_mode(hours: float) -> bool:
    return within(hours, SAFE_MODE)
