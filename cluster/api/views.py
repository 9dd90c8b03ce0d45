"""GET/POST /api/cluster/status and GET /api/cluster/status/history."""

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from cluster.api.serializers import (
    HistoryQuerySerializer,
    HostMetricsRowSerializer,
    HostMetricsSerializer,
)
from cluster.cache import status_cached
from cluster.rendering import status_json, status_render
from cluster.selectors import cluster_status_latest, status_history
from cluster.services import host_metrics_push
from faultportal.api.permissions import IngestScope, ReadScope

JSON = "application/json"

StatusAnswer = inline_serializer(
    "ClusterStatusAnswer",
    {
        "collected_at": serializers.DateTimeField(allow_null=True),
        "age_seconds": serializers.FloatField(allow_null=True),
        "stale": serializers.BooleanField(),
        "stale_after_seconds": serializers.IntegerField(),
        "cluster": serializers.DictField(allow_null=True),
        "nodes": serializers.ListField(child=serializers.DictField()),
    },
)


class ClusterStatusView(APIView):
    """Reading the cluster's state (read scope or staff) and pushing host metrics (ingest)."""

    throttle_scope = "ingest"

    def get_permissions(self):
        if self.request.method == "POST":
            return [IngestScope()]
        return [ReadScope()]

    def get_throttles(self):
        # Only pushes write; the cached GET must stay free of extra round trips.
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        summary="Latest cluster status",
        description="The latest snapshot: cluster summary (HDFS, YARN), the latest row of every "
        "node, and how old the data is. Served from the cache, invalidated by every new "
        "snapshot; age_seconds and stale are computed per request (the cache holds the "
        "encoded JSON, completed with the ages at answer time).",
        responses={200: StatusAnswer},
    )
    def get(self, request):
        rendered = status_cached(lambda: status_render(cluster_status_latest()))
        return HttpResponse(status_json(rendered, timezone.now()), content_type=JSON)

    @extend_schema(
        summary="Push one host's metrics",
        request=HostMetricsSerializer,
        responses={201: HostMetricsRowSerializer},
    )
    def post(self, request):
        serializer = HostMetricsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        host = data.pop("host")
        row = host_metrics_push(host=host, metrics=data)
        return Response(HostMetricsRowSerializer(row).data, status=status.HTTP_201_CREATED)


class ClusterStatusHistoryView(APIView):
    permission_classes = [ReadScope]

    @extend_schema(
        summary="A cluster or host metric over time, for charts",
        parameters=[
            OpenApiParameter("metric", str, required=True, description="Column to chart."),
            OpenApiParameter("since", str, description="ISO 8601 time or span (6h, 7d); 24h."),
            OpenApiParameter("until", str, description="ISO 8601 time or span; now."),
            OpenApiParameter("host", str, description="A host's rows instead of the cluster's."),
            OpenApiParameter("role", str, description="Which of the host's roles (optional)."),
            OpenApiParameter("points", int, description="At most this many points (300)."),
        ],
        responses={
            200: inline_serializer("ClusterStatusHistory", {"points": serializers.ListField()})
        },
    )
    def get(self, request):
        query = HistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        series = status_history(
            metric=q["metric"],
            since=q["since"],
            until=q["until"],
            max_points=q["points"],
            host=q["host"],
            role=q["role"] if q["host"] else "",
        )
        return Response(
            {
                "metric": series.metric,
                "host": series.host or None,
                "role": series.role or None,
                "since": series.since.isoformat(),
                "until": series.until.isoformat(),
                "bucket_seconds": series.bucket_seconds,
                "points": series.points,
            }
        )
