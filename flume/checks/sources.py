"""Source checks: channel lists, selectors, interceptors, TAILDIR file groups and their regexes."""

from __future__ import annotations

import re

from flume.agent import Agent, Component, split_list
from flume.checks.base import Report, is_type, known_type, parse_int
from flume.checks.channels import channel_capacities
from flume.properties import Entry

SOURCE_ALIASES = {
    "seq", "netcat", "exec", "avro", "syslogtcp", "multiport_syslogtcp", "syslogudp", "spooldir",
    "http", "thrift", "jms", "taildir", "netcatudp", "kafka",
}  # fmt: skip
SELECTOR_ALIASES = {"replicating", "multiplexing", "load_balancing"}
INTERCEPTOR_ALIASES = {
    "timestamp", "host", "static", "regex_filter", "regex_extractor", "remove_header",
    "search_replace",
}  # fmt: skip

TAILDIR_CLASS = "org.apache.flume.source.taildir.taildirsource"
TAILDIR_KEYS = {
    "type", "channels", "filegroups", "positionFile", "batchSize", "skipToEnd", "idleTimeout",
    "writePosInterval", "byteOffsetHeader", "cachePatternMatching", "fileHeader",
    "fileHeaderKey", "maxBatchCount", "backoffSleepIncrement", "maxBackoffSleep",
}  # fmt: skip
GENERIC_SOURCE_PREFIXES = ("selector.", "interceptors")
TAILDIR_DEFAULT_BATCH = 100
ROTATED_SAMPLES = ("1", "10", "2026-11-28", "2026-11-28-13", "1.gz", "gz", "bak", "old")
# A `*` after a literal character: `app*.log` is a glob; as a regex it repeats the `p`.
GLOB_BEFORE_STAR = re.compile(r"(?<![.)\]}\\*+?])\*")
REGEX_META_IN_DIR = re.compile(r"[*?\[\]{}()|+^$]")


def check_source(report: Report, agent, source: Component, channels, positions) -> list[str]:
    key = lambda sub: agent.key("sources", source.name, sub)  # noqa: E731
    entry = source.entries.get
    if not known_type(source.type, SOURCE_ALIASES):
        report.error(key("type"), f"unknown source type {source.type!r}", entry("type"))
    if "channels" not in source.keys:
        if "channel" in source.keys:
            report.error(
                key("channel"),
                "a source takes `channels` (plural, a list); with `channel` Flume finds no "
                "channel and removes the source",
                entry("channel"),
            )
        else:
            report.error(key("channels"), "missing: a source without channels is removed")
        return []
    own = split_list(source.keys["channels"])
    valid = [name for name in own if name in channels]
    for name in own:
        if name not in channels:
            report.error(
                key("channels"),
                f"channel {name!r} is not declared in {agent.name}.channels: Flume silently "
                "drops it from this source" + (" and removes the source" if not valid else ""),
                entry("channels"),
            )
    check_selector(report, agent, source, own)
    check_interceptors(report, agent, source)
    if is_type(source.type, "taildir", TAILDIR_CLASS):
        check_taildir(report, agent, source, positions)
        batch = parse_int(source.keys.get("batchSize", str(TAILDIR_DEFAULT_BATCH)))
        for name in valid:
            channel = agent.component("channels", name)
            if not channel or not channel.type:
                continue
            _, transaction = channel_capacities(channel)
            if batch and transaction and batch > transaction:
                report.error(
                    key("batchSize"),
                    f"{batch} is above {agent.key('channels', name, 'transactionCapacity')} "
                    f"= {transaction}: Flume 1.9+ removes the source",
                    entry("batchSize") or channel.entries.get("transactionCapacity"),
                )
    return valid


def check_selector(report: Report, agent: Agent, source: Component, own: list[str]) -> None:
    key = lambda sub: agent.key("sources", source.name, sub)  # noqa: E731
    entry = source.entries.get
    selector = source.sub("selector.")
    selector_type = selector.get("type", "replicating")
    if not known_type(selector_type, SELECTOR_ALIASES):
        report.error(
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
                report.error(
                    key(f"selector.{sub}"),
                    f"channel {name!r} is not in {key('channels')}: the selector throws "
                    "and the source is removed",
                    entry(f"selector.{sub}"),
                )
    if "default" not in selector:
        report.error(
            key("selector.default"),
            "missing: with a multiplexing selector, an event whose header has no mapping is "
            "put on no channel and silently lost",
        )
    if "header" not in selector:
        report.warn(
            key("selector.header"),
            "not set: the selector reads the header 'flume.selector.header'",
        )
    if not any(sub.startswith("mapping.") for sub in selector):
        report.warn(key("selector.mapping"), "no mapping: every event goes to the default")
    for name in own:
        if name not in routed:
            report.warn(
                key("channels"),
                f"channel {name!r} is in this source's list but no selector mapping routes to it",
                entry("channels"),
            )


def check_interceptors(report: Report, agent: Agent, source: Component) -> None:
    names = split_list(source.keys.get("interceptors"))
    for name in names:
        prefix = f"interceptors.{name}."
        type_key = agent.key("sources", source.name, prefix + "type")
        type_value = source.keys.get(prefix + "type")
        if not type_value:
            report.error(type_key, "missing: an interceptor without a type removes its source")
            continue
        if not known_type(type_value, INTERCEPTOR_ALIASES):
            report.error(
                type_key,
                f"unknown interceptor {type_value!r}: the source is removed",
                source.entries.get(prefix + "type"),
            )
        if type_value.lower() == "regex_filter":
            regex = source.keys.get(prefix + "regex", ".*")
            try:
                re.compile(regex)
            except re.error as exc:
                report.error(
                    agent.key("sources", source.name, prefix + "regex"),
                    f"not a valid regex ({exc})",
                    source.entries.get(prefix + "regex"),
                )


def check_taildir(report: Report, agent: Agent, source: Component, positions) -> None:
    key = lambda sub: agent.key("sources", source.name, sub)  # noqa: E731
    entry = source.entries.get
    groups = split_list(source.keys.get("filegroups"))
    if not groups:
        report.error(key("filegroups"), "missing: TAILDIR needs at least one file group")
    for group in groups:
        sub = f"filegroups.{group}"
        if sub not in source.keys:
            report.error(
                key(sub),
                f"missing: file group {group!r} is listed but has no path, so Flume "
                "silently tails nothing for it",
                entry("filegroups"),
            )
            continue
        check_taildir_path(report, key(sub), source.keys[sub], entry(sub))
    for sub in source.keys:
        if sub.startswith("filegroups.") and sub[len("filegroups.") :] not in groups:
            report.warn(key(sub), "this group is not in filegroups: Flume ignores it", entry(sub))
        elif sub.startswith("headers."):
            group, dot, _ = sub[len("headers.") :].partition(".")
            if not dot:
                report.error(key(sub), "must be headers.<group>.<header>", entry(sub))
            elif group not in groups:
                report.warn(key(sub), f"{group!r} is not in filegroups: no effect", entry(sub))
        elif sub not in TAILDIR_KEYS and not sub.startswith(
            ("filegroups.", "headers.", *GENERIC_SOURCE_PREFIXES)
        ):
            report.warn(key(sub), "not a TAILDIR setting: Flume ignores it", entry(sub))
    position = source.keys.get("positionFile")
    if position is None:
        report.warn(
            key("positionFile"),
            "not set: defaults to ~/.flume/taildir_position.json of the agent's user; set it "
            "under /var/lib/flume",
        )
    positions.setdefault(position or "~/.flume/taildir_position.json", []).append(source.name)
    if "skipToEnd" not in source.keys:
        report.warn(
            key("skipToEnd"),
            "not set (false): on the first start every existing line of every matching file "
            "is shipped; decide and write it down",
        )
    for sub in ("batchSize", "idleTimeout", "writePosInterval"):
        if sub in source.keys and (parse_int(source.keys[sub]) or 0) <= 0:
            report.error(key(sub), f"{source.keys[sub]!r} is not a positive integer", entry(sub))


def check_taildir_path(report: Report, key: str, value: str, entry: Entry | None) -> None:
    if value.endswith("/"):
        parent, _, name = value.rstrip("/").rpartition("/")
        report.error(
            key,
            f"ends with '/': TAILDIR splits at the last '/' and looks for a file named "
            f"{name!r} in {parent or '/'}; write {value}.*\\\\.log",
            entry,
        )
        return
    if not value.startswith("/"):
        report.error(key, "must be an absolute path: <directory>/<file-name regex>", entry)
        return
    directory, _, pattern = value.rpartition("/")
    if REGEX_META_IN_DIR.search(directory):
        report.error(
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
        report.error(key, f"file part {pattern!r} is not a valid regex ({exc}): {hint}", entry)
        return
    if GLOB_BEFORE_STAR.search(pattern):
        report.error(
            key,
            f"file part {pattern!r}: {glob_hint} (in a regex, 'x*' repeats x)",
            entry,
        )
        return
    if entry and "." in entry.dropped_escapes:
        report.warn(
            key,
            "'\\.' lost its backslash (properties format), so the regex sees '.' (any "
            "character): write '\\\\.'",
            entry,
        )
    live = "hadoop-hdfs-namenode-nn01.log"
    rotated = [f"{live}.{end}" for end in ROTATED_SAMPLES if regex.fullmatch(f"{live}.{end}")]
    if regex.fullmatch(live) and rotated:
        report.warn(
            key,
            f"also matches rotated names such as {rotated[0]!r}: after each rotation the "
            "renamed file is read again from the start (duplicates); end the regex in "
            "\\\\.log",
            entry,
        )
