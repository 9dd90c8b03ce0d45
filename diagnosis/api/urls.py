"""Fault routes. Each works with and without its trailing slash and never redirects: scripts
POST to them, and a redirect would turn the POST into a GET."""

from django.urls import re_path

from diagnosis.api.incident_views import IncidentDetailView, IncidentListView
from diagnosis.api.views import FaultDetailView, FaultListView, FaultTransitionView

urlpatterns = [
    re_path(r"^faults/?$", FaultListView.as_view(), name="fault-list"),
    re_path(r"^faults/(?P<pk>[0-9]+)/?$", FaultDetailView.as_view(), name="fault-detail"),
    re_path(
        r"^faults/(?P<pk>[0-9]+)/(?P<action>acknowledge|resolve|ignore|reopen)/?$",
        FaultTransitionView.as_view(),
        name="fault-transition",
    ),
    re_path(r"^incidents/?$", IncidentListView.as_view(), name="incident-list"),
    re_path(r"^incidents/(?P<pk>[0-9]+)/?$", IncidentDetailView.as_view(), name="incident-detail"),
]
