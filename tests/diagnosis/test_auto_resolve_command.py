"""The cron-friendly auto_resolve_faults command."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from diagnosis import services
from diagnosis.models import FaultRecord, FaultType
from diagnosis.services import Occurrence

pytestmark = pytest.mark.django_db


def fault(fingerprint: str, hours_ago: float, status: str = "open") -> FaultRecord:
    (record,) = services.fault_occurrences_record(
        occurrences=[
            Occurrence(
                fault_type=FaultType.objects.get(code="jvm_long_pause"),
                fingerprint=fingerprint,
                host="dn01",
                title=fingerprint,
                seen_at=timezone.now() - timedelta(hours=hours_ago),
            )
        ]
    )
    if status == "acknowledged":
        services.fault_acknowledge(fault=record, actor="alice")
    if status == "ignored":
        services.fault_ignore(fault=record, actor="alice")
    return record


def run(*args) -> str:
    out = StringIO()
    call_command("auto_resolve_faults", *args, stdout=out)
    return out.getvalue()


def statuses():
    return dict(FaultRecord.objects.values_list("fingerprint", "status"))


def test_it_resolves_quiet_faults_with_the_configured_period_and_prints_one_line(settings):
    settings.FAULT_AUTO_RESOLVE_HOURS = 24
    fault("quiet-open", 30)
    fault("quiet-acked", 30, "acknowledged")
    fault("quiet-ignored", 30, "ignored")
    fault("recent", 2)
    output = run()
    assert output == "Auto-resolved 2 faults with no occurrence for 24 hours.\n"
    assert statuses() == {
        "quiet-open": "resolved",
        "quiet-acked": "resolved",
        "quiet-ignored": "ignored",
        "recent": "open",
    }
    record = FaultRecord.objects.get(fingerprint="quiet-open")
    assert record.resolution == "quiet" and record.resolved_by == "system"
    assert record.events.filter(action="resolved", actor="system").exists()


def test_quiet_hours_overrides_the_setting(settings):
    settings.FAULT_AUTO_RESOLVE_HOURS = 24
    fault("two-hours", 2)
    assert run("--quiet-hours", "1") == "Auto-resolved 1 fault with no occurrence for 1 hours.\n"
    assert statuses() == {"two-hours": "resolved"}
    assert run("--quiet-hours", "1").startswith("Auto-resolved 0 faults")


def test_zero_disables_and_negative_is_refused(settings):
    settings.FAULT_AUTO_RESOLVE_HOURS = 0
    fault("old", 100)
    assert "disabled" in run()
    assert statuses() == {"old": "open"}
    with pytest.raises(CommandError, match="quiet-hours"):
        run("--quiet-hours", "-1")
