"""Admin for the diagnosis app: one module per model."""

from diagnosis.admin import fault_record, fault_type  # noqa: F401  (registers the admins)
