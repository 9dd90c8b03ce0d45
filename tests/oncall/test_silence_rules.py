"""Host globs and weekly schedules: what an operator writes matches what they meant."""

from datetime import UTC, datetime, time, timedelta

import pytest

from oncall.silence_rules import (
    GlobError,
    ScheduleError,
    Weekly,
    glob_check,
    glob_matches,
    glob_to_regex,
    once_active_until,
    weekdays_format,
    weekdays_parse,
    weekly_active_until,
    weekly_next_start,
)


@pytest.mark.parametrize(
    ("glob", "host", "expected"),
    [
        ("dn*", "dn17.dc1", True),
        ("dn*", "nn1.dc1", False),
        ("dn*", "xdn1", False),  # anchored at the start
        ("*.dc1", "dn1.dc1.example", False),  # and at the end
        ("worker1?", "worker12", True),
        ("worker1?", "worker1", False),
        ("worker1?", "worker123", False),
        ("rack[0-3]-*", "rack2-n4", True),
        ("rack[0-3]-*", "rack7-n4", False),
        ("[!n]*", "dn1", True),
        ("[!n]*", "nn1", False),
        ("DN*", "dn3", True),  # host names ignore case
        ("dn1.dc1", "dn1xdc1", False),  # a dot is a dot, not "any character"
        ("a+b(c)", "a+b(c)", True),  # regex syntax is literal text in a glob
        ("a+b(c)", "aab(c)", False),
        ("dn1, dn2 rack7-*", "dn2", True),
        ("dn1, dn2 rack7-*", "rack7-x", True),
        ("dn1, dn2 rack7-*", "dn3", False),
        ("", "anything", True),  # no glob: every host
        ("", "", True),  # … and cluster-wide faults
        ("*", "", True),
        ("dn*", "", False),
        ("[]]x", "]x", True),  # `]` first in a set is a member, as in fnmatch
    ],
)
def test_glob_matches_whole_host_names(glob, host, expected):
    assert glob_matches(glob, host) is expected


@pytest.mark.parametrize(
    ("glob", "reason"),
    [
        ("rack[0-3", "never closed"),
        ("a[!]", "never closed"),
        ("x" * 256, "At most 255"),
        ("dn\x01", "Control characters"),
    ],
)
def test_unusable_globs_are_refused_with_a_reason(glob, reason):
    with pytest.raises(GlobError, match=reason):
        glob_check(glob)


def test_glob_check_normalises_separators():
    assert glob_check(" dn1,dn2   rack*, ") == "dn1, dn2, rack*"
    assert glob_check("") == ""


@pytest.mark.timeout(60)  # a hang guard: a backtracking matcher takes hours on this
def test_a_hostile_glob_is_matched_on_re2():
    # `*a*a*a…b` against "aaaa…" is the classic exponential case for a backtracking matcher.
    assert glob_matches("*a" * 40 + "b", "a" * 200) is False
    assert glob_matches("*a" * 40, "a" * 200) is True
    assert glob_to_regex("a.b*") == "a\\.b.*"


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon", {0}),
        ("mon,wed-fri", {0, 2, 3, 4}),
        ("Sat-Mon", {5, 6, 0}),  # a range may wrap
        ("*", set(range(7))),
        ("daily", set(range(7))),
        ("tuesday thursday", {1, 3}),
    ],
)
def test_weekdays_parse(text, days):
    assert weekdays_parse(text) == days


@pytest.mark.parametrize("text", ["", "noday", "mon-", "mon-tue-wed"])
def test_weekdays_parse_refuses_what_is_not_a_day(text):
    with pytest.raises(ScheduleError):
        weekdays_parse(text)


def test_weekdays_format_is_the_parse_inverse():
    assert weekdays_format(weekdays_parse("fri,mon-tue")) == "mon,tue,fri"


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_weekly_window_is_active_in_the_cluster_time_zone():
    # Mondays and Thursdays 02:00-05:00 in Shanghai (UTC+8): Sunday 18:00-21:00 UTC.
    schedule = Weekly(
        days=weekdays_parse("mon,thu"),
        start=time(2, 0),
        duration=timedelta(hours=3),
        zone="Asia/Shanghai",
    )
    # 2026-11-30 is a Monday.
    assert weekly_active_until(schedule, utc(2026, 11, 29, 17, 59)) is None
    assert weekly_active_until(schedule, utc(2026, 11, 29, 18, 0)) == utc(2026, 11, 29, 21, 0)
    assert weekly_active_until(schedule, utc(2026, 11, 29, 20, 59)) == utc(2026, 11, 29, 21, 0)
    assert weekly_active_until(schedule, utc(2026, 11, 29, 21, 0)) is None  # the end is open
    assert weekly_active_until(schedule, utc(2026, 11, 30, 18, 30)) is None  # Tuesday local
    assert weekly_active_until(schedule, utc(2026, 12, 2, 19, 0)) == utc(2026, 12, 2, 21, 0)
    assert weekly_next_start(schedule, utc(2026, 11, 29, 21, 0)) == utc(2026, 12, 2, 18, 0)


def test_weekly_window_across_midnight_and_several_days():
    # Saturday 22:00 local for 30 hours: active through Monday 04:00.
    schedule = Weekly(
        days=frozenset({5}), start=time(22, 0), duration=timedelta(hours=30), zone="UTC"
    )
    assert weekly_active_until(schedule, utc(2026, 12, 5, 21, 59)) is None
    assert weekly_active_until(schedule, utc(2026, 12, 6, 12, 0)) == utc(2026, 12, 7, 4, 0)
    assert weekly_active_until(schedule, utc(2026, 12, 7, 3, 59)) == utc(2026, 12, 7, 4, 0)
    assert weekly_active_until(schedule, utc(2026, 12, 7, 4, 0)) is None


def test_weekly_window_keeps_its_wall_clock_start_across_daylight_saving():
    # Sundays 01:00 Berlin for 2 h. Summer (UTC+2): 23:00 UTC Saturday; winter: 00:00 UTC.
    schedule = Weekly(
        days=frozenset({6}), start=time(1, 0), duration=timedelta(hours=2), zone="Europe/Berlin"
    )
    assert weekly_active_until(schedule, utc(2026, 3, 21, 23, 30)) is None  # winter: not yet
    assert weekly_active_until(schedule, utc(2026, 3, 22, 0, 30)) == utc(2026, 3, 22, 2, 0)
    assert weekly_active_until(schedule, utc(2026, 6, 6, 23, 30)) == utc(2026, 6, 7, 1, 0)
    # 2026-03-29 02:30 does not exist in Berlin: a window starting then still happens.
    gap = Weekly(
        days=frozenset({6}), start=time(2, 30), duration=timedelta(hours=1), zone="Europe/Berlin"
    )
    until = weekly_active_until(gap, utc(2026, 3, 29, 1, 45))
    assert until is not None and until > utc(2026, 3, 29, 1, 45)


def test_weekly_window_bounds():
    schedule = Weekly(
        days=weekdays_parse("*"),
        start=time(0, 0),
        duration=timedelta(hours=6),
        zone="UTC",
        not_before=utc(2026, 12, 3, 2, 0),
        not_after=utc(2026, 12, 5, 3, 0),
    )
    assert weekly_active_until(schedule, utc(2026, 12, 2, 1, 0)) is None  # before the bounds
    assert weekly_active_until(schedule, utc(2026, 12, 3, 2, 0)) == utc(2026, 12, 3, 6, 0)
    assert weekly_active_until(schedule, utc(2026, 12, 5, 1, 0)) == utc(2026, 12, 5, 3, 0)
    assert weekly_active_until(schedule, utc(2026, 12, 5, 3, 0)) is None
    # Already running when the bounds open: it is next active at not_before.
    assert weekly_next_start(schedule, utc(2026, 12, 1, 0, 0)) == utc(2026, 12, 3, 2, 0)
    assert weekly_next_start(schedule, utc(2026, 12, 4, 7, 0)) == utc(2026, 12, 5, 0, 0)
    assert weekly_next_start(schedule, utc(2026, 12, 5, 7, 0)) is None


@pytest.mark.parametrize("duration", [timedelta(0), timedelta(days=7, seconds=1)])
def test_weekly_window_duration_is_bounded(duration):
    with pytest.raises(ScheduleError):
        Weekly(days=frozenset({0}), start=time(1), duration=duration, zone="UTC")


def test_once_window_is_half_open():
    start, end = utc(2026, 12, 2, 10), utc(2026, 12, 2, 12)
    assert once_active_until(start, end, utc(2026, 12, 2, 9, 59)) is None
    assert once_active_until(start, end, start) == end
    assert once_active_until(start, end, end) is None


@pytest.mark.parametrize(
    ("glob", "host", "expected"),
    [
        ("DN*", "dn1.prod", True),
        ("dn1, dn2", "dn2", True),
        ("rack[0-3]-*", "rack4-x", False),
        ("nn*.prod", "nn1.prod", True),
        ("nn*.prod", "nn1.prodx", False),
    ],
)
def test_notification_rules_read_host_globs_as_silences_do(glob, host, expected):
    from oncall.matching import glob_check as rule_glob_check
    from oncall.matching import host_matches

    assert host_matches(glob, host) is expected
    assert glob_matches(glob, host) is expected
    with pytest.raises(GlobError):
        rule_glob_check("rack[0-3")


@pytest.mark.parametrize(
    ("glob", "host", "expected"),
    [
        ("dn[,]1", "dn,1", True),  # a separator inside a set is the character itself
        ("dn[ ]1, x", "dn 1", True),
        ("dn[ ]1, x", "x", True),
        ("[]]x, y", "]x", True),
        ("[!]]x", "ax", True),
    ],
)
def test_separators_inside_a_set_do_not_split_the_field(glob, host, expected):
    assert glob_matches(glob, host) is expected


def test_the_one_click_glob_matches_exactly_its_host():
    from oncall.silences import glob_escape

    for host in ("dn1.prod", "dn[1]*?.x", "odd,host name", "a!b"):
        glob = glob_escape(host)
        assert glob_matches(glob, host), (glob, host)
        assert not glob_matches(glob, host + "x")
        assert not glob_matches(glob, "x" + host)
