"""Fault changes reach real receivers on loopback: an SMTP server, a JSON webhook and an
Alertmanager API, once each, with the documented fields; a storm becomes one message."""

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from diagnosis.services import fault_resolve
from oncall.models import NotificationDelivery, NotificationMessage, OutboxEntry
from oncall.services import rule_create
from tests.oncall.conftest import HOSTILE, deliver, open_fault
from tests.support.receivers import html_part

pytestmark = pytest.mark.django_db


def test_opened_then_resolved_sends_one_email_one_webhook_one_alert_each(channels, smtp, http):
    fault = open_fault()
    assert OutboxEntry.objects.get().event == "opened"  # written with the fault change
    deliver()

    (mail,) = smtp.messages
    assert mail["Subject"].startswith("[MAJOR] opened: Too many open files on dn01.example.com")
    body = html_part(mail)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
    assert "<script>" not in body and "<!channel>" not in body
    assert f"https://portal.example/dashboard/faults/{fault.pk}/" in body
    (hook,) = http.posts("/hook")
    data = hook.json
    ours = data["faultportal"]
    assert data["title"] == mail["Subject"]
    assert HOSTILE in data["message"]  # JSON carries the text as it is; JSON is the escaping
    assert ours["event"] == "opened" and ours["severity"] == "major"
    assert ours["hosts"] == ["dn01.example.com"] and ours["counts"] == {"faults": 1, "opened": 1}
    (entry,) = ours["faults"]
    assert entry["first_sample"] == HOSTILE and entry["latest_sample"] == HOSTILE
    assert entry["occurrences"] == 1 and entry["type"] == "too_many_open_files"
    assert ours["url"] == f"https://portal.example/dashboard/faults/{fault.pk}/"
    assert hook.headers["idempotency-key"] == ours["idempotency_key"]
    (push,) = http.posts("/api/v2/alerts")
    (alert,) = push.json
    assert alert["labels"] == {
        "alertname": "faultportal_too_many_open_files",
        "host": "dn01.example.com",
        "type": "too_many_open_files",
        "severity": "major",
        "fault_id": str(fault.pk),
        "incident": str(fault.incident_id),
    }
    assert parse_datetime(alert["startsAt"]) == fault.first_seen
    assert parse_datetime(alert["endsAt"]) > timezone.now()  # still firing
    assert push.headers["idempotency-key"]

    fault_resolve(fault=fault, actor="alice", note="ulimit raised")
    deliver()
    assert len(smtp.messages) == 2 and len(http.posts("/hook")) == 2
    resolved = smtp.messages[1]
    assert resolved["Subject"].startswith(
        "[RESOLVED] Too many open files on dn01.example.com after"
    )
    assert "lasted 5m" in html_part(resolved)
    assert http.posts("/hook")[1].json["faultportal"]["faults"][0]["lasted_seconds"] >= 300
    (alert,) = http.posts("/api/v2/alerts")[1].json
    fault.refresh_from_db()
    assert parse_datetime(alert["endsAt"]) == fault.resolved_at  # Alertmanager resolves it
    # every attempt is in the delivery log
    assert NotificationDelivery.objects.filter(status="sent").count() == 6
    deliver()
    assert len(smtp.messages) == 2 and len(http.requests) == 4  # nothing sent twice


def test_two_hundred_faults_of_one_incident_within_group_wait_are_one_message(db, smtp, http):
    from datetime import timedelta

    from oncall.models import NotificationGroup
    from oncall.services import channel_create

    mail = channel_create(name="mail", url=smtp.mailto())
    hook = channel_create(name="hook", url=f"json://{http.url}/hook")
    for channel in (mail, hook):
        rule_create(channel=channel, group_wait_seconds=30, group_interval_seconds=300)
    started = timezone.now()
    faults = [open_fault(sample=f"too many open files #{i}") for i in range(100)]
    deliver()  # the storm's first half: the groups start their 30 s wait
    faults += [open_fault(sample=f"too many open files #{i}") for i in range(100, 200)]
    deliver()
    assert len({f.incident_id for f in faults}) == 1 and faults[0].incident_id
    assert smtp.messages == [] and http.requests == []  # waiting for the storm to settle
    groups = NotificationGroup.objects.all()
    assert len(groups) == 2  # one per rule, for the incident
    for group in groups:
        assert group.key == f"incident:{faults[0].incident_id}"
        wait = (group.next_flush_at - started).total_seconds()
        assert 30 <= wait < 30 + (timezone.now() - started).total_seconds()
    # the test drives the clock: group_wait is over
    groups.update(next_flush_at=timezone.now() - timedelta(seconds=1))
    deliver()
    (message,) = smtp.messages
    assert message["Subject"].startswith("[MAJOR] 200 faults: 200 opened — ")
    assert "… and 190 more" in html_part(message)
    (post,) = http.posts("/hook")
    ours = post.json["faultportal"]
    assert ours["counts"]["faults"] == 200 and ours["more"] == 190 and len(ours["faults"]) == 10
    assert ours["incident"]["id"] == faults[0].incident_id
    assert ours["incident"]["top_cause"]  # the incident's cause fault, named
    assert ours["url"].endswith(f"/admin/diagnosis/incident/{faults[0].incident_id}/change/")
    # a new change in the same group waits for group_interval after the last message
    open_fault(sample="one more")
    deliver()
    assert len(smtp.messages) == 1
    for group in NotificationGroup.objects.all():
        assert group.next_flush_at == group.last_flush_at + timedelta(seconds=300)


def test_a_channel_answering_500_then_200_is_retried_with_the_same_key(channels, http, smtp):
    http.statuses = [500]  # the first request (the webhook's or Alertmanager's) fails
    open_fault()
    deliver()
    keys = [r.headers["idempotency-key"] for r in http.requests]
    assert len(http.requests) == 3  # one refused, then both channels' messages delivered
    assert len(set(keys)) == 2  # the refused one came again with its own key
    refused = NotificationDelivery.objects.get(status="failed")
    assert "500" in refused.error and refused.response_code == 500
    retried = NotificationDelivery.objects.get(message=refused.message, status="sent")
    assert retried.attempt == 2 and retried.idempotency_key == refused.idempotency_key
    assert NotificationMessage.objects.filter(status="sent").count() == 3


def test_a_channel_that_never_answers_is_given_up_and_says_so(db):
    from jobs.registry import job_handlers
    from oncall.services import channel_create

    handler = job_handlers()["oncall.deliver"]  # NOTIFICATION_MAX_ATTEMPTS, read at start-up
    dead = channel_create(name="dead", url="json://127.0.0.1:9/nothing-listens")
    rule_create(channel=dead, group_wait_seconds=0)
    open_fault()
    deliver()
    message = NotificationMessage.objects.get()
    assert message.status == "failed" and message.attempts == handler.max_attempts
    assert NotificationDelivery.objects.filter(status="failed").count() == handler.max_attempts


def test_rate_limit_sums_up_what_does_not_fit(db, http):
    from oncall.services import channel_create

    hook = channel_create(name="hook", url=f"json://{http.url}/hook", rate_limit=2)
    rule_create(channel=hook, group_wait_seconds=0)
    for i in range(5):  # five hosts: five incidents, five groups
        open_fault(host=f"dn{i:02d}.example.com")
    deliver()
    posts = http.posts("/hook")
    assert len(posts) == 2
    single, summary = sorted(posts, key=lambda p: p.json["faultportal"]["kind"])
    assert single.json["faultportal"]["kind"] == "group"
    assert summary.json["faultportal"]["kind"] == "overflow"
    assert summary.json["title"].startswith("[RATE LIMIT] [MAJOR] 4 faults: 4 opened")
    assert "rate limit was reached: 4 groups" in summary.json["message"]
    open_fault(host="dn99.example.com")
    deliver()
    assert len(http.posts("/hook")) == 2  # the window is full: held, not sent, not lost
    assert NotificationMessage.objects.count() == 2


def test_rules_match_severity_type_host_and_events(db, http):
    from oncall.services import channel_create

    hook = channel_create(name="hook", url=f"json://{http.url}/hook")
    rule_create(
        channel=hook,
        min_severity="critical",
        host_glob="nn*.prod",
        events="opened",
        group_wait_seconds=0,
    )
    open_fault(host="nn1.prod", severity="major")  # not severe enough
    open_fault(host="dn1.prod", severity="critical")  # another host
    wanted = open_fault(host="nn2.prod", severity="critical")
    deliver()
    (post,) = http.posts("/hook")
    assert post.json["faultportal"]["faults"][0]["fault_id"] == wanted.pk
    assert OutboxEntry.objects.filter(status="unmatched").count() == 2
    fault_resolve(fault=wanted, actor="bob")
    deliver()
    assert len(http.posts("/hook")) == 1  # resolved is not among the rule's events


def test_a_fault_still_open_after_the_repeat_interval_is_sent_again(db, http):
    from oncall.dispatch import repeats_scan
    from oncall.models import NotificationItem
    from oncall.services import channel_create

    hook = channel_create(name="hook", url=f"json://{http.url}/hook")
    rule_create(
        channel=hook,
        events="opened,repeat",
        group_wait_seconds=0,
        group_interval_seconds=0,
        repeat_interval_seconds=3600,
    )
    open_fault()
    deliver()
    assert repeats_scan() == 0  # told a moment ago
    NotificationItem.objects.update(created_at=timezone.now() - timezone.timedelta(hours=2))
    assert repeats_scan() == 1
    assert repeats_scan() == 0  # the repeat is on its way: not twice
    deliver()
    first, again = http.posts("/hook")
    assert again.json["title"].startswith("[MAJOR] still open: Too many open files")
    assert first.headers["idempotency-key"] != again.headers["idempotency-key"]
