"""Chart geometry for the server-drawn SVG: bars in proportion, gaps where data is missing."""

from datetime import UTC, datetime, timedelta

import pytest

from dashboard import charts

T0 = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("maximum", "step"), [(0, 1), (7, 2), (10, 5), (95, 50), (100, 50), (3429, 1000), (0.3, 0.1)]
)
def test_axis_steps_are_round(maximum, step):
    assert charts.nice_step(maximum, ticks=4) == pytest.approx(step)


@pytest.mark.parametrize(
    ("value", "text"), [(0, "0"), (12, "12"), (1500, "1.5k"), (12_000, "12k"), (3.4e6, "3.4M")]
)
def test_axis_labels_stay_short(value, text):
    assert charts.short_number(value) == text


def test_stacked_bars_are_proportional_and_stack_in_series_order():
    series = [charts.Series("ERROR", "ERROR", "lv-error"), charts.Series("INFO", "INFO", "lv-info")]
    chart = charts.stacked_bars(
        buckets=[
            charts.Bucket("10:00", "10:00–11:00", {"ERROR": 10, "INFO": 30}),
            charts.Bucket("", "11:00–12:00", {}),
            charts.Bucket("now", "12:00–13:00 (so far)", {"INFO": 20}),
        ],
        series=series,
        label="lines",
    )
    first_error, first_info, last_info = chart.segments
    plot = chart.plot
    # The tallest bar (40 lines) on a 0-40 axis fills the plot; the stack starts at the axis.
    assert first_error.y + first_error.height == pytest.approx(plot.base, abs=0.1)
    assert first_info.y + first_info.height == pytest.approx(first_error.y, abs=0.1)
    assert first_error.height + first_info.height == pytest.approx(plot.inner_height, abs=0.2)
    assert last_info.height == pytest.approx(plot.inner_height / 2, abs=0.1)
    assert first_info.title == "10:00–11:00: 30 INFO"
    assert [t.label for t in chart.x_ticks] == ["10:00", "now"]
    assert [(i.label, i.detail) for i in chart.legend] == [("ERROR", "10"), ("INFO", "50")]
    assert not chart.empty


def test_an_empty_period_draws_no_bars():
    chart = charts.stacked_bars(
        buckets=[charts.Bucket("", "h", {})], series=[charts.Series("INFO", "INFO", "x")], label=""
    )
    assert chart.empty and chart.segments == [] and chart.legend == []


def test_missing_values_break_the_line_instead_of_dropping_to_zero():
    points = [(T0 + timedelta(hours=h), v) for h, v in enumerate([50, 60, None, 70, 80])]
    chart = charts.line_chart(
        series=[charts.LineSeries("HDFS used", "ln", points, " %")],
        since=T0,
        until=T0 + timedelta(hours=4),
        label="capacity",
        y_max=100,
        guides=[(75, "warning 75 %"), (80, "critical 80 %")],
    )
    (path,) = chart.paths
    assert path.d.count("M") == 2 and path.d.count("L") == 2  # two pieces around the gap
    move, y = path.d.split()[:2]
    first_x, first_y = float(move[1:]), float(y)
    assert first_x == pytest.approx(chart.plot.left)
    assert first_y == pytest.approx(chart.plot.base - chart.plot.inner_height / 2, abs=0.1)
    assert [g.label for g in chart.guides] == ["warning 75 %", "critical 80 %"]
    assert chart.legend[0].detail == "now 80 %"


def test_a_series_without_data_says_so():
    chart = charts.line_chart(
        series=[charts.LineSeries("CPU", "ln", [(T0, None)])],
        since=T0,
        until=T0 + timedelta(days=7),
        label="host",
        y_max=100,
    )
    assert chart.empty and chart.paths == [] and chart.legend[0].detail == "no data"
    assert len(chart.x_ticks) == 6  # one per local midnight inside the week
