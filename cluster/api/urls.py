from django.urls import re_path

from cluster.api.views import ClusterStatusHistoryView, ClusterStatusView

# Scripts POST here: the path works with and without a trailing slash and never redirects.
urlpatterns = [
    re_path(r"^cluster/status/?$", ClusterStatusView.as_view(), name="cluster-status"),
    re_path(
        r"^cluster/status/history/?$",
        ClusterStatusHistoryView.as_view(),
        name="cluster-status-history",
    ),
]
