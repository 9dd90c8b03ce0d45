import os
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from faultportal.services import api_token_create
from flume import properties
from flume.checks import check_config
from flume.render import SHIPPED_CONFIG, SHIPPED_THRIFT_CONFIG, RenderError, render_agent_config


class Command(BaseCommand):
    help = (
        "Write the Flume agent configuration for one node, with the portal URL, the node's host "
        "name and its ingest token filled in. The result is checked like check_flume_config."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", required=True, help="The node's name as the portal shows it.")
        parser.add_argument(
            "--portal-url",
            required=True,
            help="How the node reaches the portal: http://portal:8000 (with --transport "
            "thrift: thrift://portal:4353, the Thrift intake's host and port)",
        )
        parser.add_argument(
            "--transport",
            choices=["http", "thrift"],
            default="http",
            help="http: hadoop-log-agent.conf (HttpSink); thrift: hadoop-log-agent-thrift.conf "
            "(ThriftSink to manage.py flume_thrift_source).",
        )
        token = parser.add_mutually_exclusive_group()
        token.add_argument("--token", help="The node's ingest token.")
        token.add_argument(
            "--create-token",
            action="store_true",
            help="Create an ingest token named flume-<host> and write it into the file.",
        )
        parser.add_argument(
            "--output", help="File to write (created readable by its owner only); default stdout."
        )
        parser.add_argument(
            "--source-config",
            help="Configuration to start from (default: the shipped hadoop-log-agent.conf, or "
            "hadoop-log-agent-thrift.conf with --transport thrift).",
        )
        parser.add_argument(
            "--omit-source",
            action="append",
            default=[],
            metavar="NAME",
            help="Leave out a source whose directory this node lacks (repeatable), e.g. "
            "mapred_dir; channels and sinks nothing feeds any more go too.",
        )

    def handle(self, *args, host, portal_url, token, create_token, output, transport, **options):
        source_config = options["source_config"] or str(
            SHIPPED_THRIFT_CONFIG if transport == "thrift" else SHIPPED_CONFIG
        )
        try:
            with open(source_config, "rb") as handle:
                text = handle.read().decode("iso-8859-1")
        except OSError as exc:
            raise CommandError(f"cannot read {source_config}: {exc}") from None
        try:  # render once without a token first, so a bad argument creates no token
            render_agent_config(
                text,
                host=host,
                portal_url=portal_url,
                token=None,
                omit_sources=tuple(options["omit_source"]),
                transport=transport,
            )
        except RenderError as exc:
            raise CommandError(str(exc)) from None
        if create_token:
            try:
                created, token = api_token_create(name=f"flume-{host}", scopes="ingest")
            except ValidationError as exc:
                raise CommandError(
                    " ".join(exc.messages) + " Revoke it in the admin, or pass --token."
                ) from None
            self.stderr.write(f"Created ingest token {created.name!r}; it is only in the output.")
        rendered = render_agent_config(
            text,
            host=host,
            portal_url=portal_url,
            token=token,
            omit_sources=tuple(options["omit_source"]),
            transport=transport,
        )
        result = check_config(properties.loads(rendered), transport=transport)
        if not result.ok:
            problems = "\n".join(str(f) for f in result.errors)
            raise CommandError(f"the rendered configuration does not pass the checks:\n{problems}")
        if not output:
            sys.stdout.write(rendered)  # raw: the file must be byte-exact, not styled
            return
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # also when the file already existed with wider permissions
        with os.fdopen(fd, "wb") as handle:
            handle.write(rendered.encode("iso-8859-1"))
        self.stdout.write(f"Wrote {output} for host {host}.")
