"""Notification routes; each works with and without its trailing slash and never redirects."""

from django.urls import re_path

from oncall.api.notifications import NotificationChannelsView

urlpatterns = [
    re_path(
        r"^notifications/channels/?$",
        NotificationChannelsView.as_view(),
        name="notification-channels",
    ),
]
