import logging
import signal
import ssl
import sys
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from flume.services import thrift_batch_ingest
from flume.thrift_server import Limits, ThriftSourceServer

STATS_INTERVAL_SECONDS = 60


def _store(events, peer):
    return thrift_batch_ingest(events=events, peer=peer)


class Command(BaseCommand):
    help = (
        "Receive log lines from Flume's Thrift sink (ThriftSourceProtocol: append and "
        "appendBatch, compact or binary protocol, framed transport, optional TLS) and store "
        "them as /api/log/auto-upload does. OK is answered only after the batch is committed. "
        "See docs/flume-thrift.md."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind", default=settings.FLUME_THRIFT_BIND, help="Address to listen on."
        )
        parser.add_argument(
            "--port", type=int, default=settings.FLUME_THRIFT_PORT, help="Port (0: any free port)."
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.FLUME_THRIFT_WORKERS,
            help="Worker threads storing batches.",
        )
        parser.add_argument(
            "--tls-cert",
            default=settings.FLUME_THRIFT_TLS_CERT,
            help="PEM certificate chain: serve TLS (the sink's ssl = true).",
        )
        parser.add_argument(
            "--tls-key",
            default=settings.FLUME_THRIFT_TLS_KEY,
            help="PEM private key of --tls-cert.",
        )

    def handle(self, *args, bind, port, workers, tls_cert, tls_key, **options):
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        tls = None
        if tls_cert or tls_key:
            if not (tls_cert and tls_key):
                raise CommandError("TLS needs both --tls-cert and --tls-key")
            tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            try:
                tls.load_cert_chain(tls_cert, tls_key)
            except (OSError, ssl.SSLError) as exc:
                raise CommandError(f"cannot load the TLS certificate: {exc}") from None
        if not logging.getLogger("flume.thrift").handlers and not logging.getLogger().handlers:
            logging.basicConfig(
                level=logging.INFO,
                stream=sys.stderr,
                format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            )
        logging.getLogger("flume.thrift").setLevel(logging.INFO)
        server = ThriftSourceServer(
            _store,
            bind=bind,
            port=port,
            workers=workers,
            limits=Limits(
                max_connections=settings.FLUME_THRIFT_MAX_CONNECTIONS,
                max_frame_bytes=settings.FLUME_THRIFT_MAX_FRAME_BYTES,
                max_batch_events=settings.FLUME_THRIFT_MAX_BATCH_EVENTS,
                frame_timeout=settings.FLUME_THRIFT_FRAME_TIMEOUT_SECONDS,
            ),
            tls=tls,
            after_call=close_old_connections,
        )
        try:
            bound = server.start()
        except OSError as exc:
            raise CommandError(f"cannot listen on {bind}:{port}: {exc}") from None
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(
            f"Flume Thrift intake listening on {bind}:{bound} "
            f"({'TLS, ' if tls else ''}compact and binary, framed; {workers} workers)"
        )
        self.stdout.flush()
        last = None
        while not stop.wait(STATS_INTERVAL_SECONDS):
            snapshot = server.stats.snapshot()
            if snapshot != last:
                server.log_stats()
                last = snapshot
        self.stdout.write("stopping: finishing the batches in hand")
        self.stdout.flush()
        ended = server.stop(timeout=30)
        server.log_stats()
        if not ended:
            raise CommandError("some batches were still being stored after 30 s")
        self.stdout.write("stopped")
