"""The Thrift variant of the agent file: check_flume_config --transport thrift passes it and names
each mistake that would make the intake refuse or mis-store its events; render_flume_config
--transport thrift fills in the portal, the node and its token."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from flume import properties
from flume.agent import agents_from_properties
from flume.checks import check_config
from flume.render import SHIPPED_CONFIG, SHIPPED_THRIFT_CONFIG

SHIPPED = SHIPPED_THRIFT_CONFIG.read_text(encoding="iso-8859-1")


def variant(*edits: tuple[str, str]) -> str:
    text = SHIPPED
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} must occur once in the shipped file"
        text = text.replace(old, new)
    return text


def findings(text: str, transport: str = "thrift") -> list[str]:
    return [str(f) for f in check_config(properties.loads(text), transport=transport).findings]


def test_the_shipped_thrift_file_passes_without_a_warning(tmp_path):
    path = tmp_path / "agent.conf"
    path.write_text(SHIPPED, encoding="iso-8859-1")
    out = StringIO()
    call_command("check_flume_config", "--transport", "thrift", str(path), stdout=out)
    assert "0 error(s), 0 warning(s)" in out.getvalue()
    assert "FAULTPORTAL_HOST, FAULTPORTAL_TOKEN, FLUME_HOST" in out.getvalue()


def test_every_source_sends_the_headers_the_intake_reads():
    agent = agents_from_properties(properties.loads(SHIPPED)).agents["a1"]
    for name in agent.listed("sources"):
        keys = agent.component("sources", name).keys
        assert keys["fileHeader"] == "true" and keys["byteOffsetHeader"] == "true"
        assert keys["interceptors.token.value"] == "${env:FAULTPORTAL_TOKEN}"
        assert keys["interceptors.node.key"] == "host"
        groups = keys["filegroups"].split()
        assert all(f"headers.{group}.logtype" in keys for group in groups)
    sink = agent.component("sinks", "portal").keys
    assert sink["type"] == "thrift" and sink["port"] == "4353" and sink["batch-size"] == "100"


def test_the_http_file_is_not_a_thrift_agent():
    http = SHIPPED_CONFIG.read_text(encoding="iso-8859-1")
    assert findings(http, "http") == []
    assert any("no Thrift sink" in f for f in findings(http))


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        (
            [("a1.sources.hdfs_dir.interceptors = drop_blank node token",
              "a1.sources.hdfs_dir.interceptors = drop_blank node")],
            "ERROR: a1.sources.hdfs_dir.interceptors (line",
        ),
        (
            [("a1.sources.yarn_dir.byteOffsetHeader = true\n", "")],
            "WARNING: a1.sources.yarn_dir.byteOffsetHeader: not true: a batch resent",
        ),
        (
            [("a1.sources.yarn_dir.fileHeader = true\n", "")],
            "WARNING: a1.sources.yarn_dir.fileHeader: not true",
        ),
        (
            [("a1.sinks.portal.batch-size = 100", "a1.sinks.portal.batch-size = 2000")],
            "transactionCapacity = 1000: the sink's take fails",
        ),
        (
            [("a1.sinks.portal.batch-size = 100", "a1.sinks.portal.batch-size = 20000")],
            "above the portal's FLUME_THRIFT_MAX_BATCH_EVENTS",
        ),
        (
            [("a1.sinks.portal.protocol = compact", "a1.sinks.portal.protocol = json")],
            "ERROR: a1.sinks.portal.protocol",
        ),
        (
            [("a1.sinks.portal.port = 4353", "a1.sinks.portal.port = http")],
            "is not a port number",
        ),
        (
            [("a1.sinks.portal.request-timeout = 20000", "a1.sinks.portal.request-timeout = 2000")],
            "WARNING: a1.sinks.portal.request-timeout",
        ),
        (
            [("a1.sinks.portal.protocol = compact", "a1.sinks.portal.batchSize = 100")],
            "WARNING: a1.sinks.portal.batchSize (line",
        ),
    ],
)  # fmt: skip
def test_each_mistake_is_reported_with_its_key(edits, expected):
    found = findings(variant(*edits))
    assert any(expected in f for f in found), found


def render(*args: str) -> str:
    out = StringIO()
    call_command("render_flume_config", "--transport", "thrift", *args, stdout=out)
    return out.getvalue()


def test_render_fills_in_the_portal_the_node_and_its_token(capsys):
    call_command(
        "render_flume_config", "--transport", "thrift", "--host", "dn07.example",
        "--portal-url", "thrift://portal.example:4400", "--token", "fpt_secret",
        "--omit-source", "mapred_dir",
    )  # fmt: skip
    text = capsys.readouterr().out
    agent = agents_from_properties(properties.loads(text)).agents["a1"]
    assert agent.listed("sources") == ["hadoop_dir", "hdfs_dir", "yarn_dir", "apps_yarn_dir"]
    sink = agent.component("sinks", "portal").keys
    assert (sink["hostname"], sink["port"]) == ("portal.example", "4400")
    for name in agent.listed("sources"):
        keys = agent.component("sources", name).keys
        assert keys["interceptors.node.value"] == "dn07.example"
        assert keys["interceptors.token.value"] == "fpt_secret"
    assert "${env:" not in text.split("a1.sources =", 1)[1]
    # only the port other than the intake's default is worth a word
    found = check_config(properties.loads(text), transport="thrift").findings
    assert [(f.level, f.key) for f in found] == [("warning", "a1.sinks.portal.port")]


def test_render_takes_the_default_port_from_an_http_url(capsys):
    call_command(
        "render_flume_config", "--transport", "thrift", "--host", "dn01",
        "--portal-url", "http://portal.example:8000",
    )  # fmt: skip
    keys = agents_from_properties(properties.loads(capsys.readouterr().out)).agents["a1"]
    sink = keys.component("sinks", "portal").keys
    assert (sink["hostname"], sink["port"]) == ("portal.example", "4353")


def test_render_refuses_a_url_that_is_not_a_portal_address():
    with pytest.raises(CommandError, match="thrift://portal:4353"):
        render("--host", "dn01", "--portal-url", "ftp://portal")
