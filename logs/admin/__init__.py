"""Admin for the logs app: one module per model."""

from logs.admin import log_layout, system_log  # noqa: F401  (registers the admins)
