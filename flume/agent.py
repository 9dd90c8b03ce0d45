"""An agent's configuration as Flume sees it after loading: lists, components and their keys.

Mirrors `FlumeConfiguration.addRawProperty` / `AgentConfiguration.addProperty`: values are trimmed
(Java's trim: every character up to U+0020), an empty value is ignored, the agent name is the
text before the first `.`, and every other key must be `<kind>.<name>.<key>` with a component name
that contains no dot. Keys that fit nowhere are remembered, because Flume ignores them silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flume.properties import Entry, PropertiesFile

KINDS = ("sources", "channels", "sinks", "sinkgroups", "configfilters")

# `${prefix:name}` lookups of Flume 1.10+ (MapResolver); `${name}` alone looks up another key.
LOOKUP_PREFIXES = ("env", "sys", "java", "date")
_REFERENCE = re.compile(r"\$\{([^}]*)\}")


def java_trim(text: str) -> str:
    """String.trim(): strips every character <= U+0020 at both ends (not Unicode spaces)."""
    start, end = 0, len(text)
    while start < end and text[start] <= " ":
        start += 1
    while end > start and text[end - 1] <= " ":
        end -= 1
    return text[start:end]


def split_list(value: str | None) -> list[str]:
    """A Flume name list: split on whitespace, order kept, duplicates dropped."""
    names: list[str] = []
    for name in (value or "").split():
        if name not in names:
            names.append(name)
    return names


@dataclass
class Component:
    kind: str  # "sources", "channels", "sinks", "sinkgroups", "configfilters"
    name: str
    keys: dict[str, str] = field(default_factory=dict)  # sub-key -> trimmed value
    entries: dict[str, Entry] = field(default_factory=dict)  # sub-key -> where it was written

    @property
    def type(self) -> str:
        return self.keys.get("type", "")

    def sub(self, prefix: str) -> dict[str, str]:
        """Context.getSubProperties(prefix): the keys under `prefix`, with it removed."""
        return {k[len(prefix) :]: v for k, v in self.keys.items() if k.startswith(prefix)}


@dataclass
class Agent:
    name: str
    lists: dict[str, str] = field(default_factory=dict)  # "sources" -> "r1 r2"
    list_entries: dict[str, Entry] = field(default_factory=dict)
    components: dict[str, dict[str, Component]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS}
    )
    invalid: list[Entry] = field(default_factory=list)  # keys Flume ignores (INVALID_PROPERTY)

    def key(self, kind: str, name: str, sub: str = "") -> str:
        return f"{self.name}.{kind}.{name}" + (f".{sub}" if sub else "")

    def listed(self, kind: str) -> list[str]:
        return split_list(self.lists.get(kind))

    def component(self, kind: str, name: str) -> Component | None:
        return self.components[kind].get(name)


@dataclass
class LoadedConfig:
    agents: dict[str, Agent] = field(default_factory=dict)
    empty_values: list[Entry] = field(default_factory=list)
    no_agent: list[Entry] = field(default_factory=list)
    all_values: dict[str, str] = field(default_factory=dict)  # every key, for `${key}` lookups


def agents_from_properties(props: PropertiesFile) -> LoadedConfig:
    loaded = LoadedConfig(all_values=props.as_dict())
    for key, entry in props.last_entries().items():
        value = java_trim(entry.value)
        if not value:
            loaded.empty_values.append(entry)
            continue
        name = java_trim(key)
        agent_name, dot, rest = name.partition(".")
        if not dot or not agent_name or not rest:
            loaded.no_agent.append(entry)
            continue
        agent = loaded.agents.setdefault(agent_name, Agent(agent_name))
        if rest in KINDS:
            agent.lists[rest] = value
            agent.list_entries[rest] = entry
            continue
        for kind in KINDS:
            prefix = kind + "."
            if not rest.startswith(prefix):
                continue
            # FlumeConfiguration.parseConfigKey: the name runs up to the next dot after the prefix.
            dot_at = rest.find(".", len(prefix) + 1)
            if dot_at == -1:
                continue
            component_name, sub = rest[len(prefix) : dot_at], rest[dot_at + 1 :]
            if not component_name or not sub:
                continue
            component = agent.components[kind].setdefault(
                component_name, Component(kind, component_name)
            )
            component.keys[sub] = value
            component.entries[sub] = entry
            break
        else:
            agent.invalid.append(entry)
    return loaded


def references(value: str) -> list[str]:
    """The `${…}` references in a value, e.g. ["env:FLUME_HOST"]."""
    return _REFERENCE.findall(value)


def resolve(value: str, *, env: dict[str, str], values: dict[str, str]) -> str:
    """Substitute `${env:X}` and `${key}` the way Flume 1.10+ does; unknown ones stay literal."""

    def replace(match: re.Match) -> str:
        ref = match.group(1)
        prefix, colon, name = ref.partition(":")
        if colon and prefix == "env":
            return env.get(name, match.group(0))
        if not colon and ref in values:
            return values[ref]
        return match.group(0)

    return _REFERENCE.sub(replace, value)
