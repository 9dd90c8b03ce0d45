import contextlib
import logging
import os
import signal
import ssl
import sys
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connections
from django.db.backends.signals import connection_created

from flume.services import thrift_batch_ingest
from flume.thrift_server import Limits, ThriftSourceServer, listen
from logs.hooks import intake_process_started, intake_process_stopping

STATS_INTERVAL_SECONDS = 60
LOCK_WAIT_SECONDS = 5


def _short_lock_waits(sender, connection, **kwargs):
    """A batch must be answered well inside the sink's 20 s request timeout: a row lock held by
    a transaction the database has not yet rolled back (a connection cut mid-batch) fails the
    batch in seconds (FAILED, resent) instead of answering it after the sink gave up."""
    if connection.vendor == "mysql":
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION innodb_lock_wait_timeout = %s", [LOCK_WAIT_SECONDS])


@contextlib.contextmanager
def _bounded_database_waits(seconds: int):
    """The connections opened meanwhile (the workers', each thread its own) answer every read
    and write within `seconds` or fail. A batch's statements take far less, and their row-lock
    waits are capped at LOCK_WAIT_SECONDS; a reply that does not come is a network path that
    lost it (a silent partition, a peer gone without a reset). Without a timeout the worker would
    wait for it forever, holding its stream's lock and its transaction's row locks, and every
    resend of the stream would queue behind it until no worker is left. With it the batch is
    answered FAILED (the connection is discarded) and the sink's resend is stored."""
    swapped = {}
    for alias in connections:
        configured = connections.settings[alias]
        if connections[alias].vendor != "mysql":
            continue
        swapped[alias] = configured
        connections.settings[alias] = {
            **configured,
            "OPTIONS": {
                **configured.get("OPTIONS", {}),
                "read_timeout": seconds,
                "write_timeout": seconds,
            },
        }
    try:
        yield
    finally:
        for alias, configured in swapped.items():
            connections.settings[alias] = configured


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
            "--processes",
            type=int,
            default=settings.FLUME_THRIFT_PROCESSES,
            help="Processes accepting on the port, each with --workers threads.",
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

    def handle(self, *args, bind, port, workers, processes, tls_cert, tls_key, **options):
        if workers < 1 or processes < 1:
            raise CommandError("--workers and --processes must be at least 1")
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
        connection_created.connect(_short_lock_waits)
        limits = Limits(
            max_connections=settings.FLUME_THRIFT_MAX_CONNECTIONS,
            max_frame_bytes=settings.FLUME_THRIFT_MAX_FRAME_BYTES,
            max_batch_events=settings.FLUME_THRIFT_MAX_BATCH_EVENTS,
            frame_timeout=settings.FLUME_THRIFT_FRAME_TIMEOUT_SECONDS,
        )
        try:
            listener = listen(bind, port)
        except OSError as exc:
            raise CommandError(f"cannot listen on {bind}:{port}: {exc}") from None
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(
            f"Flume Thrift intake listening on {bind}:{listener.getsockname()[1]} "
            f"({'TLS, ' if tls else ''}compact and binary, framed; {processes} process(es) of "
            f"{workers} workers)"
        )
        self.stdout.flush()
        with _bounded_database_waits(settings.FLUME_THRIFT_DB_TIMEOUT_SECONDS):
            if processes == 1:
                ended = self._serve(listener, stop, workers=workers, limits=limits, tls=tls)
            else:
                ended = self._supervise(
                    listener, stop, processes, workers=workers, limits=limits, tls=tls
                )
        if not ended:
            raise CommandError("some batches were still being stored after 30 s")
        self.stdout.write("stopped")

    def _serve(self, listener, stop, announce=True, **options) -> bool:
        server = ThriftSourceServer(
            _store, listener=listener, after_call=close_old_connections, **options
        )
        server.start()
        intake_process_started()  # e.g. the flusher of fault counts (logs/hooks.py)
        last = None
        while not stop.wait(STATS_INTERVAL_SECONDS):
            snapshot = server.stats.snapshot()
            if snapshot != last:
                server.log_stats()
                last = snapshot
        if announce:
            self.stdout.write("stopping: finishing the batches in hand")
            self.stdout.flush()
        ended = server.stop(timeout=30)
        intake_process_stopping()
        server.log_stats()
        return ended

    def _supervise(self, listener, stop, processes: int, **options) -> bool:
        """Several processes accepting on one socket (the interpreter lock caps one process)."""
        connections.close_all()  # no database connection may be shared across a fork
        children: dict[int, int] = {}

        def fork(slot: int) -> None:
            pid = os.fork()
            if pid == 0:  # the child serves until its parent forwards SIGTERM
                code = 0 if self._serve(listener, stop, announce=False, **options) else 1
                sys.stdout.flush()
                os._exit(code)
            children[pid] = slot

        for slot in range(processes):
            fork(slot)
        ended = True
        while children:
            if stop.wait(0.5):
                self.stdout.write("stopping: finishing the batches in hand")
                self.stdout.flush()
                for pid in children:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGTERM)
                for pid in list(children):
                    _, status = os.waitpid(pid, 0)
                    ended = ended and os.waitstatus_to_exitcode(status) == 0
                    children.pop(pid)
                break
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid:
                slot = children.pop(pid)
                logging.getLogger("flume.thrift").error(
                    "intake process %d ended (%s): starting another", pid, status
                )
                fork(slot)
        return ended
