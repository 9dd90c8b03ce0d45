from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The server-rendered pages (dashboard, host, fault): read every app, own no table."""

    name = "dashboard"
    verbose_name = "Dashboard"
