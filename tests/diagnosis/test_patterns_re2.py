"""Patterns typed by viewers and saved by operators run on RE2: none can stall the portal.

The pattern below froze both gunicorn workers for about a minute under Python's backtracking
engine (issue 17): `(\\w+\\s?)+$x` can never match, and against a line of a few dozen word
characters `re` tries every way of splitting them first. With RE2 it is linear in the line.
The "within 1 s" bounds are the contract's (a worker must never be held), far above what RE2
takes here (well under a millisecond a line); under `re` these calls would not return for
minutes and pytest-timeout would stop the test.
"""

import time
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group, User

from diagnosis.catalogue import catalogue_build
from diagnosis.detection import detect_faults
from diagnosis.models import FaultRecord, FaultType, validate_patterns
from diagnosis.patterns import PatternError, pattern_compile
from logs.models import SystemLog
from tests.diagnosis.loglines import log4j

pytestmark = pytest.mark.django_db

CATASTROPHIC = r"(\w+\s?)+$x"
# What the attacker used: one long run of word characters, then a space.
HOSTILE_MESSAGE = "DataNode" + "a" * 40 + " end"
HOSTILE_LINE = (
    f"2026-11-28 10:15:32,123 ERROR org.apache.hadoop.hdfs.server.datanode.DataNode: "
    f"{HOSTILE_MESSAGE}"
)
T0 = datetime(2026, 11, 28, 10, 15, tzinfo=UTC)


def staff_in(group: str) -> User:
    user = User.objects.create_user(f"{group}-re2", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def timed(call):
    start = time.monotonic()
    result = call()
    return result, time.monotonic() - start


def test_a_viewer_previewing_the_catastrophic_pattern_is_answered_within_a_second(client):
    for n in range(50):
        SystemLog.objects.create(
            host=f"dn{n:02d}",
            logtype="hadoop",
            log_time=T0,
            level="ERROR",
            component="org.apache.hadoop.hdfs.server.datanode.DataNode",
            message=HOSTILE_MESSAGE,
            raw=HOSTILE_LINE,
            received_at=T0,
        )
    client.force_login(staff_in("viewer"))
    # The first page of a test process loads the admin's templates and URLs: not the pattern's
    # cost, so it is paid before the clock starts.
    client.get("/admin/diagnosis/faulttype/preview/", {"patterns": "warm", "limit": 100})
    response, elapsed = timed(
        lambda: client.get(
            "/admin/diagnosis/faulttype/preview/",
            {"patterns": CATASTROPHIC, "min_level": "WARN", "limit": 1000},
        )
    )
    assert response.status_code == 200
    assert "0 of 50 recent lines matched" in response.content.decode()
    assert elapsed < 1.0


def test_a_saved_catastrophic_pattern_leaves_ingest_answering(client, token_client):
    operator = staff_in("operator")
    client.force_login(operator)
    response = client.post(
        "/admin/diagnosis/faulttype/add/",
        {
            "code": "storm_probe",
            "name": "Storm probe",
            "category": "other",
            "default_severity": "major",
            "enabled": "on",
            "patterns": f"{CATASTROPHIC}\nStormSignature",
            "component_pattern": "",
            "min_level": "WARN",
            "grouping": "host",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    ingest = token_client("ingest")
    ingest.post("/api/log/auto-upload?host=warm", b"warm up", content_type="text/plain")
    body = "\n".join([HOSTILE_LINE] * 20).encode()
    response, elapsed = timed(
        lambda: ingest.post(
            "/api/log/auto-upload?host=dn01", body, content_type="text/plain; charset=utf-8"
        )
    )
    assert response.status_code == 200, response.content
    assert response.json()["accepted"] == 20
    assert elapsed < 1.0
    assert SystemLog.objects.filter(host="dn01").count() == 20
    assert not FaultRecord.objects.filter(fault_type__code="storm_probe").exists()
    # The type still detects what it is for: its other pattern matches.
    ingest.post(
        "/api/log/auto-upload?host=dn02",
        b"2026-11-28 10:15:33,000 WARN x.Y: StormSignature seen",
        content_type="text/plain",
    )
    assert FaultRecord.objects.get(fault_type__code="storm_probe").host == "dn02"


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"Expired:(?!appattempt_)\S+", "lookahead and lookbehind"),
        (r"(?<=DataNode)\s+failed", "lookahead and lookbehind"),
        (r"(\w+) \1", "backreferences"),
        (r"(?P<x>a)(?P=x)", "backreferences"),
        (r"end\Z", r"use \z"),
        (r"(?>atomic)", "atomic groups"),
        (r"((a{1000}){1000}){1000}", "too large"),
        (r"broken (unclosed", "missing )"),
    ],
)
def test_a_pattern_re2_cannot_run_is_refused_on_save_with_the_reason(client, pattern, reason):
    client.force_login(staff_in("operator"))
    response = client.post(
        "/admin/diagnosis/faulttype/add/",
        {
            "code": "refused",
            "name": "Refused",
            "category": "other",
            "default_severity": "major",
            "enabled": "on",
            "patterns": f"Call queue is full\n{pattern}",
            "min_level": "WARN",
            "grouping": "host",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Line 2 is not a valid regular expression for RE2" in page
    assert reason in page.replace("&lt;", "<").replace("&gt;", ">").replace("&#x27;", "'")
    assert not FaultType.objects.filter(code="refused").exists()


def test_the_preview_refuses_what_re2_cannot_run(client):
    client.force_login(staff_in("viewer"))
    page = client.get(
        "/admin/diagnosis/faulttype/preview/",
        {"patterns": r"(\w+) \1", "min_level": "WARN", "limit": 1000},
    ).content.decode()
    assert "backreferences" in page and "matched" not in page


def test_a_pattern_stored_behind_validations_back_is_skipped_not_run(caplog):
    """Edited in SQL (or saved before RE2): detection skips that type and says so."""
    FaultType.objects.filter(code="jvm_out_of_memory").update(patterns=r"(Out)OfMemory\1")
    types = list(FaultType.objects.filter(enabled=True))
    with caplog.at_level("WARNING", logger="diagnosis.catalogue"):
        catalogue = catalogue_build(types)
    assert "jvm_out_of_memory" not in {c.fault_type.code for c in catalogue.types}
    assert "'jvm_out_of_memory' is not matched" in caplog.text
    assert "backreferences" in caplog.text


def test_the_built_in_catalogue_compiles_on_re2_and_still_tells_nodes_from_attempts():
    for fault_type in FaultType.objects.all():
        validate_patterns(fault_type.patterns)
        validate_patterns(fault_type.component_pattern)
    monitor = "org.apache.hadoop.yarn.util.AbstractLivelinessMonitor"
    node = log4j(
        f"2026-11-28 10:15:32,123 INFO {monitor}: Expired:dn07:45454 Timed out after 600 secs"
    )
    attempt = log4j(
        f"2026-11-28 10:15:32,123 INFO {monitor}: "
        "Expired:appattempt_1700000000000_0042_000001 Timed out after 600 secs"
    )
    codes = [occ.fault_type.code for _, occ in detect_faults([node, attempt])]
    assert codes == ["nodemanager_lost"]


def test_patterns_match_like_python_on_non_ascii_text():
    """RE2 works on UTF-8; match positions still count characters, as detection expects."""
    match = pattern_compile(r"Directory is not writable").search(
        "Ünïcode: Directory is not writable"
    )
    assert match.start() == 9
    with pytest.raises(PatternError):
        pattern_compile("(")


def test_the_preview_stops_at_its_time_bound_and_says_so(client, monkeypatch):
    from diagnosis import preview

    for n in range(5):
        SystemLog.objects.create(
            host="dn01",
            logtype="hadoop",
            log_time=T0,
            level="WARN",
            message=f"Call queue is full #{n}",
            raw=f"Call queue is full #{n}",
            received_at=T0,
        )
    ticks = iter(range(0, 1000, 1))  # each reading of the clock is a second later
    monkeypatch.setattr(preview, "clock", lambda: float(next(ticks)))
    client.force_login(staff_in("viewer"))
    page = client.get(
        "/admin/diagnosis/faulttype/preview/",
        {"patterns": "Call queue is full", "min_level": "WARN", "limit": 1000},
    ).content.decode()
    # Deadline at 0 + 2 s; lines are scanned at t=1 and t=2, the clock reads 3 before the third.
    assert "Stopped after 2 of the 5 lines read" in page
