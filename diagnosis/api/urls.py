from django.urls import re_path

from diagnosis.api.diagnose_views import DiagnoseView

urlpatterns: list = [
    # Scripts POST here: with or without the trailing slash, never redirected.
    re_path(r"^llm/diagnose/?$", DiagnoseView.as_view(), name="llm-diagnose"),
]
