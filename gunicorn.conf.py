"""gunicorn settings, from the environment: `gunicorn faultportal.wsgi -c gunicorn.conf.py`."""

import os

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Threads let one worker overlap requests that wait on a database commit, which is what a
# Flume agent's one-line-per-request traffic mostly does.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Keep-alive lets Flume's JDK client reuse its connection between events.
keepalive = 30
accesslog = "-" if os.environ.get("ACCESS_LOG", "").lower() in ("1", "true", "yes") else None
errorlog = "-"
