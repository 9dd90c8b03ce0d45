"""GET /api/health: what each dependency says, for load balancers and operators.

The database is required (503 without it); the cache is optional (200, marked unavailable).
Checks are registered (health_check_register): the project's own two here, an app's from its
AppConfig.ready, since this package imports no app (docs/architecture.md).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


def check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return {"ok": False, "vendor": connection.vendor, "error": str(exc)[:200]}
    return {
        "ok": True,
        "vendor": connection.vendor,
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def check_cache() -> dict:
    backend = settings.CACHES["default"]["BACKEND"]
    if "redis" not in backend.lower():
        return {"ok": True, "backend": "local-memory", "shared": False}
    from django_redis import get_redis_connection

    started = time.perf_counter()
    try:
        get_redis_connection("default").ping()
    except Exception as exc:  # any Redis failure means "unavailable", never a failed health check
        return {"ok": False, "backend": "redis", "error": str(exc)[:200]}
    return {
        "ok": True,
        "backend": "redis",
        "shared": True,
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
    }


@dataclass(frozen=True)
class HealthCheck:
    check: Callable[[], dict]  # answers {"ok": bool, …}; must not raise
    required: bool  # not ok: "down" and 503 when required, else "degraded" and 200


_checks: dict[str, HealthCheck] = {}


def health_check_register(name: str, check: Callable[[], dict], *, required: bool) -> None:
    """Add a check to /api/health under `name` (registering a name again replaces it)."""
    _checks[name] = HealthCheck(check=check, required=required)


health_check_register("database", check_database, required=True)
health_check_register("cache", check_cache, required=False)


class HealthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Health of the portal and its dependencies",
        responses={
            200: inline_serializer(
                "Health",
                {"status": serializers.CharField(), "checks": serializers.DictField()},
            ),
            503: inline_serializer(
                "HealthDown",
                {"status": serializers.CharField(), "checks": serializers.DictField()},
            ),
        },
    )
    def get(self, request):
        answers = {name: entry.check() for name, entry in _checks.items()}
        failed = [_checks[name] for name, answer in answers.items() if not answer["ok"]]
        if any(entry.required for entry in failed):
            overall, code = "down", 503
        elif failed:
            overall, code = "degraded", 200
        else:
            overall, code = "ok", 200
        return Response({"status": overall, "checks": answers}, status=code)
