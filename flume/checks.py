"""Checks of a Flume agent configuration: what Flume would reject, remove or silently get wrong.

Flume's own load is forgiving in the worst way: a broken component is removed with one log line
and the agent starts without it; a misspelt key is ignored; a glob where a regex belongs tails
nothing; default HttpSink settings re-send every line forever. Each rule here names the key to fix.

Severity: an ERROR is something that loses lines, stops a flow or makes Flume drop a component; a
WARNING is legal but probably not meant (or a decision the file should state). `check_config`
returns both; the command exits non-zero on any error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from flume.agent import (
    LOOKUP_PREFIXES,
    Agent,
    Component,
    LoadedConfig,
    agents_from_properties,
    references,
    split_list,
)
from flume.httpsink import KNOWN_KEYS as HTTP_SINK_KEYS
from flume.httpsink import OVERRIDE_KINDS, HttpSinkConfigError, HttpSinkSettings
from flume.properties import Entry, PropertiesFile

ERROR = "error"
WARNING = "warning"

SOURCE_ALIASES = {
    "seq", "netcat", "exec", "avro", "syslogtcp", "multiport_syslogtcp", "syslogudp", "spooldir",
    "http", "thrift", "jms", "taildir", "netcatudp", "kafka",
}  # fmt: skip
SINK_ALIASES = {
    "null", "logger", "file_roll", "hdfs", "irc", "avro", "thrift", "elasticsearch", "hbase",
    "hbase2", "asynchbase", "morphline_solr", "hive", "http", "kafka",
}  # fmt: skip
CHANNEL_ALIASES = {"memory", "file", "jdbc", "spillablememory", "kafka"}
SELECTOR_ALIASES = {"replicating", "multiplexing", "load_balancing"}
PROCESSOR_ALIASES = {"default", "failover", "load_balance"}
INTERCEPTOR_ALIASES = {
    "timestamp", "host", "static", "regex_filter", "regex_extractor", "remove_header",
    "search_replace",
}  # fmt: skip

TAILDIR_CLASS = "org.apache.flume.source.taildir.taildirsource"
HTTP_SINK_CLASS = "org.apache.flume.sink.http.httpsink"
FILE_CHANNEL_CLASS = "org.apache.flume.channel.file.filechannel"
MEMORY_CHANNEL_CLASSES = {
    "memory",
    "spillablememory",
    "org.apache.flume.channel.memorychannel",
    "org.apache.flume.channel.spillablememorychannel",
}

TAILDIR_KEYS = {
    "type", "channels", "filegroups", "positionFile", "batchSize", "skipToEnd", "idleTimeout",
    "writePosInterval", "byteOffsetHeader", "cachePatternMatching", "fileHeader",
    "fileHeaderKey", "maxBatchCount", "backoffSleepIncrement", "maxBackoffSleep",
}  # fmt: skip
FILE_CHANNEL_KEYS = {
    "type", "checkpointDir", "backupCheckpointDir", "dataDirs", "transactionCapacity",
    "checkpointInterval", "maxFileSize", "minimumRequiredSpace", "capacity", "keep-alive",
    "use-log-replay-v1", "use-fast-replay", "useDualCheckpoints", "checkpointOnClose",
    "fsyncPerTransaction", "fsyncInterval", "compressBackupCheckpoint",
}  # fmt: skip
GENERIC_SOURCE_PREFIXES = ("selector.", "interceptors")

# (capacity, transactionCapacity) when unset.
CHANNEL_DEFAULTS = {"file": (1_000_000, 10_000), "memory": (100, 100)}
TAILDIR_DEFAULT_BATCH = 100
MIN_REQUIRED_SPACE_FLOOR = 1024 * 1024

# Statuses and the answer the portal's contract needs for each (see flume-facts Q2).
COMMIT_STATUSES = (200, 201, 202, 204)
DROP_STATUSES = (400, 413, 415, 422)
RETRY_STATUSES = (401, 403, 404, 405, 408, 429, 500, 502, 503, 504)
STATUS_WHY = {
    401: "missing or wrong token",
    403: "token without the ingest scope",
    404: "wrong URL",
    405: "a redirect turned the POST into a GET",
    408: "request timeout",
    429: "rate limit",
}
PORTAL_PATH = "/api/log/auto-upload"
ROTATED_SAMPLES = ("1", "10", "2026-11-28", "2026-11-28-13", "1.gz", "gz", "bak", "old")
# A `*` after a literal character: `app*.log` is a glob; as a regex it repeats the `p`.
GLOB_BEFORE_STAR = re.compile(r"(?<![.)\]}\\*+?])\*")
REGEX_META_IN_DIR = re.compile(r"[*?\[\]{}()|+^$]")


@dataclass(frozen=True)
class Finding:
    level: str
    key: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.level.upper()}: {self.key}{where}: {self.message}"


@dataclass
class CheckResult:
    agent: str | None
    findings: list[Finding]
    env_vars: list[str]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors


def check_config(
    props: PropertiesFile, *, agent: str | None = None, allow_memory_channel: bool = False
) -> CheckResult:
    loaded = agents_from_properties(props)
    checker = _Checker(props, loaded, allow_memory_channel=allow_memory_channel)
    name = checker.pick_agent(agent)
    if name is not None:
        checker.check_agent(loaded.agents[name])
    checker.findings.sort(key=lambda f: (f.level != ERROR, f.line or 10**9, f.key))
    return CheckResult(name, checker.findings, sorted(checker.env_vars))


def _is(type_value: str, alias: str, cls: str) -> bool:
    return type_value.lower() in (alias, cls)


def _known_type(type_value: str, aliases: set[str]) -> bool:
    # Anything with a dot is taken as a class name; only the class path can tell if it exists.
    return type_value.lower() in aliases or "." in type_value


def _int(value: str) -> int | None:
    text = value.strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isascii() or not digits.isdigit():
        return None
    return int(text)


class _Checker:
    def __init__(self, props: PropertiesFile, loaded: LoadedConfig, *, allow_memory_channel):
        self.props = props
        self.loaded = loaded
        self.allow_memory_channel = allow_memory_channel
        self.findings: list[Finding] = []
        self.env_vars: set[str] = set()

    # -- reporting -----------------------------------------------------------------------------
    def report(self, level: str, key: str, message: str, entry: Entry | None = None) -> None:
        self.findings.append(Finding(level, key, message, entry.line if entry else None))

    def error(self, key, message, entry=None):
        self.report(ERROR, key, message, entry)

    def warn(self, key, message, entry=None):
        self.report(WARNING, key, message, entry)

    # -- file level ------------------------------------------------------------------------------
    def pick_agent(self, wanted: str | None) -> str | None:
        for key, entries in self.props.duplicates().items():
            lines = ", ".join(str(e.line) for e in entries)
            self.warn(
                key,
                f"set {len(entries)} times (lines {lines}); Flume silently keeps the last value "
                f"{entries[-1].value.strip()!r}",
                entries[-1],
            )
        for entry in self.loaded.empty_values:
            self.warn(entry.key, "empty value: Flume ignores this property", entry)
        for entry in self.loaded.no_agent:
            self.warn(entry.key, "not of the form <agent>.<…>: Flume ignores this property", entry)
        agents = sorted(self.loaded.agents)
        if wanted is not None:
            if wanted not in self.loaded.agents:
                found = ", ".join(agents) or "none"
                self.error(f"{wanted}.*", f"no keys for agent {wanted!r} (agents in file: {found})")
                return None
            return wanted
        if not agents:
            self.error("<file>", "no agent configuration found (keys look like a1.sources = …)")
            return None
        if len(agents) > 1:
            self.error(
                "<file>",
                f"several agents ({', '.join(agents)}): say which one runs with --agent NAME "
                "(flume-ng's -n)",
            )
            return None
        return agents[0]

    # -- agent -----------------------------------------------------------------------------------
    def check_agent(self, agent: Agent) -> None:
        self.agent = agent
        for entry in agent.invalid:
            self.warn(
                entry.key,
                "Flume ignores this key: after the agent name it must start with sources., "
                "channels., sinks. or sinkgroups. followed by a component name",
                entry,
            )
        self.check_values(agent)
        channels = self.check_lists(agent)
        sources_by_channel: dict[str, list[str]] = {name: [] for name in channels}
        sinks_by_channel: dict[str, list[str]] = {name: [] for name in channels}
        for name in agent.listed("channels"):
            component = self.require_component(agent, "channels", name)
            if component:
                self.check_channel(agent, component)
        taildir_positions: dict[str, list[str]] = {}
        for name in agent.listed("sources"):
            component = self.require_component(agent, "sources", name)
            if component:
                for channel in self.check_source(agent, component, channels, taildir_positions):
                    sources_by_channel.setdefault(channel, []).append(name)
        for position, users in taildir_positions.items():
            if len(users) > 1:
                self.error(
                    agent.key("sources", users[1], "positionFile"),
                    f"sources {', '.join(users)} share the position file {position}: each "
                    "rewrites it with only its own files, so the other re-reads from the start",
                )
        sinks = agent.listed("sinks")
        for name in sinks:
            component = self.require_component(agent, "sinks", name)
            if component:
                channel = self.check_sink(agent, component, channels)
                if channel:
                    sinks_by_channel.setdefault(channel, []).append(name)
        self.check_sinkgroups(agent, sinks)
        for name in channels:
            key = agent.key("channels", name)
            if not sinks_by_channel.get(name):
                self.error(
                    key,
                    "no sink drains this channel: it fills to capacity, then every source "
                    "writing to it stops reading",
                )
            if not sources_by_channel.get(name):
                self.warn(key, "no source writes to this channel: its sink has nothing to send")
        self.check_file_channel_paths(agent)
        self.check_unlisted(agent)

    def check_lists(self, agent: Agent) -> list[str]:
        channels = agent.listed("channels")
        if not channels:
            self.error(
                f"{agent.name}.channels",
                "missing: an agent without channels is invalid and Flume starts nothing",
            )
        if not agent.listed("sources") and not agent.listed("sinks"):
            self.error(f"{agent.name}.sources", "the agent has neither sources nor sinks")
        for kind in ("sources", "sinks"):
            if not agent.listed(kind):
                self.warn(f"{agent.name}.{kind}", "missing: this agent has no " + kind)
        return channels

    def require_component(self, agent: Agent, kind: str, name: str) -> Component | None:
        component = agent.component(kind, name)
        list_key = f"{agent.name}.{kind}"
        if component is None:
            self.error(
                agent.key(kind, name, "type"),
                f"{name!r} is listed in {list_key} but has no properties: Flume removes it",
                agent.list_entries.get(kind),
            )
            return None
        if not component.type:
            self.error(
                agent.key(kind, name, "type"),
                "missing: a component without a type is removed",
                next(iter(component.entries.values()), None),
            )
            return None
        return component

    def check_unlisted(self, agent: Agent) -> None:
        for kind in ("sources", "channels", "sinks", "sinkgroups"):
            listed = set(agent.listed(kind))
            for name, component in agent.components[kind].items():
                if name in listed:
                    continue
                first = min(component.entries.values(), key=lambda e: e.line)
                self.warn(
                    agent.key(kind, name),
                    f"{name!r} is not listed in {agent.name}.{kind}: Flume silently ignores its "
                    f"{len(component.keys)} key(s)",
                    first,
                )

    # -- values ------------------------------------------------------------------------------------
    def check_values(self, agent: Agent) -> None:
        all_values = self.loaded.all_values
        for key, entry in self.props.last_entries().items():
            if not key.startswith(agent.name + "."):
                continue
            value = entry.value
            if value.count("${") > len(references(value)):
                self.error(key, "'${' without a closing '}'", entry)
            for ref in references(value):
                prefix, colon, name = ref.partition(":")
                if colon and prefix in LOOKUP_PREFIXES and name:
                    if prefix == "env":
                        self.env_vars.add(name)
                    continue
                if colon:
                    self.error(
                        key,
                        f"'${{{ref}}}' uses an unknown lookup {prefix!r}; Flume leaves it as text "
                        f"(use one of {', '.join(LOOKUP_PREFIXES)})",
                        entry,
                    )
                elif ref not in all_values:
                    self.error(
                        key,
                        f"'${{{ref}}}' is not resolved by Flume 1.10+ and stays as text: write "
                        f"'${{env:{ref}}}' for an environment variable",
                        entry,
                    )

    # -- channels ----------------------------------------------------------------------------------
    def channel_kind(self, component: Component) -> str:
        type_value = component.type.lower()
        if type_value in ("file", FILE_CHANNEL_CLASS):
            return "file"
        if type_value in MEMORY_CHANNEL_CLASSES:
            return "memory"
        return "other"

    def channel_capacities(self, component: Component) -> tuple[int | None, int | None]:
        defaults = CHANNEL_DEFAULTS.get(self.channel_kind(component), (None, None))
        capacity = component.keys.get("capacity")
        transaction = component.keys.get("transactionCapacity")
        return (
            _int(capacity) if capacity is not None else defaults[0],
            _int(transaction) if transaction is not None else defaults[1],
        )

    def check_channel(self, agent: Agent, channel: Component) -> None:
        key = lambda sub: agent.key("channels", channel.name, sub)  # noqa: E731
        entry = channel.entries.get
        if not _known_type(channel.type, CHANNEL_ALIASES):
            self.error(key("type"), f"unknown channel type {channel.type!r}", entry("type"))
            return
        kind = self.channel_kind(channel)
        if kind == "memory":
            message = (
                "a memory channel loses its whole backlog (up to capacity lines) on every "
                "agent restart or crash, and TAILDIR will not read those lines again: use "
                "type = file"
            )
            if self.allow_memory_channel:
                message += " (allowed by --allow-memory-channel)"
                self.warn(key("type"), message, entry("type"))
            else:
                self.error(key("type"), message, entry("type"))
        for sub in ("capacity", "transactionCapacity"):
            if sub in channel.keys and (_int(channel.keys[sub]) or 0) <= 0:
                self.error(key(sub), f"{channel.keys[sub]!r} is not a positive integer", entry(sub))
        capacity, transaction = self.channel_capacities(channel)
        if capacity and transaction and transaction > capacity:
            self.error(
                key("transactionCapacity"),
                f"{transaction} is above capacity {capacity}: Flume removes the channel",
                entry("transactionCapacity") or entry("capacity"),
            )
        if kind == "file":
            for sub in ("checkpointDir", "dataDirs"):
                if sub not in channel.keys:
                    self.warn(
                        key(sub),
                        "not set: defaults to ~/.flume/file-channel/… of the agent's user; set "
                        "it under /var/lib/flume, separate for each channel",
                    )
            space = channel.keys.get("minimumRequiredSpace")
            if space is not None and (_int(space) or 0) < MIN_REQUIRED_SPACE_FLOOR:
                self.warn(
                    key("minimumRequiredSpace"),
                    "below Flume's 1 MB floor (bytes, not MB): Flume uses 1 MB",
                    entry("minimumRequiredSpace"),
                )
            for sub in channel.keys:
                if sub not in FILE_CHANNEL_KEYS and not sub.startswith("encryption."):
                    self.warn(key(sub), "not a file channel setting: Flume ignores it", entry(sub))

    def check_file_channel_paths(self, agent: Agent) -> None:
        owners: dict[str, list[tuple[str, str]]] = {}
        for name in agent.listed("channels"):
            channel = agent.component("channels", name)
            if not channel or self.channel_kind(channel) != "file":
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
                self.error(
                    agent.key("channels", name, sub),
                    f"{directory} is used by {who}: file channels lock their directories, so "
                    "only one can start",
                )

    # -- sources -----------------------------------------------------------------------------------
    def check_source(self, agent, source: Component, channels, positions) -> list[str]:
        key = lambda sub: agent.key("sources", source.name, sub)  # noqa: E731
        entry = source.entries.get
        if not _known_type(source.type, SOURCE_ALIASES):
            self.error(key("type"), f"unknown source type {source.type!r}", entry("type"))
        if "channels" not in source.keys:
            if "channel" in source.keys:
                self.error(
                    key("channel"),
                    "a source takes `channels` (plural, a list); with `channel` Flume finds no "
                    "channel and removes the source",
                    entry("channel"),
                )
            else:
                self.error(key("channels"), "missing: a source without channels is removed")
            return []
        own = split_list(source.keys["channels"])
        valid = [name for name in own if name in channels]
        for name in own:
            if name not in channels:
                self.error(
                    key("channels"),
                    f"channel {name!r} is not declared in {agent.name}.channels: Flume silently "
                    "drops it from this source" + (" and removes the source" if not valid else ""),
                    entry("channels"),
                )
        self.check_selector(agent, source, own)
        self.check_interceptors(agent, source)
        if _is(source.type, "taildir", TAILDIR_CLASS):
            self.check_taildir(agent, source, positions)
            batch = _int(source.keys.get("batchSize", str(TAILDIR_DEFAULT_BATCH)))
            for name in valid:
                channel = agent.component("channels", name)
                if not channel or not channel.type:
                    continue
                _, transaction = self.channel_capacities(channel)
                if batch and transaction and batch > transaction:
                    self.error(
                        key("batchSize"),
                        f"{batch} is above {agent.key('channels', name, 'transactionCapacity')} "
                        f"= {transaction}: Flume 1.9+ removes the source",
                        entry("batchSize") or channel.entries.get("transactionCapacity"),
                    )
        return valid

    def check_selector(self, agent: Agent, source: Component, own: list[str]) -> None:
        key = lambda sub: agent.key("sources", source.name, sub)  # noqa: E731
        entry = source.entries.get
        selector = source.sub("selector.")
        selector_type = selector.get("type", "replicating")
        if not _known_type(selector_type, SELECTOR_ALIASES):
            self.error(
                key("selector.type"),
                f"unknown selector {selector_type!r}: the source is removed",
                entry("selector.type"),
            )
            return
        if selector_type.lower() != "multiplexing":
            return
        routed: set[str] = set()
        for sub, value in selector.items():
            if not sub.startswith(("mapping.", "optional.", "default")):
                continue
            for name in split_list(value):
                routed.add(name)
                if name not in own:
                    self.error(
                        key(f"selector.{sub}"),
                        f"channel {name!r} is not in {key('channels')}: the selector throws "
                        "and the source is removed",
                        entry(f"selector.{sub}"),
                    )
        if "default" not in selector:
            self.error(
                key("selector.default"),
                "missing: with a multiplexing selector, an event whose header has no mapping is "
                "put on no channel and silently lost",
            )
        if "header" not in selector:
            self.warn(
                key("selector.header"),
                "not set: the selector reads the header 'flume.selector.header'",
            )
        if not any(sub.startswith("mapping.") for sub in selector):
            self.warn(key("selector.mapping"), "no mapping: every event goes to the default")
        for name in own:
            if name not in routed:
                self.warn(
                    key("channels"),
                    f"channel {name!r} is in this source's list but no selector mapping routes "
                    "to it",
                    entry("channels"),
                )

    def check_interceptors(self, agent: Agent, source: Component) -> None:
        names = split_list(source.keys.get("interceptors"))
        for name in names:
            prefix = f"interceptors.{name}."
            type_key = agent.key("sources", source.name, prefix + "type")
            type_value = source.keys.get(prefix + "type")
            if not type_value:
                self.error(type_key, "missing: an interceptor without a type removes its source")
                continue
            if not _known_type(type_value, INTERCEPTOR_ALIASES):
                self.error(
                    type_key,
                    f"unknown interceptor {type_value!r}: the source is removed",
                    source.entries.get(prefix + "type"),
                )
            if type_value.lower() == "regex_filter":
                regex = source.keys.get(prefix + "regex", ".*")
                try:
                    re.compile(regex)
                except re.error as exc:
                    self.error(
                        agent.key("sources", source.name, prefix + "regex"),
                        f"not a valid regex ({exc})",
                        source.entries.get(prefix + "regex"),
                    )

    def check_taildir(self, agent: Agent, source: Component, positions) -> None:
        key = lambda sub: agent.key("sources", source.name, sub)  # noqa: E731
        entry = source.entries.get
        groups = split_list(source.keys.get("filegroups"))
        if not groups:
            self.error(key("filegroups"), "missing: TAILDIR needs at least one file group")
        for group in groups:
            sub = f"filegroups.{group}"
            if sub not in source.keys:
                self.error(
                    key(sub),
                    f"missing: file group {group!r} is listed but has no path, so Flume "
                    "silently tails nothing for it",
                    entry("filegroups"),
                )
                continue
            self.check_taildir_path(key(sub), source.keys[sub], entry(sub))
        for sub in source.keys:
            if sub.startswith("filegroups.") and sub[len("filegroups.") :] not in groups:
                self.warn(key(sub), "this group is not in filegroups: Flume ignores it", entry(sub))
            elif sub.startswith("headers."):
                group, dot, _ = sub[len("headers.") :].partition(".")
                if not dot:
                    self.error(key(sub), "must be headers.<group>.<header>", entry(sub))
                elif group not in groups:
                    self.warn(key(sub), f"{group!r} is not in filegroups: no effect", entry(sub))
            elif sub not in TAILDIR_KEYS and not sub.startswith(
                ("filegroups.", "headers.", *GENERIC_SOURCE_PREFIXES)
            ):
                self.warn(key(sub), "not a TAILDIR setting: Flume ignores it", entry(sub))
        position = source.keys.get("positionFile")
        if position is None:
            self.warn(
                key("positionFile"),
                "not set: defaults to ~/.flume/taildir_position.json of the agent's user; set it "
                "under /var/lib/flume",
            )
        positions.setdefault(position or "~/.flume/taildir_position.json", []).append(source.name)
        if "skipToEnd" not in source.keys:
            self.warn(
                key("skipToEnd"),
                "not set (false): on the first start every existing line of every matching file "
                "is shipped; decide and write it down",
            )
        for sub in ("batchSize", "idleTimeout", "writePosInterval"):
            if sub in source.keys and (_int(source.keys[sub]) or 0) <= 0:
                self.error(key(sub), f"{source.keys[sub]!r} is not a positive integer", entry(sub))

    def check_taildir_path(self, key: str, value: str, entry: Entry | None) -> None:
        if value.endswith("/"):
            parent, _, name = value.rstrip("/").rpartition("/")
            self.error(
                key,
                f"ends with '/': TAILDIR splits at the last '/' and looks for a file named "
                f"{name!r} in {parent or '/'}; write {value}.*\\\\.log",
                entry,
            )
            return
        if not value.startswith("/"):
            self.error(key, "must be an absolute path: <directory>/<file-name regex>", entry)
            return
        directory, _, pattern = value.rpartition("/")
        if REGEX_META_IN_DIR.search(directory):
            self.error(
                key,
                f"the directory part {directory!r} contains wildcards: TAILDIR takes it "
                "literally (and does not recurse); use one file group per directory",
                entry,
            )
        glob_hint = "it looks like a shell glob; TAILDIR wants a Java regex, e.g. .*\\\\.log"
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            hint = glob_hint if "*" in pattern or "?" in pattern else "fix the regex"
            self.error(key, f"file part {pattern!r} is not a valid regex ({exc}): {hint}", entry)
            return
        if GLOB_BEFORE_STAR.search(pattern):
            self.error(
                key,
                f"file part {pattern!r}: {glob_hint} (in a regex, 'x*' repeats x)",
                entry,
            )
            return
        if entry and "." in entry.dropped_escapes:
            self.warn(
                key,
                "'\\.' lost its backslash (properties format), so the regex sees '.' (any "
                "character): write '\\\\.'",
                entry,
            )
        live = "hadoop-hdfs-namenode-nn01.log"
        rotated = [f"{live}.{end}" for end in ROTATED_SAMPLES if regex.fullmatch(f"{live}.{end}")]
        if regex.fullmatch(live) and rotated:
            self.warn(
                key,
                f"also matches rotated names such as {rotated[0]!r}: after each rotation the "
                "renamed file is read again from the start (duplicates); end the regex in "
                "\\\\.log",
                entry,
            )

    # -- sinks -------------------------------------------------------------------------------------
    def check_sink(self, agent: Agent, sink: Component, channels: list[str]) -> str | None:
        key = lambda sub: agent.key("sinks", sink.name, sub)  # noqa: E731
        entry = sink.entries.get
        if not _known_type(sink.type, SINK_ALIASES):
            self.error(key("type"), f"unknown sink type {sink.type!r}", entry("type"))
        channel = sink.keys.get("channel")
        if channel is None:
            if "channels" in sink.keys:
                self.error(
                    key("channels"),
                    "a sink takes `channel` (singular, one name); with `channels` Flume removes "
                    "the sink",
                    entry("channels"),
                )
            else:
                self.error(key("channel"), "missing: a sink without a channel is removed")
            channel_ok = None
        elif len(channel.split()) != 1:
            self.error(key("channel"), "a sink drains exactly one channel", entry("channel"))
            channel_ok = None
        elif channel not in channels:
            self.error(
                key("channel"),
                f"channel {channel!r} is not declared in {agent.name}.channels: Flume removes "
                "the sink",
                entry("channel"),
            )
            channel_ok = None
        else:
            channel_ok = channel
        if _is(sink.type, "http", HTTP_SINK_CLASS):
            self.check_http_sink(agent, sink)
        return channel_ok

    def check_http_sink(self, agent: Agent, sink: Component) -> None:
        key = lambda sub: agent.key("sinks", sink.name, sub)  # noqa: E731
        entry = sink.entries.get
        if "endpoint" not in sink.keys:
            self.error(key("endpoint"), "missing: the sink has nowhere to send (removed)")
            return
        # Check the URL as Flume sees it after `${env:…}` is resolved.
        resolved = re.sub(r"\$\{env:[^}]*\}", "placeholder", sink.keys["endpoint"])
        keys = {**sink.keys, "endpoint": resolved}
        try:
            settings = HttpSinkSettings.from_keys(keys)
        except HttpSinkConfigError as exc:
            self.error(key(exc.key), f"{exc}: Flume removes the sink", entry(exc.key))
            return
        self.check_endpoint(key("endpoint"), sink.keys["endpoint"], entry("endpoint"))
        content_type = settings.content_type.split(";")[0].strip().lower()
        if content_type != "text/plain":
            self.error(
                key("contentTypeHeader"),
                f"{settings.content_type!r}: the body is one raw log line; the portal reads "
                "any other type as something else and refuses every line (dropped by 4XX)",
                entry("contentTypeHeader"),
            )
        for sub, value in sink.keys.items():
            kind, dot, code = sub.partition(".")
            if dot and kind in OVERRIDE_KINDS:
                if re.fullmatch(r"[1-5]xx", code, re.IGNORECASE) and code[1:] != "XX":
                    self.error(
                        key(sub),
                        f"Flume looks up '{code[0]}XX' (upper-case XX) only: this key is ignored",
                        entry(sub),
                    )
                elif not re.fullmatch(r"[1-5](XX|\d\d)", code):
                    self.warn(key(sub), "not a status code or class: ignored", entry(sub))
            elif sub not in HTTP_SINK_KEYS:
                self.warn(key(sub), "not an HttpSink setting: Flume ignores it", entry(sub))
            if (sub.partition(".")[0] in OVERRIDE_KINDS or sub.startswith("default")) and (
                value.strip().lower() not in ("true", "false")
            ):
                self.error(
                    key(sub),
                    f"{value!r} is neither true nor false: Java reads it as false",
                    entry(sub),
                )
        self.check_responses(key, entry, settings)

    def check_endpoint(self, key: str, endpoint: str, entry: Entry | None) -> None:
        parts = urlsplit(endpoint)
        if parts.path.rstrip("/") != PORTAL_PATH and not parts.path.rstrip("/").endswith(
            PORTAL_PATH
        ):
            self.warn(key, f"the portal receives lines at {PORTAL_PATH}, not {parts.path!r}", entry)
            return
        query = parse_qs(parts.query, keep_blank_values=True)
        if not query.get("token", [""])[0]:
            self.error(
                key,
                "no token= in the query: HttpSink cannot send an Authorization header, so every "
                "line is refused with 401 and retried forever",
                entry,
            )
        if not query.get("host", [""])[0]:
            self.error(
                key,
                "no host= in the query: the portal cannot tell which node sent the line",
                entry,
            )
        if not query.get("logtype", [""])[0]:
            self.warn(key, "no logtype= in the query: lines arrive without their log type", entry)

    def check_responses(self, key, entry, settings: HttpSinkSettings) -> None:
        reported: set[str] = set()

        def once(level: str, sub: str, message: str, decided_by: str) -> None:
            if sub not in reported:
                reported.add(sub)
                self.report(level, key(sub), message, entry(sub) or entry(decided_by))

        def override_key(kind: str, decided_by: str, status: int, klass: bool) -> str:
            # Name the key that decided when it is specific to this status, else the one to add.
            if decided_by == f"{kind}.{status}":
                return decided_by
            return f"{kind}.{str(status)[0]}XX" if klass else f"{kind}.{status}"

        for status in COMMIT_STATUSES:
            decision = settings.decide(status)
            if decision.rollback:
                once(
                    ERROR,
                    override_key("rollback", decision.rollback_from, status, True),
                    f"a {status} answer is rolled back (by {decision.rollback_from}): every "
                    "delivered line is re-sent forever; set rollback.2XX = false",
                    decision.rollback_from,
                )
            if decision.backoff:
                once(
                    ERROR,
                    override_key("backoff", decision.backoff_from, status, True),
                    f"a {status} answer backs off (by {decision.backoff_from}): the sink sleeps "
                    "1-5 s after every delivered line; set backoff.2XX = false",
                    decision.backoff_from,
                )
        for status in DROP_STATUSES:
            decision = settings.decide(status)
            if decision.rollback:
                once(
                    ERROR,
                    override_key("rollback", decision.rollback_from, status, True),
                    f"a {status} answer (a line the portal refuses for good) is rolled back (by "
                    f"{decision.rollback_from}): it is retried forever and blocks every line "
                    "behind it; set rollback.4XX = false",
                    decision.rollback_from,
                )
        for status in RETRY_STATUSES:
            decision = settings.decide(status)
            why = STATUS_WHY.get(status, "the portal or its database is down")
            klass = status >= 500
            if not decision.rollback:
                once(
                    ERROR,
                    override_key("rollback", decision.rollback_from, status, klass),
                    f"a {status} answer ({why}) is committed (by {decision.rollback_from}), i.e. "
                    "the line is dropped; it must be retried: set "
                    f"{override_key('rollback', '', status, klass)} = true",
                    decision.rollback_from,
                )
            elif not decision.backoff:
                once(
                    WARNING,
                    override_key("backoff", decision.backoff_from, status, klass),
                    f"a {status} answer is retried without backoff (by {decision.backoff_from}): "
                    "the sink hammers the portal",
                    decision.backoff_from,
                )
        if not settings.decide(200).increment_metrics:
            self.warn(
                key("incrementMetrics.2XX"),
                "not true: the EventDrainSuccessCount metric stays at 0",
                entry("incrementMetrics.2XX"),
            )

    # -- sink groups -------------------------------------------------------------------------------
    def check_sinkgroups(self, agent: Agent, sinks: list[str]) -> None:
        owner: dict[str, str] = {}
        for name in agent.listed("sinkgroups"):
            group = agent.component("sinkgroups", name)
            key = lambda sub, n=name: agent.key("sinkgroups", n, sub)  # noqa: E731
            if group is None or not group.keys.get("sinks"):
                self.error(key("sinks"), "missing: a sink group needs its list of sinks")
                continue
            processor = group.keys.get("processor.type", "default")
            if not _known_type(processor, PROCESSOR_ALIASES):
                self.error(
                    key("processor.type"),
                    f"unknown sink processor {processor!r}",
                    group.entries.get("processor.type"),
                )
            for sink in split_list(group.keys["sinks"]):
                if sink not in sinks:
                    self.error(
                        key("sinks"),
                        f"sink {sink!r} is not in {agent.name}.sinks",
                        group.entries.get("sinks"),
                    )
                elif sink in owner:
                    self.error(
                        key("sinks"),
                        f"sink {sink!r} already belongs to group {owner[sink]!r}",
                        group.entries.get("sinks"),
                    )
                else:
                    owner[sink] = name
