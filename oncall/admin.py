"""oncall's admin. Silences, maintenance windows and snoozes: oncall/silence_admin.py."""

from oncall import silence_admin  # noqa: F401  (registers the silence admins)
