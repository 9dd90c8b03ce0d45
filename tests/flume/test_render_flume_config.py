"""render_flume_config writes a per-host agent file that passes the checker."""

import os
import stat
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import CommandError, call_command

from faultportal.api.authentication import lookup_token
from faultportal.models import ApiToken
from flume import properties
from flume.agent import agents_from_properties
from flume.checks import check_config


def render(tmp_path, *args: str) -> str:
    output = tmp_path / "agent.conf"
    call_command(
        "render_flume_config", *args, "--output", str(output), stdout=StringIO(), stderr=StringIO()
    )
    return output.read_bytes().decode("iso-8859-1")


def endpoints(text: str) -> dict[str, str]:
    agent = agents_from_properties(properties.loads(text)).agents["a1"]
    return {name: agent.component("sinks", name).keys["endpoint"] for name in agent.listed("sinks")}


def test_the_rendered_file_passes_the_checker_and_carries_host_logtype_and_token(tmp_path):
    text = render(
        tmp_path, "--host", "dn01.example.com", "--portal-url", "http://portal:8000/",
        "--token", "fpt_Ab-9_x",
    )  # fmt: skip
    result = check_config(properties.loads(text))
    assert result.ok and not result.warnings, [str(f) for f in result.findings]
    assert result.env_vars == []  # nothing left for the environment to fill in
    urls = endpoints(text)
    # A sink per log type, and one per master daemon's log, which names it with file= so that
    # its traces stay its own (issue 13, "Streams that interleave").
    daemons = {"namenode": "hdfs", "journalnode": "hdfs", "zkfc": "hdfs", "resourcemanager": "yarn"}
    assert set(urls) == {"hadoop_portal", "hdfs_portal", "yarn_portal", "mapreduce_portal"} | {
        f"{daemon}_portal" for daemon in daemons
    }
    for name, url in urls.items():
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc, parts.path) == (
            "http",
            "portal:8000",
            "/api/log/auto-upload",
        )
        flow = name.removesuffix("_portal")
        expected = {"host": ["dn01.example.com"], "logtype": [flow], "token": ["fpt_Ab-9_x"]}
        if flow in daemons:
            expected |= {"logtype": [daemons[flow]], "file": [flow]}
        assert parse_qs(parts.query) == expected
    # Every comment of the shipped file is kept, and the token is only in the endpoints.
    assert "What is NOT shipped" in text
    assert text.count("fpt_Ab-9_x") == 8


def test_the_file_is_readable_by_its_owner_only(tmp_path):
    output = tmp_path / "agent.conf"
    output.write_text("old")
    os.chmod(output, 0o644)
    call_command(
        "render_flume_config", "--host", "dn01", "--portal-url", "http://portal:8000",
        "--token", "t", "--output", str(output), stdout=StringIO(),
    )  # fmt: skip
    assert stat.S_IMODE(output.stat().st_mode) == 0o600


def test_query_values_are_url_encoded(tmp_path):
    text = render(
        tmp_path, "--host", "dn01&x=1", "--portal-url", "https://portal.example.com/fp",
        "--token", "a+b/c=",
    )  # fmt: skip
    url = endpoints(text)["hdfs_portal"]
    assert url.startswith("https://portal.example.com/fp/api/log/auto-upload?host=dn01%26x%3D1&")
    assert parse_qs(urlsplit(url).query)["token"] == ["a+b/c="]


def test_without_a_token_the_token_still_comes_from_the_environment(tmp_path):
    text = render(tmp_path, "--host", "dn01", "--portal-url", "http://portal:8000")
    assert endpoints(text)["yarn_portal"].endswith("&token=${env:FAULTPORTAL_TOKEN}")
    result = check_config(properties.loads(text))
    assert result.ok and result.env_vars == ["FAULTPORTAL_TOKEN"]


def test_omitted_sources_take_unfed_channels_and_their_sinks_with_them(tmp_path):
    text = render(
        tmp_path, "--host", "dn01", "--portal-url", "http://portal:8000", "--token", "t",
        "--omit-source", "hadoop_dir", "--omit-source", "mapred_dir",
    )  # fmt: skip
    agent = agents_from_properties(properties.loads(text)).agents["a1"]
    assert agent.listed("sources") == ["hdfs_dir", "yarn_dir", "apps_yarn_dir"]
    assert agent.listed("channels") == [
        "hdfs_ch", "yarn_ch", "namenode_ch", "journalnode_ch", "zkfc_ch", "resourcemanager_ch",
    ]  # fmt: skip
    assert agent.listed("sinks") == [
        "hdfs_portal", "yarn_portal",
        "namenode_portal", "journalnode_portal", "zkfc_portal", "resourcemanager_portal",
    ]  # fmt: skip
    assert "a1.sources.mapred_dir." not in text and "a1.channels.hadoop_ch." not in text
    result = check_config(properties.loads(text))
    assert result.ok and not result.warnings, [str(f) for f in result.findings]


@pytest.mark.django_db
def test_create_token_makes_the_hosts_ingest_token_and_writes_it(tmp_path):
    text = render(
        tmp_path, "--host", "dn07", "--portal-url", "http://portal:8000", "--create-token"
    )
    token = parse_qs(urlsplit(endpoints(text)["hdfs_portal"]).query)["token"][0]
    info = lookup_token(token)
    assert info is not None and info.name == "flume-dn07" and info.scopes == {"ingest"}
    with pytest.raises(CommandError, match="already exists"):
        render(tmp_path, "--host", "dn07", "--portal-url", "http://portal:8000", "--create-token")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [
        ["--host", "", "--portal-url", "http://portal:8000"],
        ["--host", "dn01", "--portal-url", "portal:8000"],
        ["--host", "dn01", "--portal-url", "http://portal:8000", "--omit-source", "nope"],
    ],
    ids=["empty-host", "url-without-scheme", "unknown-source"],
)
def test_bad_arguments_are_refused_before_a_token_is_created(tmp_path, args):
    with pytest.raises(CommandError):
        call_command("render_flume_config", *args, "--create-token", stdout=StringIO())
    assert not ApiToken.objects.exists()


def test_a_sink_per_daemon_log_keeps_its_file_so_its_traces_stay_its_own():
    """A sink that tails one daemon's log names it with `file=`: rendering keeps the value, and
    the portal makes that sink's lines a stream of their own (docs/events.md)."""
    from flume.render import SHIPPED_CONFIG, render_agent_config

    shipped = SHIPPED_CONFIG.read_text(encoding="iso-8859-1")
    key = "a1.sinks.hdfs_portal.endpoint = "
    (line,) = [line for line in shipped.splitlines() if line.startswith(key)]
    text = shipped.replace(line, line + "&file=/var/log/hadoop/namenode")
    rendered = render_agent_config(
        text, host="nn01.example.com", portal_url="http://portal:8000", token="fpt_x"
    )
    query = parse_qs(urlsplit(endpoints(rendered)["hdfs_portal"]).query)
    assert query["file"] == ["/var/log/hadoop/namenode"]
    assert query["host"] == ["nn01.example.com"] and query["logtype"] == ["hdfs"]
    assert "file" not in parse_qs(urlsplit(endpoints(rendered)["yarn_portal"]).query)
