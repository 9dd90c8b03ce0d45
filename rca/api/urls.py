"""The diagnose routes, mounted under /api/. Scripts POST here: with or without the trailing
slash, never redirected (a redirect would turn the POST into a GET)."""

from django.urls import re_path

from rca.api.views import DiagnoseView, DiagnosisDetailView

urlpatterns = [
    re_path(r"^llm/diagnose/?$", DiagnoseView.as_view(), name="llm-diagnose"),
    re_path(
        r"^diagnoses/(?P<pk>[0-9]+)/?$", DiagnosisDetailView.as_view(), name="diagnosis-detail"
    ),
]
