"""Checks of a Flume agent configuration: what Flume would reject, remove or silently get wrong.

Flume's own load is forgiving in the worst way: a broken component is removed with one log line
and the agent starts without it; a misspelt key is ignored; a glob where a regex belongs tails
nothing; default HttpSink settings re-send every line forever. Each rule here names the key to fix.

Severity: an ERROR is something that loses lines, stops a flow or makes Flume drop a component; a
WARNING is legal but probably not meant (or a decision the file should state). `check_config`
returns both; the command exits non-zero on any error.

The checks live by what they check: `sources`, `channels`, `sinks`, `responses` (what the HTTP
sink does with each answer), `thrift` (the Thrift sink and the headers its events need) and
`agent` (the file and the agent as a whole); `base` holds the findings.
"""

from __future__ import annotations

from flume.agent import agents_from_properties
from flume.checks.agent import check_agent, pick_agent
from flume.checks.base import ERROR, WARNING, CheckResult, Finding, Report
from flume.properties import PropertiesFile

__all__ = ["ERROR", "WARNING", "CheckResult", "Finding", "check_config"]


def check_config(
    props: PropertiesFile,
    *,
    agent: str | None = None,
    allow_memory_channel: bool = False,
    transport: str = "http",
) -> CheckResult:
    loaded = agents_from_properties(props)
    report = Report(props, loaded, allow_memory_channel=allow_memory_channel, transport=transport)
    name = pick_agent(report, agent)
    if name is not None:
        check_agent(report, loaded.agents[name])
    report.findings.sort(key=lambda f: (f.level != ERROR, f.line or 10**9, f.key))
    return CheckResult(name, report.findings, sorted(report.env_vars))
