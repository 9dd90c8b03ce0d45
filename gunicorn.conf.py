"""gunicorn settings, from the environment: `gunicorn faultportal.wsgi -c gunicorn.conf.py`."""

import os

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Threads let one worker overlap requests that wait on a database commit, which is what a
# Flume agent's one-line-per-request traffic mostly does. gthread, with a deadline on reading
# each request (faultportal/gunicorn_worker.py): a client that sends headers and then nothing,
# or one byte a second, holds a thread for at most GUNICORN_READ_TIMEOUT seconds (default 10).
#
# Slow clients (docs/deployment.md): in gthread every connection that is sending a request
# holds a thread, so WEB_CONCURRENCY × GUNICORN_THREADS slow connections at once (64 with the
# defaults) still stop ingestion for as long as they keep reconnecting. Threads are cheap while
# they wait, which is why there are 32 per worker; each one that serves a request keeps a
# database connection (DB_CONN_MAX_AGE), so keep WEB_CONCURRENCY × GUNICORN_THREADS plus the
# other processes under MariaDB's max_connections (151 by default). On a network a client you
# do not control can reach, run the nginx front of deploy/nginx/, which buffers whole requests
# before they reach a thread.
worker_class = "faultportal.gunicorn_worker.ReadDeadlineThreadWorker"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "32"))
# Open connections per worker, kept-alive ones included (they wait in the poller, no thread):
# beyond it new connections wait in the listen backlog.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "1000"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Keep-alive lets Flume's JDK client reuse its connection between events.
keepalive = 30
# X-Forwarded-Proto from the front proxy only: the same list as Django's (faultportal/proxy.py).
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "127.0.0.1,::1")
# ACCESS_LOG=1: one line per request on stdout. Flume's token travels in the URL, so the
# access log goes through a logger that redacts token= values and Authorization headers.
accesslog = "-" if os.environ.get("ACCESS_LOG", "").lower() in ("1", "true", "yes") else None
logger_class = "faultportal.logredact.RedactingGunicornLogger"
errorlog = "-"

# --- Prometheus (GET /metrics, faultportal/metrics.py) ----------------------------------------
# Every worker writes its counters to files in one directory and a scrape adds them up, so the
# client library must know the directory before any worker imports it: this file is read by
# the master, before the workers fork. Given (PROMETHEUS_MULTIPROC_DIR, e.g. systemd's
# RuntimeDirectory), it is emptied at start: files of a previous run would count again.
# Otherwise a fresh temporary directory is made per start and removed at exit.
import shutil  # noqa: E402
import tempfile  # noqa: E402

_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
_made_metrics_dir = not _metrics_dir
if _made_metrics_dir:
    _metrics_dir = tempfile.mkdtemp(prefix="faultportal-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir


def on_starting(server):
    os.makedirs(_metrics_dir, exist_ok=True)
    for name in os.listdir(_metrics_dir):
        if name.endswith(".db"):
            os.remove(os.path.join(_metrics_dir, name))


def post_worker_init(worker):
    # In the worker, once the application is loaded: start what an intake process runs beside
    # its requests (the flusher of fault counts, logs/hooks.py).
    from logs.hooks import intake_process_started

    intake_process_started()


def worker_exit(server, worker):
    # In the worker, after its last request: write what it kept (pending fault counts).
    from logs.hooks import intake_process_stopping

    intake_process_stopping()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _made_metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
