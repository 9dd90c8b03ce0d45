import re
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from cluster.models import ClusterStatus
from cluster.selectors import CLUSTER_METRICS, HISTORY_METRICS, HOST_METRIC_ROLES

# Host names as Hadoop and scripts write them: names, IPv4/IPv6 addresses, no spaces or markup.
HOST_RE = re.compile(r"^[A-Za-z0-9_.:\[\]-]+$")
RELATIVE_RE = re.compile(r"^(\d{1,6})\s*([smhd])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_LOAD = 100_000.0  # no real load average comes near this; it catches unit mistakes


class StrictFloatField(serializers.FloatField):
    """A number; unlike DRF's FloatField, true/false are not taken for 1 and 0."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


def _pct(label: str):
    return StrictFloatField(
        required=False,
        allow_null=True,
        min_value=0.0,
        max_value=100.0,
        help_text=f"{label}, 0-100.",
    )


def _load(label: str):
    return StrictFloatField(
        required=False, allow_null=True, min_value=0.0, max_value=MAX_LOAD, help_text=label
    )


def validate_host(value: str) -> str:
    value = value.strip()
    if not HOST_RE.match(value):
        raise serializers.ValidationError(
            "Use the host's name or address (letters, digits, '.', '-', '_', ':')."
        )
    return value


class HostMetricsSerializer(serializers.Serializer):
    """POST /api/cluster/status: one host's metrics, as a script on the node measures them."""

    host = serializers.CharField(max_length=255, help_text="The host the metrics describe.")
    cpu_pct = _pct("CPU busy percent")
    memory_used_pct = _pct("Memory used percent")
    disk_used_pct = _pct("Disk used percent (the fullest data disk)")
    load_1m = _load("Load average over 1 minute")
    load_5m = _load("Load average over 5 minutes")
    load_15m = _load("Load average over 15 minutes")

    def validate_host(self, value):
        return validate_host(value)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:  # a typo ("cpu") must not be silently dropped
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)

    def validate(self, attrs):
        metrics = {k: v for k, v in attrs.items() if k != "host" and v is not None}
        if not metrics:
            raise serializers.ValidationError(
                "Send at least one metric: "
                + ", ".join(n for n in self.fields if n != "host")
                + "."
            )
        return attrs


class HostMetricsRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClusterStatus
        fields = [
            "id",
            "host",
            "role",
            "collected_at",
            "cpu_pct",
            "memory_used_pct",
            "disk_used_pct",
            "load_1m",
            "load_5m",
            "load_15m",
        ]


def parse_moment(value: str, *, now: datetime) -> datetime:
    """An ISO 8601 time, or a span back from now such as 30m, 6h, 7d."""
    value = value.strip()
    relative = RELATIVE_RE.match(value)
    if relative:
        return now - timedelta(seconds=int(relative[1]) * UNIT_SECONDS[relative[2]])
    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise serializers.ValidationError(
            "Use an ISO 8601 time (2026-11-28T10:00:00Z) or a span such as 30m, 6h, 7d."
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)  # read in the portal's (the cluster's) zone
    return moment


class HistoryQuerySerializer(serializers.Serializer):
    metric = serializers.ChoiceField(choices=HISTORY_METRICS)
    since = serializers.CharField(required=False, default="24h")
    until = serializers.CharField(required=False, allow_blank=True, default="")
    host = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    role = serializers.ChoiceField(
        choices=[r for r in ClusterStatus.Role.values if r != ClusterStatus.Role.CLUSTER],
        required=False,
        allow_blank=True,
        default="",
    )
    points = serializers.IntegerField(required=False, default=300, min_value=2, max_value=2000)

    def validate_host(self, value):
        return validate_host(value) if value.strip() else ""

    def validate(self, attrs):
        now = timezone.now()
        moments = {}
        for name in ("since", "until"):
            try:
                moments[name] = parse_moment(attrs[name], now=now) if attrs[name].strip() else now
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({name: exc.detail}) from None
        since, until = moments["since"], moments["until"]
        if since >= until:
            raise serializers.ValidationError({"since": ["Must be before until."]})
        attrs["since"], attrs["until"] = since, until
        metric, host, role = attrs["metric"], attrs["host"], attrs["role"]
        if host:
            roles = HOST_METRIC_ROLES.get(metric)
            if not roles:
                raise serializers.ValidationError(
                    {"metric": [f"{metric} is a cluster metric; leave out host."]}
                )
            if role and role not in roles:
                raise serializers.ValidationError(
                    {"role": [f"{metric} is reported by {', '.join(roles)} rows, not {role}."]}
                )
            attrs["role"] = role or roles[0]
        else:
            if metric not in CLUSTER_METRICS:
                raise serializers.ValidationError(
                    {"host": [f"{metric} is a per-host metric: name the host."]}
                )
            if role:
                raise serializers.ValidationError({"role": ["role needs a host."]})
        return attrs
