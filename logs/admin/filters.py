"""List filters for the system-log admin that stay cheap on millions of rows.

Django's default filter for a plain CharField runs SELECT DISTINCT over the whole table on every
page view. These filters run no query (fixed lookups, time presets) or one that an index answers
by jumping from value to value (the host list), and each filters on an indexed path.
"""

from datetime import timedelta

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from logs.models import SystemLog

FORM_FILTER_TEMPLATE = "admin/logs/filters/form_filter.html"


def known_hosts(*, limit: int) -> list[str]:
    """Up to `limit` host names that have lines, in name order.

    MySQL/MariaDB answer DISTINCT on the leading column of the (host, log_time) index with a
    loose index scan ("Using index for group-by"): one index dive per distinct host, not a pass
    over the rows, so this stays in the milliseconds at any table size.
    """
    return list(
        SystemLog.objects.order_by("host").values_list("host", flat=True).distinct()[:limit]
    )


class _FormFilterMixin:
    """A filter drawn with a small GET form (template FORM_FILTER_TEMPLATE) above its choices.

    The form carries the list's other parameters along as hidden inputs, so typing a value
    narrows the current view instead of replacing it.
    """

    template = FORM_FILTER_TEMPLATE
    form_fields: list[dict] = []
    more_note = ""

    def _remember_other_params(self, changelist) -> None:
        own = set(self.expected_parameters())
        self.hidden_params = [
            (name, value) for name, value in changelist.params.items() if name not in own
        ]


class HostFilter(_FormFilterMixin, admin.SimpleListFilter):
    """Exact host: a text box for any host, plus links to the first hosts by name."""

    title = "host"
    parameter_name = "host"
    max_listed = 40

    def lookups(self, request, model_admin):
        hosts = known_hosts(limit=self.max_listed + 1)
        if len(hosts) > self.max_listed:
            hosts = hosts[: self.max_listed]
            self.more_note = f"Only the first {self.max_listed} hosts are listed: type a name."
        current = self.value()
        if current and current not in hosts:
            # A host reached by link or typed in must stay visible (and a filter with no
            # lookups would not be applied at all).
            hosts.append(current)
        return [(host, host) for host in hosts]

    def value(self):
        return super().value() or None  # an empty text box means "any host"

    def queryset(self, request, queryset):
        host = self.value()
        return queryset.filter(host=host) if host else queryset

    def choices(self, changelist):
        self._remember_other_params(changelist)
        self.form_fields = [
            {"name": self.parameter_name, "label": "Host", "type": "text", "value": self.value()}
        ]
        return super().choices(changelist)


class LogTypeFilter(admin.SimpleListFilter):
    """The log families Flume agents are configured with; no DISTINCT over the table.

    Any other value still works from the URL (e.g. ?logtype=hbase) and is listed while chosen.
    """

    title = "log type"
    parameter_name = "logtype"
    known = ("hadoop", "hdfs", "yarn", "mapreduce")

    def lookups(self, request, model_admin):
        values = list(self.known)
        current = self.value()
        if current and current not in values:
            values.append(current)
        return [(value, value) for value in values]

    def queryset(self, request, queryset):
        logtype = self.value()
        return queryset.filter(logtype=logtype) if logtype else queryset


class LogTimeFilter(_FormFilterMixin, admin.FieldListFilter):
    """Log time: presets relative to now (`?since=1h`) or a range (`__gte` / `__lte`).

    The range parameters are what other pages link with (a fault's lines:
    `?host=dn01&log_time__gte=…&log_time__lte=…`); ISO 8601 with an offset is read as given, a
    naive value as the portal's time zone (the cluster's, like every time on the pages).
    """

    presets = {
        "15m": ("Last 15 minutes", timedelta(minutes=15)),
        "1h": ("Last hour", timedelta(hours=1)),
        "6h": ("Last 6 hours", timedelta(hours=6)),
        "24h": ("Last 24 hours", timedelta(hours=24)),
        "7d": ("Last 7 days", timedelta(days=7)),
    }
    since_parameter = "since"

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.gte_parameter = f"{field_path}__gte"
        self.lte_parameter = f"{field_path}__lte"
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = "log time"

    def expected_parameters(self):
        return [self.since_parameter, self.gte_parameter, self.lte_parameter]

    def _raw(self, name: str) -> str | None:
        value = self.used_parameters.get(name)
        if isinstance(value, list):
            value = value[-1] if value else None
        return value or None

    def _moment(self, name: str):
        raw = self._raw(name)
        if raw is None:
            return None
        try:
            moment = parse_datetime(raw.strip())
        except ValueError:
            moment = None
        if moment is None:
            raise IncorrectLookupParameters(f"{name}: {raw!r} is not a date and time.")
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment

    def queryset(self, request, queryset):
        since = self._raw(self.since_parameter)
        if since is not None:
            if since not in self.presets:
                raise IncorrectLookupParameters(f"since: {since!r} is not one of the presets.")
            queryset = queryset.filter(
                **{f"{self.field_path}__gte": timezone.now() - self.presets[since][1]}
            )
        start, end = self._moment(self.gte_parameter), self._moment(self.lte_parameter)
        if start is not None:
            queryset = queryset.filter(**{f"{self.field_path}__gte": start})
        if end is not None:
            queryset = queryset.filter(**{f"{self.field_path}__lte": end})
        return queryset

    def choices(self, changelist):
        self._remember_other_params(changelist)
        self.form_fields = [
            self._input(self.gte_parameter, "From"),
            self._input(self.lte_parameter, "To"),
        ]
        since = self._raw(self.since_parameter)
        has_range = self._raw(self.gte_parameter) or self._raw(self.lte_parameter)
        yield {
            "selected": since is None and not has_range,
            "query_string": changelist.get_query_string(remove=self.expected_parameters()),
            "display": "Any time",
        }
        for key, (label, _) in self.presets.items():
            yield {
                "selected": since == key and not has_range,
                "query_string": changelist.get_query_string(
                    {self.since_parameter: key},
                    [self.gte_parameter, self.lte_parameter],
                ),
                "display": label,
            }
        if has_range:
            yield {
                "selected": True,
                "query_string": changelist.get_query_string(),
                "display": "Chosen range",
            }

    def _input(self, name: str, label: str) -> dict:
        value = ""
        try:
            moment = self._moment(name)
        except IncorrectLookupParameters:
            moment = None
        if moment is not None:
            # datetime-local inputs take local wall-clock time without an offset.
            value = timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M:%S")
        return {"name": name, "label": label, "type": "datetime-local", "value": value, "step": 1}
