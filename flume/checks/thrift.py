"""Thrift sink checks: the sink's settings and the headers its events need at the portal.

The portal's Thrift intake reads each event's headers (docs/flume-thrift.md): `token` (without
it every batch is answered FAILED and resent forever), `host`, `logtype`, `file` (TAILDIR's
fileHeader: stack traces are joined per file) and `byteoffset` (a resent batch is recognised).
"""

from __future__ import annotations

from django.conf import settings

from flume.agent import Agent, Component, split_list
from flume.checks.base import Report, is_type, parse_int
from flume.checks.channels import channel_capacities
from flume.checks.sources import TAILDIR_CLASS
from flume.properties import Entry

THRIFT_SINK_CLASS = "org.apache.flume.sink.thriftsink"
THRIFT_SINK_KEYS = {
    "type", "channel", "hostname", "port", "batch-size", "connect-timeout", "request-timeout",
    "connection-reset-interval", "ssl", "truststore", "truststore-password", "truststore-type",
    "exclude-protocols", "kerberos", "client-principal", "client-keytab", "server-principal",
    "protocol",
}  # fmt: skip
THRIFT_DEFAULT_BATCH = 100
PORTAL_THRIFT_PORT = 4353
# The sink ignores an OK later than its request timeout and resends the batch.
MIN_REQUEST_TIMEOUT_MS = 10_000


def is_thrift_sink(sink: Component) -> bool:
    return is_type(sink.type, "thrift", THRIFT_SINK_CLASS)


def check_thrift_sink(report: Report, agent: Agent, sink: Component) -> None:
    key = lambda sub: agent.key("sinks", sink.name, sub)  # noqa: E731
    entry = sink.entries.get
    for sub in ("hostname", "port"):
        if sub not in sink.keys:
            report.error(key(sub), "missing: the Thrift sink has nowhere to send (removed)")
    port = sink.keys.get("port")
    if port is not None:
        number = parse_int(port)
        if number is None or not 0 < number < 65536:
            report.error(key("port"), f"{port!r} is not a port number", entry("port"))
        elif number != PORTAL_THRIFT_PORT:
            report.warn(
                key("port"),
                f"the portal's Thrift intake listens on {PORTAL_THRIFT_PORT} unless started "
                "with --port",
                entry("port"),
            )
    batch = parse_int(sink.keys.get("batch-size", str(THRIFT_DEFAULT_BATCH)))
    if batch is None or batch <= 0:
        report.error(key("batch-size"), "not a positive integer", entry("batch-size"))
        batch = None
    elif batch > settings.FLUME_THRIFT_MAX_BATCH_EVENTS:
        report.error(
            key("batch-size"),
            f"{batch} is above the portal's FLUME_THRIFT_MAX_BATCH_EVENTS "
            f"({settings.FLUME_THRIFT_MAX_BATCH_EVENTS}): every batch is answered FAILED and "
            "resent forever",
            entry("batch-size"),
        )
    channel = agent.component("channels", sink.keys.get("channel", ""))
    if batch and channel is not None and channel.type:
        _, transaction = channel_capacities(channel)
        if transaction and batch > transaction:
            report.error(
                key("batch-size"),
                f"{batch} is above {agent.key('channels', channel.name, 'transactionCapacity')} "
                f"= {transaction}: the sink's take fails and nothing is sent",
                entry("batch-size"),
            )
    timeout = parse_int(sink.keys.get("request-timeout", "20000"))
    if timeout is None or timeout <= 0:
        report.error(key("request-timeout"), "not a positive integer", entry("request-timeout"))
    elif timeout < MIN_REQUEST_TIMEOUT_MS:
        report.warn(
            key("request-timeout"),
            f"{timeout} ms: an OK later than this is ignored and the batch resent; a slow "
            "database commit then stores duplicates unless byteOffsetHeader is on",
            entry("request-timeout"),
        )
    protocol = sink.keys.get("protocol", "compact").strip().lower()
    if protocol not in ("compact", "binary"):
        report.error(
            key("protocol"),
            f"{protocol!r}: Flume's client speaks compact (the default) or binary",
            entry("protocol"),
        )
    if sink.keys.get("ssl", "false").strip().lower() == "true" and "truststore" not in sink.keys:
        report.warn(
            key("truststore"),
            "not set with ssl = true: the JVM's default truststore must hold the portal's "
            "certificate (a self-signed one is refused)",
            entry("ssl"),
        )
    for sub in sink.keys:
        if sub not in THRIFT_SINK_KEYS:
            report.warn(key(sub), "not a Thrift sink setting: Flume ignores it", entry(sub))
    for source in _sources_feeding(agent, sink.keys.get("channel")):
        check_headers(report, agent, source)


def _sources_feeding(agent: Agent, channel: str | None) -> list[Component]:
    found = []
    for name in agent.listed("sources"):
        source = agent.component("sources", name)
        if source is not None and channel in split_list(source.keys.get("channels")):
            found.append(source)
    return found


def _static_header(source: Component, header: str) -> tuple[str | None, Entry | None]:
    """The value a `static` interceptor sets for `header`, if any (and its entry)."""
    for name in split_list(source.keys.get("interceptors")):
        prefix = f"interceptors.{name}."
        if source.keys.get(prefix + "type", "").strip().lower() != "static":
            continue
        if source.keys.get(prefix + "key", "key").strip() == header:
            return source.keys.get(prefix + "value", "value"), source.entries.get(prefix + "value")
    return None, None


def _has_host_interceptor(source: Component) -> bool:
    for name in split_list(source.keys.get("interceptors")):
        prefix = f"interceptors.{name}."
        if source.keys.get(prefix + "type", "").strip().lower() == "host":
            return source.keys.get(prefix + "hostHeader", "host").strip() == "host"
    return False


def check_headers(report: Report, agent: Agent, source: Component) -> None:
    key = lambda sub: agent.key("sources", source.name, sub)  # noqa: E731
    token, _ = _static_header(source, "token")
    if token is None:
        report.error(
            key("interceptors"),
            "no static interceptor sets the `token` header: the portal refuses every event, "
            "answers FAILED, and the sink resends the batch forever",
            source.entries.get("interceptors"),
        )
    host, _ = _static_header(source, "host")
    if host is None and not _has_host_interceptor(source):
        report.warn(
            key("interceptors"),
            "no `host` header (a static or host interceptor): lines are stored under the "
            "agent's address",
            source.entries.get("interceptors"),
        )
    if not is_type(source.type, "taildir", TAILDIR_CLASS):
        return
    if source.keys.get("fileHeaderKey", "file") != "file":
        report.error(
            key("fileHeaderKey"),
            "the portal reads the file from the header `file`",
            source.entries.get("fileHeaderKey"),
        )
    if source.keys.get("fileHeader", "false").strip().lower() != "true":
        report.warn(
            key("fileHeader"),
            "not true: events carry no file, so a batch that mixes two files' lines can join "
            "one file's stack-trace lines to the other's",
            source.entries.get("fileHeader"),
        )
    if source.keys.get("byteOffsetHeader", "false").strip().lower() != "true":
        report.warn(
            key("byteOffsetHeader"),
            "not true: a batch resent after a lost OK is stored twice (the portal recognises "
            "resends by file and byte offset)",
            source.entries.get("byteOffsetHeader"),
        )
    groups = split_list(source.keys.get("filegroups"))
    for group in groups:
        if f"headers.{group}.logtype" not in source.keys:
            report.warn(
                key(f"headers.{group}.logtype"),
                "not set: the lines of this file group are stored as log type hadoop",
            )


def check_transport(report: Report, agent: Agent) -> None:
    """With --transport thrift: the agent must send to the portal through a Thrift sink."""
    if report.transport != "thrift":
        return
    sinks = [agent.component("sinks", name) for name in agent.listed("sinks")]
    if not any(sink is not None and sink.type and is_thrift_sink(sink) for sink in sinks):
        report.error(
            f"{agent.name}.sinks",
            "no Thrift sink (type = thrift): this agent does not send to the Thrift intake",
        )
