"""Routes of the execution-run API, mounted under /api/.

Scripts POST here: every route answers with and without a trailing slash and never redirects
(a redirect turns a POST into a GET and the report is lost).
"""

from django.urls import re_path

from runs.api.views import (
    ExecRunCollectionView,
    ExecRunDetailView,
    ExecRunFinishView,
    ExecScriptStatsView,
)

urlpatterns = [
    re_path(r"^exec/runs/?$", ExecRunCollectionView.as_view(), name="exec-runs"),
    re_path(r"^exec/runs/(?P<pk>[0-9]+)/?$", ExecRunDetailView.as_view(), name="exec-run-detail"),
    re_path(
        r"^exec/runs/(?P<pk>[0-9]+)/finish/?$",
        ExecRunFinishView.as_view(),
        name="exec-run-finish",
    ),
    re_path(r"^exec/scripts/?$", ExecScriptStatsView.as_view(), name="exec-scripts"),
]
