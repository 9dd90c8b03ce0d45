"""faultportal settings, read from environment variables.

With no variables at all the portal runs on an embedded SQLite file and a per-process memory
cache, with DEBUG off and a secret key generated once into DATA_DIR. Production sets
DATABASE_URL (MySQL 8 / MariaDB), REDIS_URL, SECRET_KEY and ALLOWED_HOSTS. A value that cannot
be used stops start-up with a message naming the variable (see faultportal/env.py).
"""

from datetime import timedelta
from pathlib import Path

from faultportal.config import (
    cache_from_url,
    database_from_url,
    secret_key_from_file,
)
from faultportal.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_networks,
    env_path,
    env_port_roles,
    env_rate,
    env_str,
    env_timezone,
    env_url,
    env_url_list,
)

BASE_DIR = Path(__file__).resolve().parent.parent
# Local state of an embedded install: SQLite file, secret key, collected static files.
DATA_DIR = env_path("DATA_DIR", BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY") or secret_key_from_file(DATA_DIR / "secret_key")
# Flume agents address the portal by whatever IP or name the node uses, and a refused Host
# header is a 400 that the agent drops with its line; operators narrow this in production.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["*"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Sign-in throttling (faultportal/login_throttle.py); above faultportal, whose failure log
    # reads the count axes has just written.
    "axes",
    "faultportal",
    "jobs",
    "logs",
    "flume",
    "diagnosis",
    "runs",
    "cluster",
    "watchdogs",
    "rca",
    "oncall",
    "dashboard",
    "demo",
]

MIDDLEWARE = [
    # X-Forwarded-For/-Proto believed from TRUSTED_PROXIES only (faultportal/proxy.py).
    "faultportal.proxy.TrustedProxyMiddleware",
    # Counts every answer by status for /metrics (faultportal/metrics.py).
    "faultportal.metrics.ResponseMetricsMiddleware",
    # First: Flume's one-request-per-line traffic skips the rest (logs/api/middleware.py).
    "logs.api.middleware.IngestFastPathMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Every answer: the portal's own scripts and styles only (faultportal/csp.py).
    "faultportal.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a locked-out sign-in into the lockout page (faultportal/login_throttle.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "faultportal.urls"
WSGI_APPLICATION = "faultportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": database_from_url(
        env_url("DATABASE_URL", schemes=("mysql", "mariadb", "sqlite")),
        sqlite_path=DATA_DIR / "faultportal.sqlite3",
        # Persistent connections per gunicorn worker; keep below the server's wait_timeout.
        conn_max_age=env_int("DB_CONN_MAX_AGE", 300, min_value=0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------------------------
CACHES = cache_from_url(env_url("REDIS_URL", schemes=("redis", "rediss", "unix")))
# Swallowed Redis errors are still written to the log, so an outage is visible.
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "faultportal.cache"

# --- Time ---------------------------------------------------------------------------------------
# Hadoop's log4j layout writes local wall-clock time without a zone: this says which zone.
CLUSTER_TIME_ZONE = env_timezone("CLUSTER_TIME_ZONE", "UTC")
# Pages show times in the cluster's zone so they read like the logs; storage is always UTC.
TIME_ZONE = CLUSTER_TIME_ZONE
USE_TZ = True
USE_I18N = False
LANGUAGE_CODE = "en-us"

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every start without it
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the installed apps, so the portal works without a collectstatic step.
WHITENOISE_USE_FINDERS = True

# --- Auth ---------------------------------------------------------------------------------------
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
# HTTPS=1: the portal is served over HTTPS (usually behind the nginx front in deploy/, which
# sets X-Forwarded-Proto): secure cookies, HSTS, redirect plain HTTP, trust the proxy's scheme
# header. Each setting can still be set on its own. The ingest endpoint is reached ahead of the
# middleware (logs/api/middleware.py), so a Flume agent on plain HTTP is never redirected.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", SESSION_COOKIE_SECURE)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0, min_value=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
if env_bool("SECURE_PROXY_SSL_HEADER", HTTPS):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The front proxy's own addresses (deploy/nginx/: nginx on this host). X-Forwarded-For and
# X-Forwarded-Proto are believed only from these; anyone else's are dropped (faultportal/proxy.py).
# gunicorn.conf.py passes the same list to gunicorn's forwarded_allow_ips.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES", ["127.0.0.1/32", "::1/128"])
CSRF_FAILURE_VIEW = "faultportal.errors.csrf_failure"

# --- Sign-in throttling (django-axes; faultportal/login_throttle.py, docs/deployment.md) -------
# LOGIN_FAILURE_LIMIT wrong passwords for one username from one address lock that pair out for
# LOGIN_LOCKOUT_MINUTES; API tokens and ingestion never go through it.
AUTHENTICATION_BACKENDS = [
    "faultportal.login_throttle.SignInThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, min_value=1)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, min_value=1)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "faultportal.login_throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "faultportal.login_throttle.lockout_response"
# Failed attempts are rows of axes_accessattempt (expired after the cool-off); no table of every
# successful sign-in.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False  # faultportal.auth logs failures and lockouts, quoted
# How long a looked-up API token is trusted in one process before the database is asked again
# (bounds how long a revoked token keeps working; keeps a query off every ingest request).
API_TOKEN_CACHE_SECONDS = env_int("API_TOKEN_CACHE_SECONDS", 10, min_value=0)

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "faultportal.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["faultportal.api.permissions.ReadScope"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "faultportal.api.negotiation.JSONFallbackNegotiation",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "faultportal.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "faultportal.api.schema.PortalAutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        # Per token, counted in requests (logs/throttling.py). A Flume sink sends one request
        # at a time, so one agent stays far below this (~1,700/s); it stops a runaway sender.
        "ingest": env_rate("INGEST_RATE_LIMIT", "100000/min"),
        "diagnose": env_rate("DIAGNOSE_RATE_LIMIT", "30/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "faultportal API",
    "DESCRIPTION": (
        "Logs, faults, cluster health, script runs and diagnosis for Hadoop clusters.\n\n"
        "Authenticate with an API token (`python manage.py create_api_token NAME --scopes …`) in "
        "`Authorization: Token <token>` or as `?token=<token>`. Every error answer has the same "
        "JSON shape (`Error`): `status`, `code`, `detail` and, for invalid input, `fields`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Tags from the first segment after /api/ (exec, faults, log, cluster…), not "api" for all.
    "SCHEMA_PATH_PREFIX": r"/api/",
    # Separate request and response components: read-only fields stay out of request schemas,
    # which is what clients (and schemathesis) generate requests from.
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["faultportal.api.schema.canonical_slashless_paths"],
    # Several models have a "status" field: name each choice set after its model so the
    # components do not get hash-suffixed names (and --fail-on-warn stays clean).
    "ENUM_NAME_OVERRIDES": {
        "ExecRunStatusEnum": "runs.models.ExecLog.Status",
        "ExecRunFinishStatusEnum": "runs.services.FINISHED_STATUS_CHOICES",
        "FaultStatusEnum": "diagnosis.models.FaultRecord.Status",
        "SeverityEnum": "diagnosis.models.Severity",
        "IncidentStatusEnum": "diagnosis.models.Incident.Status",
        "IncidentKindEnum": "diagnosis.models.Incident.Kind",
    },
    # Served from the portal's own static files (drf-spectacular-sidecar): no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # validatorUrl None: Swagger UI would otherwise send the schema to validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {
        "deepLinking": True,
        "persistAuthorization": True,
        "validatorUrl": None,
    },
}
# Seconds a sender is told to wait (Retry-After) when the database is unavailable.
RETRY_AFTER_SECONDS = env_int("RETRY_AFTER_SECONDS", 5, min_value=1)

# --- Log ingestion ------------------------------------------------------------------------------
INGEST_MAX_BODY_BYTES = env_int("INGEST_MAX_BODY_BYTES", 5 * 1024 * 1024, min_value=1024)
INGEST_MAX_LINE_BYTES = env_int("INGEST_MAX_LINE_BYTES", 64 * 1024, min_value=256)
# Lines per request: bounds one request's transaction and memory (a 5 MB body of one-byte
# lines would otherwise be millions of rows). Flume's sink sends one line per request.
INGEST_MAX_LINES = env_int("INGEST_MAX_LINES", 50_000, min_value=1)
# Events across requests (logs/events.py, docs/events.md): a stream's open event takes the
# next continuation line for this long after the stream's last line (a trace cut by a portal
# or database outage is joined when the sender's backlog arrives), and up to this many rows.
LOG_EVENT_JOIN_SECONDS = env_int("LOG_EVENT_JOIN_SECONDS", 6 * 3600, min_value=0)
LOG_EVENT_MAX_ROWS = env_int("LOG_EVENT_MAX_ROWS", 2000, min_value=1)
# Django refuses bigger bodies before a view sees them; keep its limit above ours.
DATA_UPLOAD_MAX_MEMORY_SIZE = INGEST_MAX_BODY_BYTES + 1024
# Retention (`manage.py prune`, faultportal/retention.py): lines by when they were received, so
# old logs sent late are kept as long as fresh ones.
LOG_RETENTION_DAYS = env_int("LOG_RETENTION_DAYS", 30, min_value=1)
# How often each process writes which hosts sent lines when (log_sources, for the watchdogs).
LOG_SOURCES_FLUSH_SECONDS = env_float("LOG_SOURCES_FLUSH_SECONDS", 5.0, min_value=0.0)
# How soon a log layout saved in the admin (or by add_log_layout) is read by every worker and
# instance (logs/layout_cache.py); the process that saved it reads with it at once.
LOG_LAYOUTS_REFRESH_SECONDS = env_float("LOG_LAYOUTS_REFRESH_SECONDS", 5.0, min_value=0.0)
# Idempotency keys only need to outlive a sender's retries (see docs/ingestion.md).
INGEST_REQUEST_RETENTION_HOURS = env_int("INGEST_REQUEST_RETENTION_HOURS", 48, min_value=1)

# --- Flume's Thrift intake (manage.py flume_thrift_source, docs/flume-thrift.md) -------------
FLUME_THRIFT_BIND = env_str("FLUME_THRIFT_BIND", "0.0.0.0")
FLUME_THRIFT_PORT = env_int("FLUME_THRIFT_PORT", 4353, min_value=0, max_value=65535)
FLUME_THRIFT_WORKERS = env_int("FLUME_THRIFT_WORKERS", 8, min_value=1)
# Processes accepting on the port (each with FLUME_THRIFT_WORKERS threads): one process is capped
# by Python's interpreter lock at about one core.
FLUME_THRIFT_PROCESSES = env_int("FLUME_THRIFT_PROCESSES", 1, min_value=1)
FLUME_THRIFT_MAX_CONNECTIONS = env_int("FLUME_THRIFT_MAX_CONNECTIONS", 256, min_value=1)
# A batch of 100 lines of at most INGEST_MAX_LINE_BYTES is 6.4 MB; Flume's sink resends a
# refused frame forever, so keep this above batch-size x the longest line.
FLUME_THRIFT_MAX_FRAME_BYTES = env_int(
    "FLUME_THRIFT_MAX_FRAME_BYTES", 32 * 1024 * 1024, min_value=1024
)
FLUME_THRIFT_MAX_BATCH_EVENTS = env_int("FLUME_THRIFT_MAX_BATCH_EVENTS", 10_000, min_value=1)
# A frame must arrive whole within this many seconds of its first byte; keep it well under the
# sink's request-timeout (20 s), which must cover reading, storing and answering.
FLUME_THRIFT_FRAME_TIMEOUT_SECONDS = env_float(
    "FLUME_THRIFT_FRAME_TIMEOUT_SECONDS", 10.0, min_value=0.1
)
# Every read and write of the intake's database connections must complete within this many
# seconds (mysqlclient's read_timeout/write_timeout), or the batch is answered FAILED and resent:
# an answer lost on the way (a network path that went silent) must not hold a worker, its
# stream's lock and its row locks forever. Above the 5 s row-lock wait, below the sink's 20 s.
FLUME_THRIFT_DB_TIMEOUT_SECONDS = env_int("FLUME_THRIFT_DB_TIMEOUT_SECONDS", 10, min_value=1)
# A batch that starts with events committed this recently is taken as a resend of them.
FLUME_THRIFT_RESEND_WINDOW_SECONDS = env_int(
    "FLUME_THRIFT_RESEND_WINDOW_SECONDS", 3600, min_value=1
)
# TLS as the sink's `ssl = true` expects: a PEM certificate chain and its key.
FLUME_THRIFT_TLS_CERT = env_str("FLUME_THRIFT_TLS_CERT")
FLUME_THRIFT_TLS_KEY = env_str("FLUME_THRIFT_TLS_KEY")

# --- Faults -------------------------------------------------------------------------------------
# Open faults with no occurrence (by log time) for this long are resolved by auto_resolve_faults.
FAULT_AUTO_RESOLVE_HOURS = env_float("FAULT_AUTO_RESOLVE_HOURS", 24.0, min_value=0.0)
# How stale a process's compiled fault-type patterns may get: every process checks the
# fault_types table at most this often (one tiny query), so an edit in the admin of any instance
# reaches every worker within this time without a query per ingest request.
FAULT_TYPES_REFRESH_SECONDS = env_float("FAULT_TYPES_REFRESH_SECONDS", 5.0, min_value=0.0)
# In an intake process (gunicorn worker, Thrift intake), occurrences that only count into an open
# fault are written by a background flusher this often instead of in their request, so a fault
# storm does not serialise ingestion on one row; a worker killed with SIGKILL loses at most this
# long of its counts (docs/ingestion.md, "Counting a fault storm"). 0: count in every request.
FAULT_COUNT_FLUSH_SECONDS = env_float("FAULT_COUNT_FLUSH_SECONDS", 1.0, min_value=0.0)
# History (fault_events) and diagnoses of faults resolved or ignored this long ago are pruned;
# the fault records themselves, with their sample lines and latest diagnosis, are kept.
FAULT_HISTORY_RETENTION_DAYS = env_int("FAULT_HISTORY_RETENTION_DAYS", 180, min_value=1)
DIAGNOSIS_RETENTION_DAYS = env_int("DIAGNOSIS_RETENTION_DAYS", 180, min_value=1)
# Ports this cluster runs daemons on besides Hadoop's defaults, as port=role pairs
# ("9001=NameNode RPC,8050=RM client"): a fault naming such a port names its peer's role.
HADOOP_PORT_ROLES = env_port_roles("HADOOP_PORT_ROLES")
# Faults this close in time (log time) that share a cause join one incident.
INCIDENT_WINDOW_MINUTES = env_int("INCIDENT_WINDOW_MINUTES", 15, min_value=1)

# --- Cluster status -----------------------------------------------------------------------------
NAMENODE_URLS = env_url_list("NAMENODE_URLS", schemes=("http", "https"))
RESOURCEMANAGER_URLS = env_url_list("RESOURCEMANAGER_URLS", schemes=("http", "https"))
COLLECT_INTERVAL_SECONDS = env_int("COLLECT_INTERVAL_SECONDS", 60, min_value=5)
COLLECT_TIMEOUT_SECONDS = env_float("COLLECT_TIMEOUT_SECONDS", 5.0, min_value=0.1)
# How long GET /api/cluster/status may serve its cached answer (it is also invalidated whenever
# a snapshot is stored); 0 turns the cache off (benchmarks, debugging).
CLUSTER_STATUS_CACHE_SECONDS = env_int("CLUSTER_STATUS_CACHE_SECONDS", 300, min_value=0)
CLUSTER_STATUS_RETENTION_DAYS = env_int("CLUSTER_STATUS_RETENTION_DAYS", 30, min_value=1)
# A snapshot older than this is shown as stale on the dashboard and in the API.
CLUSTER_STATUS_STALE_SECONDS = env_int("CLUSTER_STATUS_STALE_SECONDS", 300, min_value=10)
# A DataNode whose last heartbeat is this old is shown as stale: HDFS's own
# dfs.namenode.stale.datanode.interval (30 s by default); set it to the cluster's value.
DATANODE_STALE_SECONDS = env_int("DATANODE_STALE_SECONDS", 30, min_value=1)

# --- Watchdogs (manage.py watchdogs): inputs that stopped raise faults -------------------------
# A host that sent lines in the last day and none of a log type for this long: host_silent.
HOST_SILENT_MINUTES = env_int("HOST_SILENT_MINUTES", 30, min_value=1)
# No line from any host for this long: ingestion_stopped (one fault instead of one per host).
INGESTION_SILENT_MINUTES = env_int("INGESTION_SILENT_MINUTES", 10, min_value=1)
WATCHDOG_INTERVAL_SECONDS = env_int("WATCHDOG_INTERVAL_SECONDS", 60, min_value=5)

# How often the dashboard pages re-fetch their content in the background (0: never). Snapshots
# arrive every COLLECT_INTERVAL_SECONDS; polling much faster only adds load.
DASHBOARD_REFRESH_SECONDS = env_int("DASHBOARD_REFRESH_SECONDS", 45, min_value=0)

# --- Diagnosis ------------------------------------------------------------------------------------
LLM_BASE_URL = env_url("LLM_BASE_URL", schemes=("http", "https"))
LLM_MODEL = env_str("LLM_MODEL", "")
LLM_API_KEY = env_str("LLM_API_KEY", "")
LLM_TIMEOUT = env_float("LLM_TIMEOUT", 30.0, min_value=0.1)
# LLM_BASE_URL is an OpenAI-style base URL that already ends in the API version, like the
# openai SDK's base_url: http://vllm:8000/v1, http://ollama:11434/v1, https://api.openai.com/v1.
# The engine POSTs to {LLM_BASE_URL}/chat/completions. Unset: the rule engine answers alone.
# Characters of log lines, metrics and notes sent to the model per request: bounds the token bill
# and what a flood of hostile log text can put in front of the model.
LLM_MAX_PROMPT_CHARS = env_int("LLM_MAX_PROMPT_CHARS", 16000, min_value=2000)
# A pasted excerpt is diagnosed line by line against the catalogue; bigger ones are refused (413).
DIAGNOSE_MAX_LOG_TEXT_BYTES = env_int("DIAGNOSE_MAX_LOG_TEXT_BYTES", 64 * 1024, min_value=1024)

# --- Execution logs -------------------------------------------------------------------------------
EXEC_OUTPUT_TAIL_BYTES = env_int("EXEC_OUTPUT_TAIL_BYTES", 64 * 1024, min_value=1024)
EXEC_DEFAULT_TIMEOUT_SECONDS = env_int("EXEC_DEFAULT_TIMEOUT_SECONDS", 3600, min_value=1)
# Finished script runs reported this long ago are pruned.
EXEC_LOG_RETENTION_DAYS = env_int("EXEC_LOG_RETENTION_DAYS", 90, min_value=1)

# --- Metrics (GET /metrics, faultportal/metrics.py) ---------------------------------------------
# A scrape must send Authorization: Bearer <METRICS_TOKEN> or come from one of these networks.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = env_networks("METRICS_ALLOWED_NETWORKS", ["127.0.0.1/32", "::1/128"])

# --- Background worker (manage.py notify) ---------------------------------------------------------
# A running job's lease: a worker silent for this long (killed, partitioned) loses its job to
# another worker. The heartbeat renews it, so a long job keeps it while its worker lives.
JOBS_LEASE_SECONDS = env_int("JOBS_LEASE_SECONDS", 60, min_value=5)
JOBS_RETRY_BASE_SECONDS = env_float("JOBS_RETRY_BASE_SECONDS", 5.0, min_value=0.0)
JOBS_RETRY_MAX_SECONDS = env_float("JOBS_RETRY_MAX_SECONDS", 600.0, min_value=0.0)
JOBS_RETENTION_DAYS = env_int("JOBS_RETENTION_DAYS", 7, min_value=1)
WORKER_HEARTBEAT_SECONDS = env_float("WORKER_HEARTBEAT_SECONDS", 5.0, min_value=0.1)
WORKER_POLL_SECONDS = env_float("WORKER_POLL_SECONDS", 1.0, min_value=0.05)
# /api/health: a heartbeat older than this is a dead worker; due work waiting longer than this
# with no live worker makes the portal "degraded".
WORKER_STALE_SECONDS = env_float("WORKER_STALE_SECONDS", 30.0, min_value=1.0)
# The watchdog worker_silent (and /api/health's worker check): a worker has run and the newest
# heartbeat of any worker is older than this. Longer than a restart takes.
WORKER_SILENT_SECONDS = env_int("WORKER_SILENT_SECONDS", 120, min_value=10)

# --- On-call notifications (oncall/, docs/notifications.md) --------------------------------------
# Links in messages point here (the portal as the on-call engineer's phone reaches it).
PORTAL_BASE_URL = env_url("PORTAL_BASE_URL", "http://localhost:8000", schemes=("http", "https"))
# A message lists at most this many faults, then "… and N more".
NOTIFICATION_MESSAGE_MAX_FAULTS = env_int("NOTIFICATION_MESSAGE_MAX_FAULTS", 10, min_value=1)
# One send (an HTTP request, an SMTP session) gives up after this long and is retried later.
NOTIFICATION_SEND_TIMEOUT_SECONDS = env_float(
    "NOTIFICATION_SEND_TIMEOUT_SECONDS", 10.0, min_value=0.5
)
# How often each worker moves the outbox on (dispatch, held changes, due groups).
NOTIFICATION_DISPATCH_SECONDS = env_float("NOTIFICATION_DISPATCH_SECONDS", 1.0, min_value=0.05)
# A delivery is tried this many times (backoff: JOBS_RETRY_BASE_SECONDS doubling) then given up.
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 12, min_value=1)
# An open fault pushed to Alertmanager carries endsAt this far ahead (re-pushed on each change
# and repeat); a resolved one carries its resolution time.
NOTIFICATION_ALERTMANAGER_ENDS_AFTER_SECONDS = env_int(
    "NOTIFICATION_ALERTMANAGER_ENDS_AFTER_SECONDS", 7 * 86400, min_value=60
)
# The outbox, messages and the delivery log are pruned after this many days (manage.py prune).
NOTIFICATION_RETENTION_DAYS = env_int("NOTIFICATION_RETENTION_DAYS", 30, min_value=1)
# Silences are deleted this many days after they ended (manage.py prune).
SILENCE_RETENTION_DAYS = env_int("SILENCE_RETENTION_DAYS", 90, min_value=1)

# --- Logging --------------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # No token ever reaches a log line (faultportal/logredact.py).
    "filters": {"redact_tokens": {"()": "faultportal.logredact.RedactTokensFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}
