"""Sink checks: the channel a sink drains, the HttpSink endpoint and settings, sink groups."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from flume.agent import Agent, Component, split_list
from flume.checks.base import Report, is_type, known_type
from flume.checks.responses import check_responses
from flume.checks.thrift import check_thrift_sink, is_thrift_sink
from flume.httpsink import KNOWN_KEYS as HTTP_SINK_KEYS
from flume.httpsink import OVERRIDE_KINDS, HttpSinkConfigError, HttpSinkSettings
from flume.properties import Entry

SINK_ALIASES = {
    "null", "logger", "file_roll", "hdfs", "irc", "avro", "thrift", "elasticsearch", "hbase",
    "hbase2", "asynchbase", "morphline_solr", "hive", "http", "kafka",
}  # fmt: skip
PROCESSOR_ALIASES = {"default", "failover", "load_balance"}

HTTP_SINK_CLASS = "org.apache.flume.sink.http.httpsink"
PORTAL_PATH = "/api/log/auto-upload"


def check_sink(report: Report, agent: Agent, sink: Component, channels: list[str]) -> str | None:
    key = lambda sub: agent.key("sinks", sink.name, sub)  # noqa: E731
    entry = sink.entries.get
    if not known_type(sink.type, SINK_ALIASES):
        report.error(key("type"), f"unknown sink type {sink.type!r}", entry("type"))
    channel = sink.keys.get("channel")
    if channel is None:
        if "channels" in sink.keys:
            report.error(
                key("channels"),
                "a sink takes `channel` (singular, one name); with `channels` Flume removes "
                "the sink",
                entry("channels"),
            )
        else:
            report.error(key("channel"), "missing: a sink without a channel is removed")
        channel_ok = None
    elif len(channel.split()) != 1:
        report.error(key("channel"), "a sink drains exactly one channel", entry("channel"))
        channel_ok = None
    elif channel not in channels:
        report.error(
            key("channel"),
            f"channel {channel!r} is not declared in {agent.name}.channels: Flume removes the sink",
            entry("channel"),
        )
        channel_ok = None
    else:
        channel_ok = channel
    if is_type(sink.type, "http", HTTP_SINK_CLASS):
        check_http_sink(report, agent, sink)
    elif is_thrift_sink(sink):
        check_thrift_sink(report, agent, sink)
    return channel_ok


def check_http_sink(report: Report, agent: Agent, sink: Component) -> None:
    key = lambda sub: agent.key("sinks", sink.name, sub)  # noqa: E731
    entry = sink.entries.get
    if "endpoint" not in sink.keys:
        report.error(key("endpoint"), "missing: the sink has nowhere to send (removed)")
        return
    # Check the URL as Flume sees it after `${env:…}` is resolved.
    resolved = re.sub(r"\$\{env:[^}]*\}", "placeholder", sink.keys["endpoint"])
    keys = {**sink.keys, "endpoint": resolved}
    try:
        settings = HttpSinkSettings.from_keys(keys)
    except HttpSinkConfigError as exc:
        report.error(key(exc.key), f"{exc}: Flume removes the sink", entry(exc.key))
        return
    check_endpoint(report, key("endpoint"), sink.keys["endpoint"], entry("endpoint"))
    content_type = settings.content_type.split(";")[0].strip().lower()
    if content_type != "text/plain":
        report.error(
            key("contentTypeHeader"),
            f"{settings.content_type!r}: the body is one raw log line; the portal reads "
            "any other type as something else and refuses every line (dropped by 4XX)",
            entry("contentTypeHeader"),
        )
    for sub, value in sink.keys.items():
        kind, dot, code = sub.partition(".")
        if dot and kind in OVERRIDE_KINDS:
            if re.fullmatch(r"[1-5]xx", code, re.IGNORECASE) and code[1:] != "XX":
                report.error(
                    key(sub),
                    f"Flume looks up '{code[0]}XX' (upper-case XX) only: this key is ignored",
                    entry(sub),
                )
            elif not re.fullmatch(r"[1-5](XX|\d\d)", code):
                report.warn(key(sub), "not a status code or class: ignored", entry(sub))
        elif sub not in HTTP_SINK_KEYS:
            report.warn(key(sub), "not an HttpSink setting: Flume ignores it", entry(sub))
        if (sub.partition(".")[0] in OVERRIDE_KINDS or sub.startswith("default")) and (
            value.strip().lower() not in ("true", "false")
        ):
            report.error(
                key(sub),
                f"{value!r} is neither true nor false: Java reads it as false",
                entry(sub),
            )
    check_responses(report, key, entry, settings)


def check_endpoint(report: Report, key: str, endpoint: str, entry: Entry | None) -> None:
    parts = urlsplit(endpoint)
    if parts.path.rstrip("/") != PORTAL_PATH and not parts.path.rstrip("/").endswith(PORTAL_PATH):
        report.warn(key, f"the portal receives lines at {PORTAL_PATH}, not {parts.path!r}", entry)
        return
    query = parse_qs(parts.query, keep_blank_values=True)
    if not query.get("token", [""])[0]:
        report.error(
            key,
            "no token= in the query: HttpSink cannot send an Authorization header, so every "
            "line is refused with 401 and retried forever",
            entry,
        )
    if not query.get("host", [""])[0]:
        report.error(
            key,
            "no host= in the query: the portal cannot tell which node sent the line",
            entry,
        )
    if not query.get("logtype", [""])[0]:
        report.warn(key, "no logtype= in the query: lines arrive without their log type", entry)


def check_sinkgroups(report: Report, agent: Agent, sinks: list[str]) -> None:
    owner: dict[str, str] = {}
    for name in agent.listed("sinkgroups"):
        group = agent.component("sinkgroups", name)
        key = lambda sub, n=name: agent.key("sinkgroups", n, sub)  # noqa: E731
        if group is None or not group.keys.get("sinks"):
            report.error(key("sinks"), "missing: a sink group needs its list of sinks")
            continue
        processor = group.keys.get("processor.type", "default")
        if not known_type(processor, PROCESSOR_ALIASES):
            report.error(
                key("processor.type"),
                f"unknown sink processor {processor!r}",
                group.entries.get("processor.type"),
            )
        for sink in split_list(group.keys["sinks"]):
            if sink not in sinks:
                report.error(
                    key("sinks"),
                    f"sink {sink!r} is not in {agent.name}.sinks",
                    group.entries.get("sinks"),
                )
            elif sink in owner:
                report.error(
                    key("sinks"),
                    f"sink {sink!r} already belongs to group {owner[sink]!r}",
                    group.entries.get("sinks"),
                )
            else:
                owner[sink] = name
