"""Admin for the diagnosis app: one module per model (or per pair of history tables)."""

from diagnosis.admin import fault_record, fault_type, history, incident  # noqa: F401  (registers the admins)
