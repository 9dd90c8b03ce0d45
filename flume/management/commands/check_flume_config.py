from django.core.management.base import BaseCommand, CommandError

from flume import properties
from flume.checks import check_config


class Command(BaseCommand):
    help = (
        "Check a Flume agent configuration (Java properties file) the way Flume would load it: "
        "wiring, required keys, TAILDIR paths, channel durability and sizes, HttpSink response "
        "handling, Thrift sink settings and event headers (--transport thrift). Exits non-zero "
        "when it finds an error."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The agent's properties file, e.g. hadoop-log-agent.conf.")
        parser.add_argument(
            "--agent", help="Agent name (flume-ng -n); needed when the file holds several."
        )
        parser.add_argument(
            "--transport",
            choices=["http", "thrift"],
            default="http",
            help="The portal intake the agent sends to: http (HttpSink to /api/log/auto-upload, "
            "the default) or thrift (ThriftSink to manage.py flume_thrift_source).",
        )
        parser.add_argument(
            "--allow-memory-channel",
            action="store_true",
            help="Report memory channels as a warning instead of an error (backlog loss accepted).",
        )

    def handle(self, *args, file, agent, allow_memory_channel, transport, **options):
        try:
            props = properties.load_path(file)
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror or exc}") from None
        except properties.PropertiesError as exc:
            raise CommandError(f"{file}: {exc} (Flume cannot load this file)") from None
        result = check_config(
            props, agent=agent, allow_memory_channel=allow_memory_channel, transport=transport
        )
        for finding in result.findings:
            stream = self.stderr if finding.level == "error" else self.stdout
            stream.write(str(finding))
        if result.env_vars:
            self.stdout.write(
                "Resolved from the environment when the agent starts (export them in "
                f"flume-env.sh): {', '.join(result.env_vars)}"
            )
        summary = (
            f"{file}: agent {result.agent or '?'}: {len(result.errors)} error(s), "
            f"{len(result.warnings)} warning(s)"
        )
        if not result.ok:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
