"""Chart geometry for inline SVG drawn by the page templates: no chart library, no script.

The functions here only compute coordinates and labels; the templates write the SVG elements,
so every label passes through the template's escaping like any other text. Coordinates are in
the SVG's own user units (its viewBox); CSS scales the drawing to the page width.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Segment:
    """One rectangle of a stacked bar."""

    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Plot:
    width: int
    height: int
    left: int = 48
    right: int = 8
    top: int = 8
    bottom: int = 22

    @property
    def inner_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def inner_height(self) -> float:
        return self.height - self.top - self.bottom

    @property
    def base(self) -> float:
        return self.height - self.bottom

    @property
    def end(self) -> float:
        return self.width - self.right


@dataclass(frozen=True)
class LegendItem:
    label: str
    css: str
    detail: str = ""


@dataclass
class BarChart:
    plot: Plot
    label: str  # what the chart shows, for screen readers
    segments: list[Segment] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    legend: list[LegendItem] = field(default_factory=list)
    empty: bool = True


@dataclass(frozen=True)
class Path:
    d: str
    css: str
    title: str


@dataclass
class LineChart:
    plot: Plot
    label: str
    paths: list[Path] = field(default_factory=list)
    guides: list[Tick] = field(default_factory=list)  # threshold lines (position = y)
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    legend: list[LegendItem] = field(default_factory=list)
    empty: bool = True


@dataclass(frozen=True)
class Bucket:
    label: str  # under the bar (may be empty)
    title: str  # the bar's tooltip head, e.g. "14:00–15:00"
    counts: dict[str, int]


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    css: str


def nice_step(maximum: float, *, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about `ticks` steps to maximum."""
    if maximum <= 0:
        return 1.0
    raw = maximum / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def short_number(value: float) -> str:
    """12, 1.5k, 12k, 3.4M: axis labels stay narrow."""
    value = float(value)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            scaled = value / limit
            text = f"{scaled:.1f}" if abs(scaled) < 10 else f"{scaled:.0f}"
            return text.removesuffix(".0") + suffix
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def stacked_bars(
    *,
    buckets: list[Bucket],
    series: list[Series],
    label: str,
    width: int = 480,
    height: int = 200,
) -> BarChart:
    plot = Plot(width, height)
    chart = BarChart(plot=plot, label=label)
    totals = [sum(b.counts.get(s.key, 0) for s in series) for b in buckets]
    top = max(totals, default=0)
    chart.empty = top == 0
    step = nice_step(top)
    y_max = step * max(1, math.ceil(top / step))
    chart.y_ticks = [
        Tick(plot.base - plot.inner_height * (k * step) / y_max, short_number(k * step))
        for k in range(int(round(y_max / step)) + 1)
    ]
    slot = plot.inner_width / max(1, len(buckets))
    bar_width = max(1.0, slot * 0.8)
    for index, bucket in enumerate(buckets):
        x = plot.left + index * slot + (slot - bar_width) / 2
        if bucket.label:
            chart.x_ticks.append(Tick(round(x + bar_width / 2, 1), bucket.label))
        y = plot.base
        for s in series:
            value = bucket.counts.get(s.key, 0)
            if not value:
                continue
            h = plot.inner_height * value / y_max
            y -= h
            chart.segments.append(
                Segment(
                    x=round(x, 1),
                    y=round(y, 1),
                    width=round(bar_width, 1),
                    height=round(max(h, 0.5), 1),
                    css=s.css,
                    title=f"{bucket.title}: {value:,} {s.label}",
                )
            )
    used = {s.key for b in buckets for s in series if b.counts.get(s.key)}
    chart.legend = [
        LegendItem(s.label, s.css, f"{sum(b.counts.get(s.key, 0) for b in buckets):,}")
        for s in series
        if s.key in used
    ]
    return chart


@dataclass(frozen=True)
class LineSeries:
    label: str
    css: str
    points: list[tuple[datetime, float | None]]
    unit: str = ""


def line_chart(
    *,
    series: list[LineSeries],
    since: datetime,
    until: datetime,
    label: str,
    y_max: float | None = None,
    guides: list[tuple[float, str]] | None = None,
    width: int = 720,
    height: int = 170,
) -> LineChart:
    """Lines over [since, until]; a None value breaks the line (no data is not zero)."""
    plot = Plot(width, height)
    chart = LineChart(plot=plot, label=label)
    values = [v for s in series for _, v in s.points if v is not None]
    chart.empty = not values
    top = y_max if y_max is not None else max(values, default=0)
    step = nice_step(top)
    top = step * max(1, math.ceil(top / step))
    span = max(1.0, (until - since).total_seconds())

    def x_of(moment: datetime) -> float:
        return plot.left + plot.inner_width * (moment - since).total_seconds() / span

    def y_of(value: float) -> float:
        return plot.base - plot.inner_height * min(max(value, 0.0), top) / top

    chart.y_ticks = [
        Tick(round(y_of(k * step), 1), short_number(k * step))
        for k in range(int(round(top / step)) + 1)
    ]
    for value, text in guides or []:
        if 0 <= value <= top:
            chart.guides.append(Tick(round(y_of(value), 1), text))
    for s in series:
        commands: list[str] = []
        pen_down = False
        for moment, value in s.points:
            if value is None:
                pen_down = False
                continue
            commands.append(f"{'L' if pen_down else 'M'}{x_of(moment):.1f} {y_of(value):.1f}")
            pen_down = True
        last = next((v for _, v in reversed(s.points) if v is not None), None)
        detail = "" if last is None else f"now {short_number(last)}{s.unit}"
        if commands:
            chart.paths.append(Path(" ".join(commands), s.css, f"{s.label} ({detail})"))
        chart.legend.append(LegendItem(s.label, s.css, detail or "no data"))
    chart.x_ticks = _time_ticks(since, until, x_of)
    return chart


def _time_ticks(since: datetime, until: datetime, x_of) -> list[Tick]:
    """Midnights (local time) for spans over two days, else every few hours."""
    local_since = timezone.localtime(since)
    span = until - since
    if span > timedelta(days=2):
        step, fmt = timedelta(days=1), "%a %d"
        first = local_since.replace(hour=0, minute=0, second=0, microsecond=0) + step
    else:
        hours = 3 if span <= timedelta(hours=24) else 6
        step, fmt = timedelta(hours=hours), "%H:%M"
        first = local_since.replace(minute=0, second=0, microsecond=0)
        first += timedelta(hours=hours - first.hour % hours)
    ticks = []
    moment = first
    while moment < until:
        ticks.append(Tick(round(x_of(moment), 1), timezone.localtime(moment).strftime(fmt)))
        moment = timezone.localtime(moment + step)
    return ticks
