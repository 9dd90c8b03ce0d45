#!/usr/bin/env python3
"""faultportal_exec: run a command and report the run to faultportal.

    faultportal_exec.py [options] -- COMMAND [ARG...]
    faultportal_exec.py --flush-spool

Wraps a cron job or runbook step on a Hadoop node: the command runs with its output streamed
through as usual, and the portal records the run (script, host, exit code, duration, the end of
stdout and stderr) through its API. The command always runs, whether or not the portal answers:
a report that cannot be delivered is kept in a spool directory and sent by a later invocation
(or `--flush-spool`), at most once per run thanks to its client_run_id.

Environment:
    FAULTPORTAL_URL           the portal, e.g. https://faultportal.example.com (or --url)
    FAULTPORTAL_TOKEN         an API token with the `ingest` scope
    FAULTPORTAL_TOKEN_FILE    or a file holding it (or --token-file)
    FAULTPORTAL_SPOOL_DIR     where undelivered reports wait (or --spool-dir); default
                              /var/spool/faultportal-exec for root, else
                              ~/.local/state/faultportal-exec/spool
    FAULTPORTAL_HTTP_TIMEOUT  seconds per HTTP request (default 5)
    FAULTPORTAL_CA_FILE       CA bundle for a portal with a private certificate

Exit status: the command's own; 124 when it was killed at --timeout (like coreutils timeout);
126 when it cannot be executed, 127 when it is not found; 128+N when it (or the wrapper) was
killed by signal N; 125 when the wrapper itself was used wrongly.

Standard library only, Python 3.6+ (the system Python of older Hadoop nodes): copy this one
file to the nodes.
"""

import argparse
import contextlib
import errno
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone

try:
    import fcntl
except ImportError:  # not on Unix: spool flushing then runs without a lock
    fcntl = None

VERSION = "1.0"
PROG = "faultportal_exec"

EXIT_USAGE = 125
EXIT_CANNOT_EXECUTE = 126
EXIT_NOT_FOUND = 127
EXIT_TIMEOUT = 124

DEFAULT_TAIL_BYTES = 64 * 1024
DEFAULT_HTTP_TIMEOUT = 5.0
DEFAULT_KILL_AFTER = 10.0
DEFAULT_SPOOL_MAX = 1000
FLUSH_BUDGET_SECONDS = 10.0
# After the command exits, how long to wait for its output pipes to close: a background process
# it left behind may hold them open for good.
PIPE_DRAIN_SECONDS = 2.0

TRIGGERS = ("manual", "cron", "fault", "api", "other")


def warn(message):
    sys.stderr.write(f"{PROG}: {message}\n")
    sys.stderr.flush()


def utc_now():
    return datetime.now(timezone.utc)


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


# --- output capture ---------------------------------------------------------------------------


class OutputTail:
    """Keeps the last `limit` bytes written to it and counts them all."""

    def __init__(self, limit):
        self.limit = limit
        self.total_bytes = 0
        self._buffer = bytearray()

    def write(self, chunk):
        self.total_bytes += len(chunk)
        self._buffer += chunk
        # Trim only once the buffer holds twice the limit: amortised O(1) per byte.
        if len(self._buffer) > 2 * self.limit:
            del self._buffer[: len(self._buffer) - self.limit]

    def text(self):
        """The kept end as text: cut on a UTF-8 boundary, invalid bytes as U+FFFD."""
        data = bytes(self._buffer)
        if len(data) > self.limit:
            data = data[-self.limit :]
            start = 0
            while start < min(3, len(data)) and 0x80 <= data[start] <= 0xBF:
                start += 1
            data = data[start:]
        return data.decode("utf-8", "replace")


def _pump(fd, tail, echo_fd):
    """Copy a child's pipe into `tail`, and through to `echo_fd` while that works."""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError as exc:
            if exc.errno == errno.EINTR:
                continue
            break
        if not chunk:
            break
        tail.write(chunk)
        if echo_fd is not None:
            try:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(echo_fd, view) :]
            except OSError:
                echo_fd = None  # our own output is gone (closed pipe): keep capturing
    os.close(fd)


# --- running the command --------------------------------------------------------------------


class RunResult:
    def __init__(self, tail_bytes):
        self.status = "running"
        self.exit_code = None
        self.started_at = None
        self.finished_at = None
        self.duration_seconds = None
        self.stdout = OutputTail(tail_bytes)
        self.stderr = OutputTail(tail_bytes)


def _fileno(stream):
    """The file descriptor behind a stream, flushed first; None when it has none."""
    try:
        stream.flush()
        return stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return None


def _signal_exit_code(returncode):
    return 128 - returncode if returncode < 0 else returncode


def _kill_group(pid, signum):
    with contextlib.suppress(OSError):  # already gone
        os.killpg(pid, signum)


def child_environment():
    """The wrapped command's environment: ours without the token.

    The command needs nothing of the portal's, and a token in its environment is readable by
    every process of the same user (`ps e`, /proc/<pid>/environ) for as long as it runs.
    """
    return {name: value for name, value in os.environ.items() if name != "FAULTPORTAL_TOKEN"}


def run_command(
    argv,
    timeout=None,
    tail_bytes=DEFAULT_TAIL_BYTES,
    kill_after=DEFAULT_KILL_AFTER,
    echo=True,
    forward_signals=(signal.SIGINT, signal.SIGTERM, signal.SIGHUP),
):
    """Run argv (no shell), stream its output through, keep the tails; returns a RunResult.

    The command runs in its own session, so a timeout or an interruption stops its whole process
    group (the children of a shell script too): SIGTERM first, SIGKILL `kill_after` seconds later.
    Signals the wrapper receives (Ctrl-C, kill) are passed on and the run is `aborted`.
    """
    result = RunResult(tail_bytes)
    stop = {"reason": None, "signal": None, "kill_at": None, "pid": None}

    def request_stop(reason, signum):
        if stop["reason"] is None:
            stop["reason"], stop["signal"] = reason, signum
            stop["kill_at"] = time.monotonic() + kill_after
        if stop["pid"] is not None:
            _kill_group(stop["pid"], signum if reason == "signal" else signal.SIGTERM)

    def on_signal(signum, frame):
        request_stop("signal", signum)

    # Installed before the command starts, so a Ctrl-C at any moment reaches it.
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in forward_signals:
            previous[signum] = signal.signal(signum, on_signal)
    result.started_at = utc_now()
    began = time.monotonic()
    try:
        try:
            process = subprocess.Popen(
                argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                close_fds=True,
                env=child_environment(),
            )
        except OSError as exc:
            missing = exc.errno == errno.ENOENT
            message = f"{argv[0]}: {'command not found' if missing else exc.strerror}\n"
            result.stderr.write(message.encode("utf-8", "replace"))
            if echo:
                sys.stderr.write(f"{PROG}: {message}")
                sys.stderr.flush()
            result.status = "failed"
            result.exit_code = EXIT_NOT_FOUND if missing else EXIT_CANNOT_EXECUTE
            result.finished_at = utc_now()
            result.duration_seconds = round(time.monotonic() - began, 3)
            return result
        stop["pid"] = process.pid
        if stop["reason"] == "signal":  # it arrived while the command was starting
            _kill_group(process.pid, stop["signal"])

        pumps = []
        for pipe, tail, stream in (
            (process.stdout, result.stdout, sys.stdout),
            (process.stderr, result.stderr, sys.stderr),
        ):
            echo_fd = _fileno(stream) if echo else None
            fd = os.dup(pipe.fileno())
            pipe.close()
            thread = threading.Thread(target=_pump, args=(fd, tail, echo_fd))
            thread.daemon = True
            thread.start()
            pumps.append(thread)

        deadline = began + timeout if timeout else None
        while True:
            try:
                returncode = process.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if deadline is not None and now >= deadline and stop["reason"] is None:
                request_stop("timeout", signal.SIGTERM)
            if stop["kill_at"] is not None and now >= stop["kill_at"]:
                _kill_group(process.pid, signal.SIGKILL)
                stop["kill_at"] = None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if stop["reason"] is not None:
        _kill_group(process.pid, signal.SIGKILL)  # whatever of the group survived SIGTERM
    drain_until = time.monotonic() + PIPE_DRAIN_SECONDS
    for thread in pumps:
        thread.join(max(0.0, drain_until - time.monotonic()))

    result.finished_at = utc_now()
    result.duration_seconds = round(time.monotonic() - began, 3)
    if stop["reason"] == "timeout":
        result.status, result.exit_code = "timed_out", EXIT_TIMEOUT
        message = f"{argv[0]}: timed out after {timeout} s; stopped\n"
        result.stderr.write(message.encode())
        if echo:
            sys.stderr.write(f"{PROG}: {message}")
    elif stop["reason"] == "signal":
        result.status, result.exit_code = "aborted", 128 + stop["signal"]
    else:
        result.exit_code = _signal_exit_code(returncode)
        result.status = "succeeded" if result.exit_code == 0 else "failed"
    return result


# --- talking to the portal ------------------------------------------------------------------


class Delivery:
    DELIVERED = "delivered"
    RETRY = "retry"  # the portal is unreachable or busy, or the token is refused: keep it
    REJECTED = "rejected"  # the portal refuses the report itself: retrying cannot help


class Portal:
    def __init__(self, url, token, timeout=DEFAULT_HTTP_TIMEOUT, ca_file=None):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.context = ssl.create_default_context(cafile=ca_file) if ca_file else None

    def post(self, path, payload):
        """(outcome, status code, parsed body or error text)."""
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(payload).encode("utf-8"),
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Authorization": f"Token {self.token}",
                "User-Agent": f"{PROG}/{VERSION}",
            },
            method="POST",
        )
        try:
            response = urllib.request.urlopen(request, timeout=self.timeout, context=self.context)
            with response:
                body = response.read()
                return Delivery.DELIVERED, response.status, _json_or_text(body)
        except urllib.error.HTTPError as err:
            body = _json_or_text(err.read())
            if err.code in (401, 403, 408, 429) or err.code >= 500:
                return Delivery.RETRY, err.code, body
            return Delivery.REJECTED, err.code, body
        except (OSError, ValueError) as exc:  # URLError and socket.timeout are OSErrors
            reason = getattr(exc, "reason", exc)
            return Delivery.RETRY, None, str(reason)

    def start(self, payload):
        """(outcome, run id or None, detail)."""
        outcome, code, body = self.post("/api/exec/runs", payload)
        if outcome == Delivery.DELIVERED:
            run_id = body.get("id") if isinstance(body, dict) else None
            if not isinstance(run_id, int):
                return Delivery.RETRY, None, f"unexpected answer to start: {body!r}"
            return outcome, run_id, None
        return outcome, None, _describe(code, body)

    def finish(self, run_id, payload):
        outcome, code, body = self.post(f"/api/exec/runs/{int(run_id)}/finish", payload)
        return outcome, None if outcome == Delivery.DELIVERED else _describe(code, body)

    def deliver(self, entry):
        """Send a whole report (start, then finish if it has one): (outcome, detail)."""
        outcome, run_id, detail = self.start(entry["start"])
        if outcome != Delivery.DELIVERED or entry.get("finish") is None:
            return outcome, detail
        return self.finish(run_id, entry["finish"])


def _json_or_text(body):
    try:
        return json.loads(body.decode("utf-8"))
    except ValueError:
        return body.decode("utf-8", "replace")[:500]


def _describe(code, body):
    if isinstance(body, dict) and "detail" in body:
        text = body["detail"]
        if body.get("fields"):
            text += " " + json.dumps(body["fields"])
    else:
        text = str(body)
    return f"HTTP {code}: {text}" if code else text


# --- the spool ------------------------------------------------------------------------------


def default_spool_dir():
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return "/var/spool/faultportal-exec"
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    return os.path.join(state, "faultportal-exec", "spool")


class Spool:
    """One JSON file per undelivered report, written atomically (temp file, fsync, rename).

    `<id>.json` is a complete report. `<id>.running.json` marks a run whose start could not be
    delivered while it is still running; it is sent only once its wrapper process is gone (it
    then tells the portal a run started and never reported its end). Reports the portal refused
    go to `rejected/`, never deleted, with the portal's reason.
    """

    def __init__(self, path, max_entries=DEFAULT_SPOOL_MAX):
        self.path = path
        self.max_entries = max_entries

    def _ensure(self):
        if not os.path.isdir(self.path):
            os.makedirs(self.path, 0o700)

    def entries(self):
        try:
            names = [n for n in os.listdir(self.path) if n.endswith(".json") and n[0] != "."]
        except OSError:
            return []
        paths = [os.path.join(self.path, n) for n in names]
        return sorted(paths, key=_mtime)

    def write(self, name, entry, directory=None):
        directory = directory or self.path
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o700)
        final = os.path.join(directory, name)
        temp = os.path.join(directory, f".tmp-{name}-{os.getpid()}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(entry, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, final)
        except BaseException:
            _unlink(temp)
            raise
        _fsync_dir(directory)
        return final

    def add(self, entry):
        self._ensure()
        self._make_room()
        return self.write(entry["client_run_id"] + ".json", entry)

    def mark_running(self, entry):
        self._ensure()
        return self.write(entry["client_run_id"] + ".running.json", entry)

    def reject(self, path, entry, reason):
        entry = dict(entry, rejected_reason=reason, rejected_at=iso(utc_now()))
        self.write(os.path.basename(path), entry, os.path.join(self.path, "rejected"))
        _unlink(path)

    def _make_room(self):
        entries = self.entries()
        excess = len(entries) - self.max_entries + 1
        for path in entries[: max(0, excess)]:
            warn(f"spool full ({len(entries)} reports): dropping the oldest, {path}")
            _unlink(path)

    def flush(self, portal, budget=FLUSH_BUDGET_SECONDS):
        """Deliver spooled reports, oldest first, until done, the portal fails, or time is up.

        Returns (delivered, rejected, remaining). Only one process flushes a spool at a time;
        the others skip it (a report sent twice would still be recorded once).
        """
        delivered = rejected = 0
        if not os.path.isdir(self.path):
            return 0, 0, 0
        lock = _try_lock(os.path.join(self.path, ".lock"))
        if lock is False:
            return 0, 0, len(self.entries())
        try:
            ends = time.monotonic() + budget
            for path in self.entries():
                if time.monotonic() >= ends:
                    break
                entry = _read_entry(path)
                if entry is None:
                    if os.path.exists(path):
                        self.reject(path, {}, "unreadable spool file")
                        rejected += 1
                    continue
                if path.endswith(".running.json") and _owner_alive(entry):
                    continue
                outcome, detail = portal.deliver(entry)
                if outcome == Delivery.DELIVERED:
                    _unlink(path)
                    delivered += 1
                elif outcome == Delivery.REJECTED:
                    warn(f"portal refused spooled report {path}: {detail}")
                    self.reject(path, entry, detail)
                    rejected += 1
                else:
                    break  # unreachable again: keep the rest for later
        finally:
            if lock:
                lock.close()
        return delivered, rejected, len(self.entries())


def _mtime(path):
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0


def _unlink(path):
    with contextlib.suppress(OSError):
        os.unlink(path)


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _try_lock(path):
    """An open, locked file; None without fcntl; False when another process holds the lock."""
    if fcntl is None:
        return None
    handle = open(path, "a")  # noqa: SIM115  (held open: the lock lives as long as the file)
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    return handle


def _read_entry(path):
    try:
        with open(path) as handle:
            entry = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("start"), dict):
        return None
    return entry


def boot_id():
    """Linux's id of this boot: a pid from before a reboot names no living process."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as handle:
            return handle.read().strip()
    except OSError:
        return None


def _owner_alive(entry):
    if entry.get("boot_id") != boot_id():
        return False
    pid = entry.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True


# --- command line ---------------------------------------------------------------------------


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def build_parser():
    parser = Parser(
        prog=PROG,
        description="Run a command and report the run to faultportal.",
        usage="%(prog)s [options] -- COMMAND [ARG...]\n       %(prog)s --flush-spool",
    )
    parser.add_argument("--script", help="the script's name in the portal (default: COMMAND)")
    parser.add_argument("--host", help="this node's name (default: the host name)")
    parser.add_argument("--fault", type=int, help="id of the fault this run remediates")
    parser.add_argument(
        "--trigger", choices=TRIGGERS, default="manual", help="why it runs (default: manual)"
    )
    parser.add_argument(
        "--timeout", type=float, help="stop the command after this many seconds (exit 124)"
    )
    parser.add_argument(
        "--kill-after",
        type=float,
        default=DEFAULT_KILL_AFTER,
        help="seconds between SIGTERM and SIGKILL when stopping (default 10)",
    )
    parser.add_argument("--url", help="portal URL (default: $FAULTPORTAL_URL)")
    parser.add_argument("--token-file", help="file holding the API token")
    parser.add_argument("--spool-dir", help="where undelivered reports wait")
    parser.add_argument(
        "--tail-bytes",
        type=int,
        default=DEFAULT_TAIL_BYTES,
        help="how much of the end of each output to report (default 65536)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not echo the command's output")
    parser.add_argument(
        "--no-args", action="store_true", help="report the script name but not the command line"
    )
    parser.add_argument(
        "--flush-spool", action="store_true", help="only deliver spooled reports, then exit"
    )
    parser.add_argument("--version", action="version", version="%(prog)s " + VERSION)
    parser.add_argument("command", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def read_token(options):
    path = options.token_file or os.environ.get("FAULTPORTAL_TOKEN_FILE")
    if path:
        try:
            with open(path) as handle:
                return handle.read().strip()
        except OSError as exc:
            warn(f"cannot read the token file {path}: {exc.strerror}")
            return ""
    return os.environ.get("FAULTPORTAL_TOKEN", "").strip()


def make_portal(options):
    url = options.url or os.environ.get("FAULTPORTAL_URL", "")
    token = read_token(options)
    if not url or not token:
        return None
    if not url.startswith(("http://", "https://")):
        warn(f"FAULTPORTAL_URL must start with http:// or https://, not {url!r}")
        return None
    try:
        timeout = float(os.environ.get("FAULTPORTAL_HTTP_TIMEOUT", DEFAULT_HTTP_TIMEOUT))
    except ValueError:
        timeout = DEFAULT_HTTP_TIMEOUT
    return Portal(url, token, timeout, os.environ.get("FAULTPORTAL_CA_FILE") or None)


def make_spool(options):
    path = options.spool_dir or os.environ.get("FAULTPORTAL_SPOOL_DIR") or default_spool_dir()
    try:
        limit = int(os.environ.get("FAULTPORTAL_SPOOL_MAX", DEFAULT_SPOOL_MAX))
    except ValueError:
        limit = DEFAULT_SPOOL_MAX
    return Spool(path, max(1, limit))


def flush_only(portal, spool):
    if portal is None:
        warn("set FAULTPORTAL_URL and FAULTPORTAL_TOKEN to flush the spool")
        return EXIT_USAGE
    delivered, rejected, remaining = spool.flush(portal, budget=300.0)
    if delivered or rejected or remaining:  # silent when there was nothing to do (cron mail)
        warn(f"spool {spool.path}: {delivered} delivered, {rejected} refused, {remaining} waiting")
    return 0 if remaining == 0 else 75  # EX_TEMPFAIL: try again later


def clean(text):
    """Text the portal can store: undecodable bytes of argv/file names become U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def start_payload(options, argv, run_id, started_at):
    payload = {
        "script": clean(options.script or os.path.basename(argv[0]) or argv[0]),
        "args": [] if options.no_args else [clean(arg) for arg in argv],
        "host": clean(options.host or socket.gethostname()),
        "trigger": options.trigger,
        "client_run_id": run_id,
        "started_at": iso(started_at),
    }
    if options.fault is not None:
        payload["fault"] = options.fault
    if options.timeout:
        payload["timeout_seconds"] = max(1, int(round(options.timeout)))
    return payload


def finish_payload(result):
    return {
        "exit_code": result.exit_code,
        "status": result.status,
        "stdout": result.stdout.text(),
        "stderr": result.stderr.text(),
        "stdout_bytes": result.stdout.total_bytes,
        "stderr_bytes": result.stderr.total_bytes,
        "finished_at": iso(result.finished_at),
        "duration_seconds": result.duration_seconds,
    }


class StartReporter(threading.Thread):
    """Sends the start in the background: the command never waits for the network."""

    def __init__(self, portal, spool, entry):
        threading.Thread.__init__(self)
        self.daemon = True
        self.portal, self.spool, self.entry = portal, spool, entry
        self.outcome, self.run_id, self.detail = Delivery.RETRY, None, "not sent"
        self.marker = None

    def run(self):
        self.outcome, self.run_id, self.detail = self.portal.start(self.entry["start"])
        if self.outcome == Delivery.RETRY:
            try:
                self.marker = self.spool.mark_running(self.entry)
            except OSError as exc:
                warn(f"cannot write to the spool {self.spool.path}: {exc}")


def report(portal, spool, entry, reporter):
    """Deliver the finished run, or keep it in the spool. Returns the outcome."""
    outcome, detail = Delivery.RETRY, "no portal configured (FAULTPORTAL_URL, FAULTPORTAL_TOKEN)"
    if portal is not None:
        reporter.join(portal.timeout)
        if reporter.is_alive():
            detail = f"the portal did not answer within {portal.timeout} s"
        elif reporter.outcome == Delivery.DELIVERED:
            outcome, detail = portal.finish(reporter.run_id, entry["finish"])
        else:
            # Start failed; the portal may be back by now (long runs): one more try, whole.
            outcome, detail = portal.deliver(entry)
    try:
        if outcome == Delivery.RETRY:
            path = spool.add(entry)
            warn(f"report kept in {path} ({detail})")
        elif outcome == Delivery.REJECTED:
            path = spool.write(entry["client_run_id"] + ".json", entry)
            spool.reject(path, entry, detail)
            warn(f"portal refused the report ({detail}); kept in {spool.path}/rejected")
    except OSError as exc:
        warn(f"cannot write to the spool {spool.path}: {exc}; report lost")
    if reporter.marker:
        _unlink(reporter.marker)
    return outcome


def main(argv=None):
    try:
        options = build_parser().parse_args(argv)
    except UsageError as exc:
        warn(str(exc))
        return EXIT_USAGE
    command = options.command[1:] if options.command[:1] == ["--"] else options.command
    portal = make_portal(options)
    spool = make_spool(options)
    if options.flush_spool:
        return flush_only(portal, spool)
    if not command:
        warn(f"no command given: {PROG} [options] -- COMMAND [ARG...]")
        return EXIT_USAGE
    if options.timeout is not None and options.timeout <= 0:
        warn("--timeout must be positive")
        return EXIT_USAGE

    run_id = uuid.uuid4().hex
    entry = {
        "version": 1,
        "client_run_id": run_id,
        "pid": os.getpid(),
        "boot_id": boot_id(),
        "start": start_payload(options, command, run_id, utc_now()),
        "finish": None,
    }
    reporter = StartReporter(portal, spool, dict(entry, finish=None))
    if portal is not None:
        reporter.start()
    result = run_command(
        command,
        timeout=options.timeout,
        tail_bytes=max(1024, options.tail_bytes),
        kill_after=options.kill_after,
        echo=not options.quiet,
    )
    entry["finish"] = finish_payload(result)
    outcome = report(portal, spool, entry, reporter)
    if outcome == Delivery.DELIVERED:
        spool.flush(portal)  # the portal answers: send what earlier runs left behind
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
