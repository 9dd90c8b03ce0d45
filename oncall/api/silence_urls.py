"""Silence routes; each works with and without its trailing slash and never redirects."""

from django.urls import re_path

from oncall.api.silences import SilenceDetailView, SilenceListView

urlpatterns = [
    re_path(r"^silences/?$", SilenceListView.as_view(), name="silence-list"),
    re_path(r"^silences/(?P<pk>[0-9]+)/?$", SilenceDetailView.as_view(), name="silence-detail"),
]
