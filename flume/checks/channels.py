"""Channel checks: types, capacities, a memory channel's lost backlog, file channel directories."""

from __future__ import annotations

from flume.agent import Agent, Component
from flume.checks.base import Report, known_type, parse_int

CHANNEL_ALIASES = {"memory", "file", "jdbc", "spillablememory", "kafka"}
FILE_CHANNEL_CLASS = "org.apache.flume.channel.file.filechannel"
MEMORY_CHANNEL_CLASSES = {
    "memory",
    "spillablememory",
    "org.apache.flume.channel.memorychannel",
    "org.apache.flume.channel.spillablememorychannel",
}
FILE_CHANNEL_KEYS = {
    "type", "checkpointDir", "backupCheckpointDir", "dataDirs", "transactionCapacity",
    "checkpointInterval", "maxFileSize", "minimumRequiredSpace", "capacity", "keep-alive",
    "use-log-replay-v1", "use-fast-replay", "useDualCheckpoints", "checkpointOnClose",
    "fsyncPerTransaction", "fsyncInterval", "compressBackupCheckpoint",
}  # fmt: skip

# (capacity, transactionCapacity) when unset.
CHANNEL_DEFAULTS = {"file": (1_000_000, 10_000), "memory": (100, 100)}
MIN_REQUIRED_SPACE_FLOOR = 1024 * 1024


def channel_kind(component: Component) -> str:
    type_value = component.type.lower()
    if type_value in ("file", FILE_CHANNEL_CLASS):
        return "file"
    if type_value in MEMORY_CHANNEL_CLASSES:
        return "memory"
    return "other"


def channel_capacities(component: Component) -> tuple[int | None, int | None]:
    defaults = CHANNEL_DEFAULTS.get(channel_kind(component), (None, None))
    capacity = component.keys.get("capacity")
    transaction = component.keys.get("transactionCapacity")
    return (
        parse_int(capacity) if capacity is not None else defaults[0],
        parse_int(transaction) if transaction is not None else defaults[1],
    )


def check_channel(report: Report, agent: Agent, channel: Component) -> None:
    key = lambda sub: agent.key("channels", channel.name, sub)  # noqa: E731
    entry = channel.entries.get
    if not known_type(channel.type, CHANNEL_ALIASES):
        report.error(key("type"), f"unknown channel type {channel.type!r}", entry("type"))
        return
    kind = channel_kind(channel)
    if kind == "memory":
        message = (
            "a memory channel loses its whole backlog (up to capacity lines) on every "
            "agent restart or crash, and TAILDIR will not read those lines again: use "
            "type = file"
        )
        if report.allow_memory_channel:
            message += " (allowed by --allow-memory-channel)"
            report.warn(key("type"), message, entry("type"))
        else:
            report.error(key("type"), message, entry("type"))
    for sub in ("capacity", "transactionCapacity"):
        if sub in channel.keys and (parse_int(channel.keys[sub]) or 0) <= 0:
            report.error(key(sub), f"{channel.keys[sub]!r} is not a positive integer", entry(sub))
    capacity, transaction = channel_capacities(channel)
    if capacity and transaction and transaction > capacity:
        report.error(
            key("transactionCapacity"),
            f"{transaction} is above capacity {capacity}: Flume removes the channel",
            entry("transactionCapacity") or entry("capacity"),
        )
    if kind == "file":
        for sub in ("checkpointDir", "dataDirs"):
            if sub not in channel.keys:
                report.warn(
                    key(sub),
                    "not set: defaults to ~/.flume/file-channel/… of the agent's user; set "
                    "it under /var/lib/flume, separate for each channel",
                )
        space = channel.keys.get("minimumRequiredSpace")
        if space is not None and (parse_int(space) or 0) < MIN_REQUIRED_SPACE_FLOOR:
            report.warn(
                key("minimumRequiredSpace"),
                "below Flume's 1 MB floor (bytes, not MB): Flume uses 1 MB",
                entry("minimumRequiredSpace"),
            )
        for sub in channel.keys:
            if sub not in FILE_CHANNEL_KEYS and not sub.startswith("encryption."):
                report.warn(key(sub), "not a file channel setting: Flume ignores it", entry(sub))


def check_file_channel_paths(report: Report, agent: Agent) -> None:
    owners: dict[str, list[tuple[str, str]]] = {}
    for name in agent.listed("channels"):
        channel = agent.component("channels", name)
        if not channel or channel_kind(channel) != "file":
            continue
        checkpoint = channel.keys.get("checkpointDir", "~/.flume/file-channel/checkpoint")
        data = channel.keys.get("dataDirs", "~/.flume/file-channel/data")
        owners.setdefault(checkpoint.rstrip("/"), []).append((name, "checkpointDir"))
        for directory in data.split(","):
            owners.setdefault(directory.strip().rstrip("/"), []).append((name, "dataDirs"))
    for directory, users in owners.items():
        if len(users) > 1:
            name, sub = users[-1]
            who = ", ".join(f"{n}.{s}" for n, s in users)
            report.error(
                agent.key("channels", name, sub),
                f"{directory} is used by {who}: file channels lock their directories, so "
                "only one can start",
            )
