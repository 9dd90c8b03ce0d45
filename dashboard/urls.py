"""Server-rendered pages: the dashboard and the host, fault and incident pages it links to."""

from django.urls import path
from django.views.generic import RedirectView

from dashboard import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="dashboard", permanent=False), name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    # A host name comes from the senders: `path` accepts any character, "/" included.
    path("dashboard/hosts/<path:host>/", views.host, name="dashboard-host"),
    path("dashboard/faults/<int:fault_id>/", views.fault, name="dashboard-fault"),
    path(
        "dashboard/faults/<int:fault_id>/silence",
        views.fault_silence,
        name="dashboard-fault-silence",
    ),
    path(
        "dashboard/faults/<int:fault_id>/snooze",
        views.fault_snooze_view,
        name="dashboard-fault-snooze",
    ),
    path(
        "dashboard/faults/<int:fault_id>/unsnooze",
        views.fault_unsnooze_view,
        name="dashboard-fault-unsnooze",
    ),
    path("dashboard/incidents/<int:incident_id>/", views.incident, name="dashboard-incident"),
    path(
        "dashboard/incidents/<int:incident_id>/silence",
        views.incident_silence,
        name="dashboard-incident-silence",
    ),
    path("dashboard/logs/", views.logs, name="dashboard-logs"),
    path("dashboard/logs/<int:line_id>/", views.log_context, name="dashboard-log-context"),
]
