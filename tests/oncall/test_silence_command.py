"""python manage.py silence add|list|expire|delete, as an operator types it."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from oncall.models import Silence
from oncall.suppression import suppression_for
from tests.oncall.silence_data import add_fault, entry_for

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("silence", *args, stdout=out)
    return out.getvalue()


def test_add_as_the_issue_spells_it_then_list_expire_delete():
    fault = add_fault(host="dn4.prod", code="datanode_dead")
    out = run(
        "add", "--host", "dn*.prod", "--type", "datanode_dead", "--hours", "2",
        "--comment", "rolling restart CHG-9",
    )  # fmt: skip
    silence = Silence.objects.get()
    assert f"Silence #{silence.pk}" in out and "host=dn*.prod type=datanode_dead" in out
    assert silence.author.startswith("cli")
    assert abs((silence.ends_at - silence.starts_at) - timedelta(hours=2)) < timedelta(seconds=1)
    assert suppression_for(entry_for(fault)).id == silence.pk

    listed = run("list")
    assert f"#{silence.pk}\tactive" in listed and "rolling restart CHG-9" in listed

    assert "expired" in run("expire", str(silence.pk))
    silence.refresh_from_db()
    assert silence.ends_at <= timezone.now()
    assert suppression_for(entry_for(fault)) is None
    assert run("list") == "No active silences.\n"
    assert f"#{silence.pk}\texpired" in run("list", "--state", "all")

    run("delete", str(silence.pk))
    assert not Silence.objects.exists()


def test_list_strips_what_a_terminal_would_obey():
    run("add", "--host", "dn1", "--hours", "1", "--comment", "evil \x1b[2J\x1b]0;pwned\x07 text")
    listed = run("list")
    assert "\x1b" not in listed and "\x07" not in listed
    assert "evil" in listed and "text" in listed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--host", "dn1", "--hours", "0", "--comment", "x"], "more than 0"),
        (["--host", "rack[", "--hours", "1", "--comment", "x"], "never closed"),
        (["--type", "nope", "--hours", "1", "--comment", "x"], "No fault type"),
        (["--incident", "99999", "--hours", "1", "--comment", "x"], "No incident"),
        (["--hours", "1", "--comment", "x"], "at least one matcher"),
        (["--host", "x", "--hours", "1", "--comment", "x", "--starts", "soon"], "ISO 8601"),
    ],
)
def test_add_refuses_unusable_silences_with_a_reason(args, message):
    with pytest.raises(CommandError, match=message):
        run("add", *args)
    assert not Silence.objects.exists()


def test_expire_or_delete_an_unknown_silence():
    with pytest.raises(CommandError, match="No silence #4242"):
        run("expire", "4242")
    with pytest.raises(CommandError, match="No silence #4242"):
        run("delete", "4242")
