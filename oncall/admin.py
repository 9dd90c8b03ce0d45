"""On-call in the admin: channels (secrets masked, "send a test message"), rules, the outbox,
messages and the delivery log (every attempt). Silences, maintenance windows and snoozes:
oncall/silence_admin.py."""

from django import forms
from django.contrib import admin, messages

from faultportal.admin_pagination import EstimatedCountPaginator
from oncall import silence_admin  # noqa: F401  (registers the silence admins)
from oncall.channels import ChannelUrlError, channel_url_check, channel_url_masked
from oncall.matching import GlobError, glob_check
from oncall.models import (
    NotificationChannel,
    NotificationDelivery,
    NotificationMessage,
    NotificationRule,
    OutboxEntry,
)
from oncall.services import OncallConfigError, channel_test_send, events_parse


class ChannelForm(forms.ModelForm):
    """The URL is write-only: a saved channel shows it masked and keeps it when left blank."""

    url = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"size": 80, "autocomplete": "off"}),
        help_text="An apprise URL (mailto://user:pass@smtp.example?to=oncall@example, "
        "json://hooks.example/path, slack://…, msteams://…) or alertmanager://host:9093. "
        "Leave blank to keep the saved URL.",
    )

    class Meta:
        model = NotificationChannel
        fields = ["name", "url", "enabled", "rate_limit", "rate_limit_seconds"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["url"] = ""  # never render the saved URL into the page
        if self.instance.pk:
            self.fields["url"].help_text = (
                f"Saved: {channel_url_masked(self.instance.url)}. " + self.fields["url"].help_text
            )

    def clean_url(self):
        url = (self.cleaned_data.get("url") or "").strip()
        if not url:
            if self.instance.pk:
                return self.instance.url
            raise forms.ValidationError("A new channel needs a URL.")
        try:
            channel_url_check(url)
        except ChannelUrlError as exc:
            raise forms.ValidationError(str(exc)) from None
        return url


@admin.register(NotificationChannel)
class NotificationChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ["name", "masked_url", "enabled", "rate_limit", "rate_limit_seconds"]
    actions = ["send_test_message"]
    search_fields = ["name"]

    @admin.display(description="URL")
    def masked_url(self, obj):
        return channel_url_masked(obj.url)

    @admin.action(description="Send a test message", permissions=["change"])
    def send_test_message(self, request, queryset):
        for channel in queryset:
            message = channel_test_send(channel=channel, actor=request.user.get_username())
            self.message_user(
                request,
                f"Test message #{message.pk} queued for {channel.name}: the worker "
                "(manage.py notify) sends it; see the delivery log.",
                messages.SUCCESS,
            )


class RuleForm(forms.ModelForm):
    class Meta:
        model = NotificationRule
        fields = [
            "name",
            "channel",
            "enabled",
            "min_severity",
            "fault_type_code",
            "host_glob",
            "incident",
            "events",
            "group_wait_seconds",
            "group_interval_seconds",
            "repeat_interval_seconds",
        ]

    def clean_events(self):
        try:
            return events_parse(self.cleaned_data["events"])
        except OncallConfigError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_host_glob(self):
        glob = self.cleaned_data.get("host_glob", "")
        if glob:
            try:
                glob_check(glob)
            except GlobError as exc:
                raise forms.ValidationError(str(exc)) from None
        return glob


@admin.register(NotificationRule)
class NotificationRuleAdmin(admin.ModelAdmin):
    form = RuleForm
    list_display = [
        "id",
        "name",
        "channel",
        "enabled",
        "events",
        "min_severity",
        "fault_type_code",
        "host_glob",
        "incident",
        "group_wait_seconds",
        "group_interval_seconds",
    ]
    list_filter = ["enabled", "channel"]
    raw_id_fields = ["incident"]


class _ReadOnly(admin.ModelAdmin):
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OutboxEntry)
class OutboxEntryAdmin(_ReadOnly):
    list_display = ["id", "event", "status", "held", "severity", "host", "title", "changed_at"]
    list_filter = ["status", "event"]
    search_fields = ["=id", "=fault__id", "host"]
    readonly_fields = ["held", *(f.name for f in OutboxEntry._meta.fields)]

    @admin.display(description="silenced")
    def held(self, obj):
        return silence_admin.outbox_held_text(obj)


class DeliveryInline(admin.TabularInline):
    model = NotificationDelivery
    extra = 0
    can_delete = False
    fields = ["attempt", "status", "response_code", "error", "duration_ms", "worker_id", "at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(NotificationMessage)
class NotificationMessageAdmin(_ReadOnly):
    list_display = ["id", "channel", "kind", "status", "title", "item_count", "attempts", "sent_at"]
    list_filter = ["status", "kind", "channel"]
    search_fields = ["=id", "=idempotency_key"]
    readonly_fields = [f.name for f in NotificationMessage._meta.fields]
    inlines = [DeliveryInline]


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(_ReadOnly):
    list_display = [
        "at",
        "channel",
        "message",
        "attempt",
        "status",
        "response_code",
        "short_error",
        "duration_ms",
        "worker_id",
    ]
    list_filter = ["status", "channel"]
    search_fields = ["=message__id", "=idempotency_key"]
    readonly_fields = [f.name for f in NotificationDelivery._meta.fields]

    @admin.display(description="error")
    def short_error(self, obj):
        return obj.error[:120]
