"""check_flume_config passes the shipped agent file and refuses broken ones, naming the key.

Each broken variant is the shipped file with one realistic mistake, so a test proves both that the
rule fires and that nothing else in the file trips it.
"""

import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from flume import properties
from flume.checks import check_config
from flume.render import SHIPPED_CONFIG
from tests.support.services import REPO_ROOT

SHIPPED = SHIPPED_CONFIG.read_text(encoding="iso-8859-1")
HDFS_GROUP = (
    "a1.sources.hdfs_dir.filegroups.hdfs = /var/log/hadoop/hdfs/"
    "(?![^-]+-[^-]+-(namenode|secondarynamenode|journalnode|zkfc)-)(?!.*audit)(?!gc).*\\\\.log"
)
NAMENODE_GROUP = (
    "a1.sources.hdfs_dir.filegroups.namenode = /var/log/hadoop/hdfs/"
    "[^-]+-[^-]+-(namenode|secondarynamenode)-.+\\\\.log"
)
YARN_GROUP = (
    "a1.sources.apps_yarn_dir.filegroups.yarn = /apps/yarn/logs/"
    "(?![^-]+-[^-]+-resourcemanager-)(?!.*audit)(?!gc).*\\\\.log"
)


def variant(*edits: tuple[str, str]) -> str:
    text = SHIPPED
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} must occur once in the shipped file"
        text = text.replace(old, new)
    return text


def run_check(tmp_path, text: str, *args: str) -> tuple[str, str]:
    path = tmp_path / "agent.conf"
    path.write_bytes(text.encode("iso-8859-1"))
    out, err = StringIO(), StringIO()
    call_command("check_flume_config", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_shipped_configuration_passes_without_a_warning(tmp_path):
    out, err = run_check(tmp_path, SHIPPED)
    assert "0 error(s), 0 warning(s)" in out
    assert err == ""
    # It names what must be exported before the agent starts.
    assert "FAULTPORTAL_HOST, FAULTPORTAL_TOKEN, FLUME_HOST" in out


def test_the_shipped_configuration_routes_every_status_as_the_portal_contract_needs():
    from flume.agent import agents_from_properties
    from flume.httpsink import HttpSinkSettings

    agent = agents_from_properties(properties.loads(SHIPPED)).agents["a1"]
    # One sink per log type, and one per master daemon log (issue 13: streams that interleave).
    assert len(agent.listed("sinks")) == 8
    for name in agent.listed("sinks"):
        keys = dict(agent.component("sinks", name).keys)
        keys["endpoint"] = "http://portal:8000/api/log/auto-upload?host=h&logtype=x&token=t"
        settings = HttpSinkSettings.from_keys(keys)
        for status in (200, 201, 204):
            assert (settings.decide(status).rollback, settings.decide(status).backoff) == (
                False,
                False,
            )
        for status in (400, 413, 415, 422):
            assert settings.decide(status).rollback is False  # dropped: a bad line never blocks
        for status in (401, 403, 404, 405, 408, 429, 500, 502, 503, 504):
            decision = settings.decide(status)
            assert decision.rollback and decision.backoff, status  # retried with backoff


BROKEN = [
    pytest.param(
        [(HDFS_GROUP, "a1.sources.hdfs_dir.filegroups.hdfs = /var/log/hadoop/hdfs/*.log")],
        "a1.sources.hdfs_dir.filegroups.hdfs",
        "glob",
        id="glob-instead-of-regex",
    ),
    pytest.param(
        [(HDFS_GROUP, "a1.sources.hdfs_dir.filegroups.hdfs = /var/log/hadoop/hdfs/hadoop*.log")],
        "a1.sources.hdfs_dir.filegroups.hdfs",
        "glob",
        id="glob-that-compiles-as-regex",
    ),
    pytest.param(
        [(YARN_GROUP, "a1.sources.apps_yarn_dir.filegroups.yarn = /apps/yarn/logs/")],
        "a1.sources.apps_yarn_dir.filegroups.yarn",
        "file named 'logs' in /apps/yarn",
        id="directory-with-trailing-slash",
    ),
    pytest.param(
        [
            (
                YARN_GROUP,
                "a1.sources.apps_yarn_dir.filegroups.yarn = "
                "/apps/yarn/logs/application_.*/container_.*/syslog",
            )
        ],  # noqa: E501
        "a1.sources.apps_yarn_dir.filegroups.yarn",
        "wildcards",
        id="wildcard-in-directory",
    ),
    pytest.param(
        [("a1.channels.hdfs_ch.type = file", "a1.channels.hdfs_ch.type = memory")],
        "a1.channels.hdfs_ch.type",
        "memory channel loses its whole backlog",
        id="memory-channel",
    ),
    pytest.param(
        [("a1.sinks.yarn_portal.rollback.2XX = false\n", "")],
        "a1.sinks.yarn_portal.rollback.2XX",
        "re-sent forever",
        id="no-rollback-2XX-override",
    ),
    pytest.param(
        [("a1.sinks.yarn_portal.backoff.2XX = false\n", "")],
        "a1.sinks.yarn_portal.backoff.2XX",
        "sleeps 1-5 s after every delivered line",
        id="no-backoff-2XX-override",
    ),
    pytest.param(
        [
            (
                "a1.sinks.hdfs_portal.rollback.2XX = false",
                "a1.sinks.hdfs_portal.rollback.2xx = false",
            )
        ],
        "a1.sinks.hdfs_portal.rollback.2xx",
        "upper-case XX",
        id="lower-case-class",
    ),
    pytest.param(
        [("a1.sinks.hdfs_portal.rollback.4XX = false", "a1.sinks.hdfs_portal.rollback.4XX = true")],
        "a1.sinks.hdfs_portal.rollback.4XX",
        "blocks every line behind it",
        id="4XX-retried",
    ),
    pytest.param(
        [("a1.sinks.hdfs_portal.rollback.401 = true\n", "")],
        "a1.sinks.hdfs_portal.rollback.401",
        "the line is dropped",
        id="auth-failure-drops-lines",
    ),
    pytest.param(
        [("a1.sinks.hdfs_portal.rollback.5XX = true", "a1.sinks.hdfs_portal.rollback.5XX = yes")],
        "a1.sinks.hdfs_portal.rollback.5XX",
        "Java reads it as false",
        id="boolean-that-is-not-true",
    ),
    pytest.param(
        [
            (
                "a1.channels.yarn_ch.transactionCapacity = 1000",
                "a1.channels.yarn_ch.transactionCapacity = 20000",
            )
        ],  # noqa: E501
        "a1.channels.yarn_ch.transactionCapacity",
        "above capacity 10000",
        id="transaction-capacity-above-capacity",
    ),
    pytest.param(
        [
            (
                "a1.channels.yarn_ch.transactionCapacity = 1000",
                "a1.channels.yarn_ch.transactionCapacity = 50",
            )
        ],  # noqa: E501
        "a1.sources.yarn_dir.batchSize",
        "a1.channels.yarn_ch.transactionCapacity = 50",
        id="batch-size-above-transaction-capacity",
    ),
    pytest.param(
        [("a1.sources.hdfs_dir.channels = hdfs_ch", "a1.sources.hdfs_dir.channel = hdfs_ch")],
        "a1.sources.hdfs_dir.channel",
        "`channels` (plural",
        id="source-with-singular-channel",
    ),
    pytest.param(
        [("a1.sinks.hdfs_portal.channel = hdfs_ch", "a1.sinks.hdfs_portal.channels = hdfs_ch")],
        "a1.sinks.hdfs_portal.channels",
        "`channel` (singular",
        id="sink-with-plural-channels",
    ),
    pytest.param(
        [("a1.sinks.hdfs_portal.channel = hdfs_ch", "a1.sinks.hdfs_portal.channel = hdfs_channel")],
        "a1.sinks.hdfs_portal.channel",
        "'hdfs_channel' is not declared",
        id="sink-channel-undeclared",
    ),
    pytest.param(
        [
            (
                "a1.sources.yarn_dir.channels = yarn_ch",
                "a1.sources.yarn_dir.channels = yarn_ch yarn_chan",
            )
        ],  # noqa: E501
        "a1.sources.yarn_dir.channels",
        "'yarn_chan' is not declared",
        id="source-channel-undeclared",
    ),
    pytest.param(
        [("a1.sources.hadoop_dir.selector.default = hadoop_ch\n", "")],
        "a1.sources.hadoop_dir.selector.default",
        "silently lost",
        id="multiplexing-without-default",
    ),
    pytest.param(
        [
            (
                "a1.sources.hadoop_dir.selector.mapping.yarn = yarn_ch",
                "a1.sources.hadoop_dir.selector.mapping.yarn = yarn_logs",
            )
        ],  # noqa: E501
        "a1.sources.hadoop_dir.selector.mapping.yarn",
        "not in a1.sources.hadoop_dir.channels",
        id="mapping-to-a-channel-outside-the-source",
    ),
    pytest.param(
        [("a1.sinks.yarn_portal.type = http\n", "")],
        "a1.sinks.yarn_portal.type",
        "without a type is removed",
        id="sink-without-type",
    ),
    pytest.param(
        [("a1.sources = hadoop_dir", "a1.sources = extra_dir hadoop_dir")],
        "a1.sources.extra_dir.type",
        "has no properties",
        id="listed-source-without-properties",
    ),
    pytest.param(
        [("mapreduce_portal namenode_portal", "namenode_portal")],
        "a1.channels.mapreduce_ch",
        "no sink drains this channel",
        id="channel-without-sink",
    ),
    pytest.param(
        [
            (
                "a1.sources.yarn_dir.filegroups = resourcemanager yarn",
                "a1.sources.yarn_dir.filegroups = resourcemanager yarn nodemanager",
            )
        ],  # noqa: E501
        "a1.sources.yarn_dir.filegroups.nodemanager",
        "tails nothing",
        id="file-group-without-path",
    ),
    pytest.param(
        [("/var/lib/flume/positions/yarn_dir.json", "/var/lib/flume/positions/hdfs_dir.json")],
        "a1.sources.yarn_dir.positionFile",
        "share the position file",
        id="shared-position-file",
    ),
    pytest.param(
        [
            (
                "a1.channels.yarn_ch.dataDirs = /var/lib/flume/channels/yarn_ch/data",
                "a1.channels.yarn_ch.dataDirs = /var/lib/flume/channels/hdfs_ch/data",
            )
        ],  # noqa: E501
        "a1.channels.yarn_ch.dataDirs",
        "only one can start",
        id="shared-data-dir",
    ),
    pytest.param(
        [("a1.sinks.hdfs_portal.endpoint = http://", "a1.sinks.hdfs_portal.endpoint = ")],
        "a1.sinks.hdfs_portal.endpoint",
        "not a valid http(s) URL",
        id="endpoint-without-scheme",
    ),
    pytest.param(
        [("logtype=hdfs&token=${env:FAULTPORTAL_TOKEN}", "logtype=hdfs")],
        "a1.sinks.hdfs_portal.endpoint",
        "no token=",
        id="endpoint-without-token",
    ),
    pytest.param(
        [("host=${env:FLUME_HOST}&logtype=hdfs&token", "host=${FLUME_HOST}&logtype=hdfs&token")],
        "a1.sinks.hdfs_portal.endpoint",
        "'${env:FLUME_HOST}'",
        id="pre-1.10-variable",
    ),
    pytest.param(
        [
            (
                "a1.sinks.hdfs_portal.requestTimeout = 15000",
                "a1.sinks.hdfs_portal.requestTimeout = 0",
            )
        ],
        "a1.sinks.hdfs_portal.requestTimeout",
        "positive",
        id="zero-timeout",
    ),
    pytest.param(
        [
            (
                "a1.sinks.hdfs_portal.contentTypeHeader = text/plain; charset=utf-8",
                "a1.sinks.hdfs_portal.contentTypeHeader = application/json",
            )
        ],  # noqa: E501
        "a1.sinks.hdfs_portal.contentTypeHeader",
        "raw log line",
        id="json-content-type",
    ),
]


@pytest.mark.parametrize(("edits", "key", "fragment"), BROKEN)
def test_a_broken_configuration_is_refused_naming_the_key(tmp_path, edits, key, fragment):
    path = tmp_path / "agent.conf"
    path.write_bytes(variant(*edits).encode("iso-8859-1"))
    err = StringIO()
    with pytest.raises(CommandError, match=r"[1-9]\d* error\(s\)"):
        call_command("check_flume_config", str(path), stdout=StringIO(), stderr=err)
    errors = [line for line in err.getvalue().splitlines() if line.startswith("ERROR")]
    assert any(f": {key}" in line and fragment in line for line in errors), errors


def test_a_memory_channel_can_be_accepted_explicitly(tmp_path):
    text = variant(("a1.channels.hdfs_ch.type = file", "a1.channels.hdfs_ch.type = memory"))
    out, _ = run_check(tmp_path, text, "--allow-memory-channel")
    assert "WARNING: a1.channels.hdfs_ch.type" in out and "0 error(s)" in out


@pytest.mark.parametrize(
    ("edits", "key", "fragment"),
    [
        ([("a1.sources.hdfs_dir.batchSize", "a1.source.hdfs_dir.batchSize")], "a1.source.hdfs_dir.batchSize", "ignores this key"),  # noqa: E501
        ([("a1.sinks.hdfs_portal.acceptHeader", "a1.sinks.hdfs_portal.accept")], "a1.sinks.hdfs_portal.accept", "not an HttpSink setting"),  # noqa: E501
        ([(HDFS_GROUP, HDFS_GROUP + "\n" + HDFS_GROUP.replace("\\\\.", "\\."))], "a1.sources.hdfs_dir.filegroups.hdfs", "set 2 times"),  # noqa: E501
        ([(HDFS_GROUP, HDFS_GROUP.replace("\\\\.", "\\."))], "a1.sources.hdfs_dir.filegroups.hdfs", "lost its backslash"),  # noqa: E501
        ([(NAMENODE_GROUP, NAMENODE_GROUP.replace("\\\\.log", "\\\\.log.*"))], "a1.sources.hdfs_dir.filegroups.namenode", "rotated names"),  # noqa: E501
        ([("a1.sources.hdfs_dir.skipToEnd = true\n", "")], "a1.sources.hdfs_dir.skipToEnd", "decide"),  # noqa: E501
        ([("a1.sinks.hdfs_portal.backoff.429 = true", "a1.sinks.hdfs_portal.backoff.429 = false")], "a1.sinks.hdfs_portal.backoff.429", "hammers"),  # noqa: E501
        ([("a1.sinks = hadoop_portal", "a1.sinks = ")], "a1.sinks.hadoop_portal", "silently ignores"),  # noqa: E501
    ],
    ids=["key-typo", "unknown-sink-key", "duplicate-key", "dropped-escape", "rotated-names",
         "skipToEnd-undecided", "retry-without-backoff", "unlisted-component"],
)  # fmt: skip
def test_suspicious_but_legal_settings_are_warnings(tmp_path, edits, key, fragment):
    result = check_config(properties.loads(variant(*edits)))
    warnings = [str(f) for f in result.warnings if f.key == key]
    assert any(fragment in w for w in warnings), [str(f) for f in result.findings]


def test_several_agents_need_agent_and_unknown_agent_is_an_error(tmp_path):
    text = SHIPPED + "\nother.channels = c\nother.channels.c.type = memory\n"
    with pytest.raises(CommandError):
        run_check(tmp_path, text)
    out, _ = run_check(tmp_path, text, "--agent", "a1")
    assert "0 error(s)" in out
    with pytest.raises(CommandError):
        run_check(tmp_path, text, "--agent", "a2")


def test_an_unloadable_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="Malformed"):
        run_check(tmp_path, "a1.sources = r\\u12")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("check_flume_config", str(tmp_path / "missing.conf"))


def test_the_command_exits_non_zero_for_a_broken_file(tmp_path):
    path = tmp_path / "broken.conf"
    path.write_text(variant(("a1.sinks.yarn_portal.rollback.2XX = false\n", "")))
    result = subprocess.run(
        [sys.executable, "manage.py", "check_flume_config", str(path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "a1.sinks.yarn_portal.rollback.2XX" in result.stderr
