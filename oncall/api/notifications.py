"""GET /api/notifications/channels: the notification channels and their rules (scope read).

Read-only: channels are configured with `manage.py notification_channel` or the admin. A
channel's URL holds its secrets (passwords, tokens): it is only ever answered masked.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from faultportal.api.permissions import ReadScope
from oncall.channels import channel_url_masked
from oncall.models import NotificationChannel, NotificationRule


class RuleSerializer(serializers.ModelSerializer):
    fault_type = serializers.CharField(source="fault_type_code")
    events = serializers.ListField(child=serializers.CharField(), source="event_list")

    class Meta:
        model = NotificationRule
        fields = [
            "id",
            "name",
            "enabled",
            "min_severity",
            "fault_type",
            "host_glob",
            "incident",
            "events",
            "group_wait_seconds",
            "group_interval_seconds",
            "repeat_interval_seconds",
        ]


class ChannelSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Masked: secrets are never answered.")
    rules = RuleSerializer(many=True)

    class Meta:
        model = NotificationChannel
        fields = ["id", "name", "url", "enabled", "rate_limit", "rate_limit_seconds", "rules"]

    def get_url(self, channel) -> str:
        return channel_url_masked(channel.url)


class ChannelsAnswer(serializers.Serializer):
    channels = ChannelSerializer(many=True)


class NotificationChannelsView(APIView):
    permission_classes = [ReadScope]

    @extend_schema(
        summary="Notification channels and rules",
        description="Every channel (URL masked) with the rules that send to it.",
        responses={200: ChannelsAnswer},
    )
    def get(self, request):
        channels = NotificationChannel.objects.prefetch_related("rules").order_by("name")
        return Response({"channels": ChannelSerializer(channels, many=True).data})
