"""Checks of the file and the agent as a whole.

Which agent runs, its component lists, components nobody lists, and `${…}` values.
"""

from __future__ import annotations

from flume.agent import LOOKUP_PREFIXES, Agent, Component, references
from flume.checks.base import Report
from flume.checks.channels import check_channel, check_file_channel_paths
from flume.checks.sinks import check_sink, check_sinkgroups
from flume.checks.sources import check_source
from flume.checks.thrift import check_transport


def pick_agent(report: Report, wanted: str | None) -> str | None:
    for key, entries in report.props.duplicates().items():
        lines = ", ".join(str(e.line) for e in entries)
        report.warn(
            key,
            f"set {len(entries)} times (lines {lines}); Flume silently keeps the last value "
            f"{entries[-1].value.strip()!r}",
            entries[-1],
        )
    for entry in report.loaded.empty_values:
        report.warn(entry.key, "empty value: Flume ignores this property", entry)
    for entry in report.loaded.no_agent:
        report.warn(entry.key, "not of the form <agent>.<…>: Flume ignores this property", entry)
    agents = sorted(report.loaded.agents)
    if wanted is not None:
        if wanted not in report.loaded.agents:
            found = ", ".join(agents) or "none"
            report.error(f"{wanted}.*", f"no keys for agent {wanted!r} (agents in file: {found})")
            return None
        return wanted
    if not agents:
        report.error("<file>", "no agent configuration found (keys look like a1.sources = …)")
        return None
    if len(agents) > 1:
        report.error(
            "<file>",
            f"several agents ({', '.join(agents)}): say which one runs with --agent NAME "
            "(flume-ng's -n)",
        )
        return None
    return agents[0]


def check_agent(report: Report, agent: Agent) -> None:
    for entry in agent.invalid:
        report.warn(
            entry.key,
            "Flume ignores this key: after the agent name it must start with sources., "
            "channels., sinks. or sinkgroups. followed by a component name",
            entry,
        )
    check_values(report, agent)
    channels = check_lists(report, agent)
    sources_by_channel: dict[str, list[str]] = {name: [] for name in channels}
    sinks_by_channel: dict[str, list[str]] = {name: [] for name in channels}
    for name in agent.listed("channels"):
        component = require_component(report, agent, "channels", name)
        if component:
            check_channel(report, agent, component)
    taildir_positions: dict[str, list[str]] = {}
    for name in agent.listed("sources"):
        component = require_component(report, agent, "sources", name)
        if component:
            for channel in check_source(report, agent, component, channels, taildir_positions):
                sources_by_channel.setdefault(channel, []).append(name)
    for position, users in taildir_positions.items():
        if len(users) > 1:
            report.error(
                agent.key("sources", users[1], "positionFile"),
                f"sources {', '.join(users)} share the position file {position}: each "
                "rewrites it with only its own files, so the other re-reads from the start",
            )
    sinks = agent.listed("sinks")
    for name in sinks:
        component = require_component(report, agent, "sinks", name)
        if component:
            channel = check_sink(report, agent, component, channels)
            if channel:
                sinks_by_channel.setdefault(channel, []).append(name)
    check_sinkgroups(report, agent, sinks)
    for name in channels:
        key = agent.key("channels", name)
        if not sinks_by_channel.get(name):
            report.error(
                key,
                "no sink drains this channel: it fills to capacity, then every source "
                "writing to it stops reading",
            )
        if not sources_by_channel.get(name):
            report.warn(key, "no source writes to this channel: its sink has nothing to send")
    check_file_channel_paths(report, agent)
    check_unlisted(report, agent)
    check_transport(report, agent)


def check_lists(report: Report, agent: Agent) -> list[str]:
    channels = agent.listed("channels")
    if not channels:
        report.error(
            f"{agent.name}.channels",
            "missing: an agent without channels is invalid and Flume starts nothing",
        )
    if not agent.listed("sources") and not agent.listed("sinks"):
        report.error(f"{agent.name}.sources", "the agent has neither sources nor sinks")
    for kind in ("sources", "sinks"):
        if not agent.listed(kind):
            report.warn(f"{agent.name}.{kind}", "missing: this agent has no " + kind)
    return channels


def require_component(report: Report, agent: Agent, kind: str, name: str) -> Component | None:
    component = agent.component(kind, name)
    list_key = f"{agent.name}.{kind}"
    if component is None:
        report.error(
            agent.key(kind, name, "type"),
            f"{name!r} is listed in {list_key} but has no properties: Flume removes it",
            agent.list_entries.get(kind),
        )
        return None
    if not component.type:
        report.error(
            agent.key(kind, name, "type"),
            "missing: a component without a type is removed",
            next(iter(component.entries.values()), None),
        )
        return None
    return component


def check_unlisted(report: Report, agent: Agent) -> None:
    for kind in ("sources", "channels", "sinks", "sinkgroups"):
        listed = set(agent.listed(kind))
        for name, component in agent.components[kind].items():
            if name in listed:
                continue
            first = min(component.entries.values(), key=lambda e: e.line)
            report.warn(
                agent.key(kind, name),
                f"{name!r} is not listed in {agent.name}.{kind}: Flume silently ignores its "
                f"{len(component.keys)} key(s)",
                first,
            )


def check_values(report: Report, agent: Agent) -> None:
    all_values = report.loaded.all_values
    for key, entry in report.props.last_entries().items():
        if not key.startswith(agent.name + "."):
            continue
        value = entry.value
        if value.count("${") > len(references(value)):
            report.error(key, "'${' without a closing '}'", entry)
        for ref in references(value):
            prefix, colon, name = ref.partition(":")
            if colon and prefix in LOOKUP_PREFIXES and name:
                if prefix == "env":
                    report.env_vars.add(name)
                continue
            if colon:
                report.error(
                    key,
                    f"'${{{ref}}}' uses an unknown lookup {prefix!r}; Flume leaves it as text "
                    f"(use one of {', '.join(LOOKUP_PREFIXES)})",
                    entry,
                )
            elif ref not in all_values:
                report.error(
                    key,
                    f"'${{{ref}}}' is not resolved by Flume 1.10+ and stays as text: write "
                    f"'${{env:{ref}}}' for an environment variable",
                    entry,
                )
