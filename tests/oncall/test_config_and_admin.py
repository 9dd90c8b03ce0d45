"""Configuration as code (the two commands), the admin (masked secrets, the test action, the
delivery log) and /metrics."""

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from oncall.models import NotificationChannel, NotificationDelivery, NotificationRule
from tests.oncall.conftest import deliver, open_fault

pytestmark = pytest.mark.django_db

SECRET = "hunter2-very-secret"


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_commands_add_channels_and_rules_and_never_print_the_secret(http):
    out = run(
        "notification_channel",
        "add",
        "--name",
        "ops-mail",
        "--url",
        f"mailtos://oncall:{SECRET}@smtp.example.com?to=ops@example.com",
    )
    assert "Added channel 'ops-mail'" in out and SECRET not in out
    run(
        "notification_channel", "add", "--name", "am", "--url", f"alertmanager://u:{SECRET}@am:9093"
    )
    listed = run("notification_channel", "list")
    assert "ops-mail" in listed and "am" in listed and SECRET not in listed
    out = run(
        "notification_rule",
        "add",
        "--channel",
        "ops-mail",
        "--min-severity",
        "major",
        "--type",
        "too_many_open_files",
        "--host",
        "dn*",
        "--events",
        "opened,regressed,resolved",
    )
    rule = NotificationRule.objects.get()
    assert f"Added rule #{rule.pk}" in out
    assert (rule.min_severity, rule.fault_type_code, rule.host_glob, rule.events) == (
        "major",
        "too_many_open_files",
        "dn*",
        "opened,regressed,resolved",
    )
    assert "ops-mail" in run("notification_rule", "list")


@pytest.mark.parametrize(
    "args, says",
    [
        (["notification_rule", "add", "--channel", "nope"], "No channel named 'nope'"),
        (["notification_rule", "add", "--channel", "c", "--min-severity", "huge"], "severity"),
        (["notification_rule", "add", "--channel", "c", "--type", "no_such"], "No fault type"),
        (["notification_rule", "add", "--channel", "c", "--events", "exploded"], "Unknown event"),
        (["notification_channel", "add", "--name", "x", "--url", "nonsense"], "Not a URL"),
        (["notification_channel", "add", "--name", "c", "--url", "json://h/p"], "exists already"),
    ],
)
def test_commands_refuse_bad_input_with_a_reason(args, says):
    NotificationChannel.objects.create(name="c", url="json://127.0.0.1:9/x")
    with pytest.raises(CommandError, match=says):
        run(*args)


def test_the_admin_masks_the_secret_keeps_it_when_left_blank_and_sends_a_test(admin_client, http):
    channel = NotificationChannel.objects.create(
        name="am", url=f"alertmanager://admin:{SECRET}@{http.url}"
    )
    listing = admin_client.get("/admin/oncall/notificationchannel/").content.decode()
    page = admin_client.get(f"/admin/oncall/notificationchannel/{channel.pk}/change/")
    assert SECRET not in listing and SECRET not in page.content.decode()
    assert "alertmanager://a…:****@127.0.0.1" in page.content.decode()
    saved = admin_client.post(
        f"/admin/oncall/notificationchannel/{channel.pk}/change/",
        {"name": "am", "url": "", "enabled": "on", "rate_limit": "0", "rate_limit_seconds": "3600"},
    )
    assert saved.status_code == 302
    channel.refresh_from_db()
    assert SECRET in channel.url  # left blank: kept

    answer = admin_client.post(
        "/admin/oncall/notificationchannel/",
        {"action": "send_test_message", "_selected_action": [channel.pk]},
        follow=True,
    )
    assert "Test message" in answer.content.decode()
    deliver()
    (push,) = http.posts("/api/v2/alerts")
    assert push.headers["authorization"].startswith("Basic ")
    assert push.json[0]["labels"]["alertname"] == "faultportal_test"
    log = admin_client.get("/admin/oncall/notificationdelivery/").content.decode()
    assert "am" in log and "sent" in log and SECRET not in log


def test_metrics_count_deliveries_and_failures(channels, http):
    http.statuses = [503]
    open_fault()
    deliver()
    response = Client().get("/metrics", REMOTE_ADDR="127.0.0.1")
    families = {f.name: f for f in text_string_to_metric_families(response.content.decode())}
    samples = {
        (s.name, s.labels.get("status")): s.value
        for s in families["faultportal_notification_deliveries"].samples
    }
    assert samples[("faultportal_notification_deliveries_total", "sent")] == 3
    assert samples[("faultportal_notification_deliveries_total", "failed")] == 1
    assert NotificationDelivery.objects.count() == 4
    messages = {
        s.labels["status"]: s.value for s in families["faultportal_notification_messages"].samples
    }
    assert messages == {"queued": 0, "sent": 3, "failed": 0}
    assert "faultportal_notification_oldest_queued_seconds" in families


def test_a_file_channel_writes_under_the_data_dir_and_nowhere_else(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    out = run("notification_channel", "add", "--name", "inbox", "--url", "file://inbox.log")
    assert "file://inbox.log" in out
    NotificationRule.objects.create(
        channel=NotificationChannel.objects.get(name="inbox"), group_wait_seconds=0
    )
    open_fault(host="dn42.example.com")
    deliver()
    text = (tmp_path / "notifications" / "inbox.log").read_text()
    assert "[MAJOR] opened: Too many open files on dn42.example.com" in text
    assert "Idempotency-Key: " in text and "https://portal.example/dashboard/faults/" in text
    for url in ("file://../escape.log", "file:///etc/passwd", "file://a/b", "file://.hidden"):
        with pytest.raises(CommandError, match="plain file name"):
            run("notification_channel", "add", "--name", f"x{len(url)}", "--url", url)


def test_prune_deletes_old_finished_notifications_and_keeps_what_is_still_on_its_way(
    channels, http, settings
):
    from datetime import timedelta

    from django.utils import timezone

    from oncall.models import NotificationGroup, NotificationMessage, OutboxEntry

    open_fault(host="old.example.com")
    deliver()  # sent: 3 messages, their delivery log, 1 dispatched outbox row, 3 groups
    open_fault(host="new.example.com")  # pending in the outbox
    long_ago = timezone.now() - timedelta(days=settings.NOTIFICATION_RETENTION_DAYS + 1)
    for model in (OutboxEntry, NotificationMessage, NotificationGroup):
        model.objects.update(created_at=long_ago)
    NotificationGroup.objects.update(last_flush_at=long_ago)
    for table in ("notification_outbox", "notification_messages", "notification_groups"):
        run("prune", "--table", table, "--no-progress")
    assert list(OutboxEntry.objects.values_list("host", "status")) == [
        ("new.example.com", "pending")
    ]
    assert NotificationMessage.objects.count() == 0 and NotificationDelivery.objects.count() == 0
    assert NotificationGroup.objects.count() == 0
    deliver()  # what was on its way still goes out
    assert len(http.posts("/hook")) == 2


def test_the_api_lists_channels_and_rules_with_the_secret_masked(token_client, http):
    run(
        "notification_channel", "add", "--name", "ops", "--url", f"json://bot:{SECRET}@{http.url}/h"
    )
    run("notification_rule", "add", "--channel", "ops", "--host", "dn*", "--events", "opened")
    answer = token_client("read").get("/api/notifications/channels")
    assert answer.status_code == 200
    assert SECRET not in answer.content.decode()
    (channel,) = answer.json()["channels"]
    assert channel["name"] == "ops" and channel["url"].startswith("json://")
    (rule,) = channel["rules"]
    assert rule["host_glob"] == "dn*" and rule["events"] == ["opened"]
    assert token_client("ingest").get("/api/notifications/channels").status_code == 403
    assert Client().get("/api/notifications/channels").status_code in (401, 403)
