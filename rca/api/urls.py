"""The diagnose route, mounted under /api/. Scripts POST here: with or without the trailing
slash, never redirected (a redirect would turn the POST into a GET)."""

from django.urls import re_path

from rca.api.views import DiagnoseView

urlpatterns = [
    re_path(r"^llm/diagnose/?$", DiagnoseView.as_view(), name="llm-diagnose"),
]
