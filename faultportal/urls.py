"""Root URL configuration. Each app owns its routes; this file only mounts them.

Apps' URL modules are named by string (include("x.urls")), never imported: the project package
imports no app (docs/architecture.md)."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from faultportal import errors
from faultportal.favicon import favicon_view
from faultportal.health import HealthView
from faultportal.metrics import metrics_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon_view, name="favicon"),
    path("api/health", HealthView.as_view(), name="health"),
    path("metrics", metrics_view, name="metrics"),
    # API documentation: the OpenAPI 3 schema and Swagger UI (served from local static files).
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("logs.api.urls")),
    path("api/", include("runs.api.urls")),
    path("api/", include("cluster.api.urls")),
    path("api/", include("diagnosis.api.urls")),
    path("api/", include("rca.api.urls")),
    path("api/", include("oncall.api.silence_urls")),
    path("api/", include("oncall.api.notification_urls")),
    path("", include("dashboard.urls")),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
