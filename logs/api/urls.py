from django.urls import re_path

from logs.api.search_views import LogContextView, LogSearchView
from logs.api.views import LogUploadView

# Served ahead of the middleware chain by logs.api.middleware (the route below stays for
# reverse() and the schema). Both spellings, never a redirect: Flume's sink follows a redirect
# with a body-less GET, and the line is lost.
INGEST_PATHS = frozenset({"/api/log/auto-upload", "/api/log/auto-upload/"})

urlpatterns = [
    re_path(r"^log/auto-upload/?$", LogUploadView.as_view(), name="log-auto-upload"),
    re_path(r"^logs/?$", LogSearchView.as_view(), name="logs-search"),
    re_path(r"^logs/(?P<pk>[0-9]{1,19})/context/?$", LogContextView.as_view(), name="logs-context"),
]
