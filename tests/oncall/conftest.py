"""Fixtures for on-call tests: real SMTP/HTTP receivers on loopback, channels pointing at them,
faults made through diagnosis' own services (so their changes reach the outbox as in ingest)."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from diagnosis.models import FaultRecord, FaultType
from diagnosis.services import Occurrence, fault_occurrences_record
from jobs.worker import Worker
from oncall.services import channel_create, rule_create
from tests.support.receivers import HttpReceiver, SmtpReceiver

HOSTILE = '<script>alert("x")</script> *bold* <!channel> & [link](http://evil.example)'
_fingerprints = itertools.count(1)


@pytest.fixture(autouse=True)
def _oncall_settings(settings):
    settings.PORTAL_BASE_URL = "https://portal.example"
    settings.JOBS_RETRY_BASE_SECONDS = 0.0  # retries due at once: the test drives the clock


@pytest.fixture
def smtp():
    receiver = SmtpReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def http():
    receiver = HttpReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def channels(db, smtp, http):
    """An e-mail, a JSON webhook and an Alertmanager channel, each with a rule taking every
    fault change at once (group_wait 0)."""
    made = {
        "email": channel_create(name="mail", url=smtp.mailto()),
        "webhook": channel_create(name="hook", url=f"json://{http.url}/hook"),
        "alertmanager": channel_create(name="am", url=f"alertmanager://{http.url}"),
    }
    for channel in made.values():
        rule_create(channel=channel, group_wait_seconds=0, group_interval_seconds=0)
    return made


def open_fault(
    *, host="dn01.example.com", sample=HOSTILE, severity=None, fingerprint=None, seen_at=None
) -> FaultRecord:
    occurrence = Occurrence(
        fault_type=FaultType.objects.get(code="too_many_open_files"),
        fingerprint=fingerprint or f"oncall-{next(_fingerprints)}",
        host=host,
        title=f"Too many open files on {host}",
        seen_at=seen_at or timezone.now() - timedelta(minutes=5),
        sample=sample,
        severity=severity,
    )
    return fault_occurrences_record(occurrences=[occurrence])[0]


def deliver() -> int:
    """What `manage.py notify --once` does: dispatch, flush due groups, deliver due jobs."""
    return Worker(once=True, poll_seconds=0.01).run_once()
