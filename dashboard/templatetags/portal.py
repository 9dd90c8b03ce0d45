"""Filters for the dashboard pages: figures for people. They return plain text, which the
templates escape like any other value (nothing here is marked safe)."""

from django import template
from django.template.defaultfilters import filesizeformat

from dashboard.pages.status import age_text, state_tone
from runs.admin import run_duration
from runs.models import ExecLog

register = template.Library()


@register.filter
def age(seconds) -> str:
    """Seconds as "4 min", "2 h 10 min"."""
    return age_text(seconds)


@register.filter
def tone(state: str) -> str:
    """The colour class of a daemon or cluster state: ok, warn, bad, muted."""
    return state_tone(state)


@register.filter
def level_css(level: str) -> str:
    return f"lv-{(level or 'unknown').lower()}"


@register.filter
def short_class(component: str) -> str:
    """org.apache.hadoop.hdfs.server.datanode.DataNode -> DataNode"""
    return (component or "").rsplit(".", 1)[-1]


@register.filter
def mb(value) -> str:
    return "—" if value is None else filesizeformat(int(value) * 2**20)


@register.filter
def pct(value) -> str:
    return "—" if value is None else f"{float(value):.1f} %"


@register.filter
def metric(m) -> str:
    """A dashboard.pages.host.Metric as text, by its kind."""
    value = m.value
    if m.kind == "pct":
        return pct(value)
    if m.kind == "bytes":
        return filesizeformat(value)
    if m.kind == "mb":
        return mb(value)
    if m.kind == "s":
        return f"{age_text(value)} ago"
    if m.kind == "bool":
        return "ON" if value else "off"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@register.filter
def run_time(run: ExecLog) -> str:
    """How long a script run took, or how long it has been running."""
    return run_duration(run)


@register.filter
def run_status(status: str) -> str:
    return ExecLog.Status(status).label if status in ExecLog.Status.values else status
