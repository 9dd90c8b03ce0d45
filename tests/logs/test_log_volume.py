"""Log lines per hour and level (the dashboard's chart): right counts, and completed hours are
counted once per cache period, not on every render."""

from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from logs import volume
from logs.models import SystemLog
from logs.volume import log_volume_forget, log_volume_hourly

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _forget_counts():
    log_volume_forget()  # the cache outlives each test's rolled-back rows
    yield
    log_volume_forget()


def line(at, level="INFO", host="dn01") -> SystemLog:
    return SystemLog.objects.create(
        host=host,
        logtype="hadoop",
        level=level,
        message="m",
        raw="m",
        log_time=at,
        received_at=timezone.now(),
    )


def hour_start():
    return timezone.now().astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def test_lines_are_counted_per_clock_hour_and_level_oldest_hour_first():
    hour = hour_start()
    line(hour + timedelta(seconds=1), "ERROR")
    line(hour + timedelta(seconds=2), "ERROR")
    line(hour - timedelta(minutes=1), "WARN")  # the previous hour's last minute
    line(hour - timedelta(hours=1), "INFO")  # the previous hour's first instant
    line(hour - timedelta(hours=5, minutes=30), "FATAL")
    line(hour - timedelta(hours=23), "DEBUG")  # the window's first hour
    line(hour - timedelta(hours=23, seconds=1), "DEBUG")  # just before the window
    line(None, "UNKNOWN")  # no log time: in no hour

    hours = log_volume_hourly(hours=24)

    assert len(hours) == 24
    assert [h.start for h in hours] == [hour - timedelta(hours=23 - k) for k in range(24)]
    assert [h.complete for h in hours] == [True] * 23 + [False]
    assert hours[-1].counts == {"ERROR": 2}
    assert hours[-2].counts == {"WARN": 1, "INFO": 1}
    assert hours[-7].counts == {"FATAL": 1}
    assert hours[0].counts == {"DEBUG": 1}
    assert sum(h.total for h in hours) == 6


def test_a_line_stamped_later_in_the_current_hour_is_counted():
    # A node whose clock runs a little ahead: its lines are not lost from the chart.
    line(hour_start() + timedelta(minutes=59, seconds=59), "WARN")
    assert log_volume_hourly(hours=24)[-1].counts == {"WARN": 1}


def test_completed_hours_come_from_the_cache_the_current_hour_is_counted_live(
    django_assert_num_queries,
):
    hour = hour_start()
    line(hour - timedelta(hours=3), "ERROR")
    with django_assert_num_queries(24):  # cold: each of the 23 completed hours, and this one
        log_volume_hourly(hours=24)

    line(hour - timedelta(hours=3), "ERROR")  # a late line in a completed hour
    line(hour + timedelta(seconds=1), "INFO")  # a line of the current hour
    with django_assert_num_queries(1):
        hours = log_volume_hourly(hours=24)
    assert hours[-4].counts == {"ERROR": 1}  # the cached count, until it expires
    assert hours[-1].counts == {"INFO": 1}  # live

    log_volume_forget()  # what expiry does
    assert log_volume_hourly(hours=24)[-4].counts == {"ERROR": 2}


def test_the_hour_that_just_ended_is_recounted_sooner_than_older_hours(monkeypatch):
    stored = {}

    def set_many(values, timeout):
        for key in values:
            stored[key] = timeout

    monkeypatch.setattr(volume.cache, "set_many", set_many)
    log_volume_hourly(hours=24)
    hour = hour_start()
    assert stored.pop(volume._key(hour - timedelta(hours=1))) == volume.RECENT_HOUR_CACHE_SECONDS
    assert len(stored) == 22
    assert set(stored.values()) == {volume.OLD_HOUR_CACHE_SECONDS}


def test_an_hour_is_counted_from_the_level_time_index_alone(on_mariadb):
    hour = hour_start()
    for k in range(300):
        line(hour - timedelta(minutes=k), ["INFO", "WARN", "ERROR"][k % 3], host=f"dn{k % 7}")
    # No ANALYZE TABLE (it commits implicitly: the rows would outlive the test's rollback);
    # the optimizer estimates index ranges by diving into the index when it plans.
    queryset = volume.hour_query(hour - timedelta(hours=2))
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        columns = [c[0] for c in cursor.description]
        plan = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    assert plan[0]["key"] == "system_logs_level_time", plan
    extra = plan[0].get("Extra") or ""
    assert "Using index" in extra and "temporary" not in extra, plan
