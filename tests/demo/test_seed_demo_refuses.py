"""seed_demo refuses to mix a fake week into a database that holds real lines (no demo yet)."""

import pytest
from django.core.management import CommandError, call_command

from cluster.models import ClusterStatus
from diagnosis.models import FaultRecord
from faultportal.models import ApiToken
from logs.models import SystemLog
from runs.models import ExecLog
from tests.demo.lines import other_host_line

pytestmark = pytest.mark.django_db


def test_it_stops_with_a_clear_message_when_other_hosts_have_lines():
    other_host_line("prod-dn07")
    with pytest.raises(CommandError) as refused:
        call_command("seed_demo", "--no-progress")
    message = str(refused.value)
    assert "hosts outside the demo cluster (e.g. 'prod-dn07')" in message
    assert "Nothing was loaded" in message and "--force" in message
    assert refused.value.returncode != 0  # manage.py exits with it
    assert SystemLog.objects.count() == 1
    assert not ClusterStatus.objects.exists()
    assert not FaultRecord.objects.exists()
    assert not ExecLog.objects.exists()
    assert not ApiToken.objects.exists()


def test_an_empty_database_is_not_refused(monkeypatch):
    # Only the check is exercised here (loading the week takes seconds; test_seed_demo.py
    # loads it): with no line at all, seed_demo goes on to build the story.
    from demo.management.commands import seed_demo

    class Built(Exception):
        pass

    def story(**kwargs):
        raise Built

    monkeypatch.setattr(seed_demo, "demo_story", story)
    with pytest.raises(Built):
        call_command("seed_demo", "--no-progress")
