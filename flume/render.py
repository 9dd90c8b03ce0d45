"""Render the agent configuration for one node: portal URL, host name and token written in.

The shipped file reads them from the environment (`${env:…}`, Flume 1.10+); a rendered copy needs
nothing from the environment, suits Flume 1.8/1.9 too, and is what the chain test deploys. The
text is rewritten line by line, so every comment of the shipped file survives.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from flume.agent import Agent, agents_from_properties, split_list
from flume.checks.sinks import HTTP_SINK_CLASS, PORTAL_PATH
from flume.checks.thrift import is_thrift_sink
from flume.properties import Entry, escape_value, loads

SHIPPED_CONFIG = Path(__file__).with_name("hadoop-log-agent.conf")
SHIPPED_THRIFT_CONFIG = Path(__file__).with_name("hadoop-log-agent-thrift.conf")
TOKEN_PLACEHOLDER = "${env:FAULTPORTAL_TOKEN}"
THRIFT_PORT = 4353


class RenderError(ValueError):
    pass


def portal_endpoint(
    *, portal_url: str, host: str, logtype: str, token: str | None, source_file: str = ""
) -> str:
    """The sink URL for one log type; query values are URL-encoded (the sink sends them as is).

    `source_file` (the endpoint's `file=`) names what a sink tails when it tails one daemon's
    log: the portal then keeps that sink's lines a stream of their own (docs/events.md)."""
    query = f"host={quote(host, safe='')}&logtype={quote(logtype, safe='')}"
    if source_file:
        query += f"&file={quote(source_file, safe='/')}"
    query += "&token=" + (quote(token, safe="") if token else TOKEN_PLACEHOLDER)
    return f"{portal_url.rstrip('/')}{PORTAL_PATH}?{query}"


def render_agent_config(
    text: str,
    *,
    host: str,
    portal_url: str,
    token: str | None,
    omit_sources: tuple[str, ...] = (),
    now: datetime | None = None,
    transport: str = "http",
) -> str:
    """The configuration `text` with every portal sink pointed at `portal_url` for `host`.

    `token` None keeps `${env:FAULTPORTAL_TOKEN}`. `omit_sources` drops sources (a directory the
    node does not have), and with them channels and sinks that nothing feeds any more. With
    `transport` "thrift" the Thrift sinks get the portal's host and port (thrift://host:port,
    default port 4353) and the sources' static `host` and `token` headers get their values.
    """
    host = host.strip()
    if not host or any(c.isspace() for c in host) or host.startswith("$"):
        raise RenderError(f"--host {host!r} is not a host name")
    parts = urlsplit(portal_url)
    if transport == "thrift":
        if parts.scheme not in ("thrift", "http", "https") or not parts.hostname or parts.query:
            raise RenderError(f"--portal-url {portal_url!r} must look like thrift://portal:4353")
    elif parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise RenderError(f"--portal-url {portal_url!r} must look like http://portal:8000")
    if token is not None and (not token or any(c.isspace() for c in token)):
        raise RenderError("the token is empty or contains blanks")

    props = loads(text)
    loaded = agents_from_properties(props)
    if len(loaded.agents) != 1:
        raise RenderError("the configuration must hold exactly one agent")
    agent = next(iter(loaded.agents.values()))
    unknown = [name for name in omit_sources if name not in agent.listed("sources")]
    if unknown:
        raise RenderError(f"no source named {', '.join(unknown)} in {agent.name}.sources")

    replacements: dict[int, str | None] = {}  # first line -> new text (None: delete)
    spans: dict[int, int] = {}

    def replace(entry: Entry, new: str | None) -> None:
        replacements[entry.line] = None if new is None else f"{entry.key} = {escape_value(new)}"
        spans[entry.line] = entry.end_line

    dropped = _drop_plan(agent, omit_sources)
    for kind, names in dropped.items():
        if not names:
            continue
        remaining = [n for n in agent.listed(kind) if n not in names]
        if not remaining:
            raise RenderError(f"nothing would be left in {agent.name}.{kind}")
        replace(agent.list_entries[kind], " ".join(remaining))
        for name in names:
            for entry in props.entries:
                if entry.key.startswith(f"{agent.name}.{kind}.{name}."):
                    replace(entry, None)

    if transport == "thrift":
        _render_thrift(agent, props, replace, dropped, host=host, parts=parts, token=token)
        return _write(
            text, replacements, spans, host=host, token=token, omit_sources=omit_sources, now=now
        )
    sinks = 0
    for name in agent.listed("sinks"):
        sink = agent.component("sinks", name)
        if name in dropped["sinks"] or sink is None:
            continue
        if sink.type.lower() not in ("http", HTTP_SINK_CLASS) or "endpoint" not in sink.keys:
            continue
        endpoint = urlsplit(sink.keys["endpoint"])
        if not endpoint.path.rstrip("/").endswith(PORTAL_PATH):
            continue
        logtype = parse_qs(endpoint.query).get("logtype", [""])[0]
        if not logtype or "${" in logtype:
            raise RenderError(f"{agent.key('sinks', name, 'endpoint')} has no logtype= value")
        source_file = parse_qs(endpoint.query).get("file", [""])[0]
        url = portal_endpoint(
            portal_url=portal_url,
            host=host,
            logtype=logtype,
            token=token,
            source_file=source_file,
        )
        for entry in props.entries:  # every copy of the key, so a duplicate cannot win
            if entry.key == agent.key("sinks", name, "endpoint"):
                replace(entry, url)
        sinks += 1
    if not sinks:
        raise RenderError(f"no HTTP sink posting to {PORTAL_PATH} in this configuration")

    return _write(
        text, replacements, spans, host=host, token=token, omit_sources=omit_sources, now=now
    )


def _render_thrift(agent: Agent, props, replace, dropped, *, host, parts, token) -> None:
    sinks = 0
    for name in agent.listed("sinks"):
        sink = agent.component("sinks", name)
        if name in dropped["sinks"] or sink is None or not is_thrift_sink(sink):
            continue
        port = parts.port if parts.scheme == "thrift" and parts.port else THRIFT_PORT
        for entry in props.entries:
            if entry.key == agent.key("sinks", name, "hostname"):
                replace(entry, parts.hostname)
            elif entry.key == agent.key("sinks", name, "port"):
                replace(entry, str(port))
        sinks += 1
    if not sinks:
        raise RenderError("no Thrift sink in this configuration")
    values = {"host": host, "token": token}
    for name in agent.listed("sources"):
        source = agent.component("sources", name)
        if name in dropped["sources"] or source is None:
            continue
        for interceptor in split_list(source.keys.get("interceptors")):
            prefix = f"interceptors.{interceptor}."
            if source.keys.get(prefix + "type", "").strip().lower() != "static":
                continue
            header = source.keys.get(prefix + "key", "key").strip()
            if values.get(header) is None:
                continue
            for entry in props.entries:
                if entry.key == agent.key("sources", name, prefix + "value"):
                    replace(entry, values[header])


def _write(text, replacements, spans, *, host, token, omit_sources, now) -> str:
    lines = text.splitlines()
    out: list[str] = []
    index = 0
    while index < len(lines):
        number = index + 1
        if number in replacements:
            if replacements[number] is not None:
                out.append(replacements[number])
            index = spans[number]
            continue
        out.append(lines[index])
        index += 1
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    secret = (
        "It contains this node's ingest token: keep it readable by the flume user only (chmod 600)."
        if token
        else "The token still comes from FAULTPORTAL_TOKEN (flume-env.sh)."
    )
    header = [
        f"# Rendered for host {host} by `manage.py render_flume_config` on {stamp}.",
        f"# {secret}",
    ]
    if omit_sources:
        header.append(f"# Sources left out for this node: {', '.join(omit_sources)}.")
    return "\n".join(header + ["#"] + out) + "\n"


def _drop_plan(agent: Agent, omit_sources: tuple[str, ...]) -> dict[str, set[str]]:
    """Sources to omit, plus channels no remaining source feeds and the sinks that drain them."""
    sources = set(omit_sources)
    fed: set[str] = set()
    for name in agent.listed("sources"):
        source = agent.component("sources", name)
        if name not in sources and source is not None:
            fed.update(split_list(source.keys.get("channels")))
    channels = {name for name in agent.listed("channels") if name not in fed} if sources else set()
    sinks = {
        name
        for name in agent.listed("sinks")
        if (sink := agent.component("sinks", name)) and sink.keys.get("channel") in channels
    }
    return {"sources": sources, "channels": channels, "sinks": sinks, "sinkgroups": set()}
