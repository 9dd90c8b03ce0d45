"""The system-log admin: read-only, and shaped for a table of millions of rows.

Every list page runs a bounded number of cheap queries (see tests/logs/test_system_log_admin.py):
no COUNT over the table (EstimatedCountPaginator), no DISTINCT-scanning filters (logs.admin.
filters), no facet counts, search on indexed columns only, and an order each index serves:
newest first by log time, with the id as tie-breaker in the same direction, which the (log_time),
(level, log_time) and (host, log_time) indexes deliver without a sort (InnoDB appends the primary
key to every secondary index). Lines without a log time (a stack-trace line that arrived on its
own) sort last. Log text is hostile: it is only ever shown escaped.
"""

from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR, SEARCH_VAR, ChangeList
from django.db.models.functions import Left
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from faultportal.admin_pagination import EstimatedCountPaginator
from logs.admin.filters import HostFilter, LogTimeFilter, LogTypeFilter
from logs.admin.links import system_logs_admin_url, system_logs_around_url
from logs.models import SystemLog
from logs.selectors import system_log_event_whole

# The list fetches only the start of each message (a line may hold 64 KiB) and shows less.
MESSAGE_HEAD_CHARS = 400
MESSAGE_LIST_CHARS = 200


def format_log_time(moment) -> str:
    """Log time as the logs write it, in the portal's (cluster's) zone, to the millisecond."""
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


class SystemLogChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        return queryset.defer("message", "trace", "raw").annotate(
            message_head=Left("message", MESSAGE_HEAD_CHARS)
        )

    def get_results(self, request):
        super().get_results(request)
        # A list that was probed rather than counted already holds its page's rows: show those
        # instead of querying again (Django re-reads a list that fits on one page).
        probed = self.paginator.probed_rows(self.page_num)
        if probed is not None:
            self.result_list = probed

    def get_ordering(self, request, queryset):
        # Django adds "-pk" as tie-breaker whatever the direction; "log_time ASC, id DESC"
        # cannot be read from an index and would sort every matching row. Keep both the same way.
        ordering = super().get_ordering(request, queryset)
        if ordering and ordering[0] == "log_time":
            return ["log_time", "id"]
        return ["-log_time", "-id"]


@admin.register(SystemLog)
class SystemLogAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "log_time_display",
        "host",
        "level_badge",
        "logtype",
        "component_short",
        "message_short",
    ]
    list_display_links = ["id", "log_time_display"]
    list_filter = ["level", HostFilter, LogTypeFilter, ("log_time", LogTimeFilter)]
    sortable_by = ["log_time_display"]
    ordering = ["-log_time", "-id"]
    search_fields = ["=host"]  # shows the search box; get_search_results decides what it means
    search_help_text = (
        "A line id, or an exact host name. Message text is not searched (that reads every "
        "line): narrow by host, level and log time instead."
    )
    list_per_page = 100
    # "Show all" would load every matching line when the count is only a lower bound.
    list_max_show_all = list_per_page
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    # No bulk actions: lines are never edited, and deleting in bulk is `manage.py prune`'s job
    # (batched); Django's delete_selected would load every selected row first.
    actions = None
    # Query parameters the list accepts; anything else (e.g. ?message__contains=) could force a
    # scan of the whole table and is refused with 400.
    allowed_lookups = frozenset(
        {"level__exact", "host", "logtype", "since", "log_time__gte", "log_time__lte"}
    )
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "log_time_display",
                    "received_at_display",
                    "host",
                    "logtype",
                    "source_file",
                    "level",
                    "component",
                    "thread",
                    "code_file",
                    "code_line",
                ]
            },
        ),
        ("Text", {"fields": ["message_text", "trace_text", "event_text"]}),
        ("As received", {"fields": ["raw_text", "is_continuation", "truncated", "decode_errors"]}),
        ("Context", {"fields": ["context_links"]}),
    ]
    readonly_fields = [
        "log_time_display",
        "received_at_display",
        "message_text",
        "trace_text",
        "raw_text",
        "event_text",
        "context_links",
    ]

    class Media:
        css = {"all": ["faultportal/admin.css"]}

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_changelist(self, request, **kwargs):
        return SystemLogChangeList

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        try:
            page = int(request.GET.get(PAGE_VAR, 1))
        except ValueError:
            page = 1
        return self.paginator(
            queryset,
            per_page,
            count_matches=self.one_index_serves(request.GET),
            page_hint=page,
        )

    # List parameters that filter a column by equality, and the column.
    equality_params = {"host": "host", "level__exact": "level", "logtype": "logtype"}

    @classmethod
    def one_index_serves(cls, params) -> bool:
        """Whether one index answers the list's filters, so counting reads only index entries.

        An index (a, b, log_time) serves equality on exactly a and b, with or without a log-time
        range, in log-time order. Today that is host alone or level alone; host and level
        together, or a log type, would make a count read every candidate line, so such lists
        are not counted (EstimatedCountPaginator probes instead). Read from the model's indexes,
        so a new one is used without a change here.
        """
        term = params.get(SEARCH_VAR, "").strip()
        if term.isdigit():
            return True  # one line by primary key
        columns = {column for param, column in cls.equality_params.items() if params.get(param)}
        if term:
            columns.add("host")
        return frozenset(columns) in cls.indexed_equality_sets()

    @staticmethod
    def indexed_equality_sets() -> set[frozenset[str]]:
        served = {frozenset()}  # the (log_time) index: no equality at all
        for index in SystemLog._meta.indexes:
            fields = [field.lstrip("-") for field in index.fields]
            if fields and fields[-1] == "log_time":
                served.add(frozenset(fields[:-1]))
        return served

    def lookup_allowed(self, lookup, value, request):
        return lookup in self.allowed_lookups

    def get_search_results(self, request, queryset, search_term):
        # Django's default would turn the term into LIKE '%…%' (a full scan) or a case-folded
        # comparison the (host, log_time) index cannot sort by. An exact host or an id can.
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isdigit():
            return queryset.filter(pk=int(term)), False
        return queryset.filter(host=term), False

    @classmethod
    def oldest_first_order_param(cls) -> str:
        """The `o=` value sorting the list by log time, oldest first (no action checkbox)."""
        return str(cls.list_display.index("log_time_display"))

    # --- list columns ---------------------------------------------------------------------------

    @admin.display(description="log time", ordering="log_time")
    def log_time_display(self, obj):
        return format_log_time(obj.log_time) or None

    @admin.display(description="received at")
    def received_at_display(self, obj):
        return format_log_time(obj.received_at) or None

    @admin.display(description="level", ordering="level")
    def level_badge(self, obj):
        return format_html(
            '<span class="fp-badge fp-level-{}">{}</span>', obj.level.lower(), obj.level
        )

    @admin.display(description="component")
    def component_short(self, obj):
        if not obj.component:
            return None
        # Hadoop loggers are class names; the last part is what people recognise.
        return format_html(
            '<span title="{}">{}</span>', obj.component, obj.component.rsplit(".", 1)[-1]
        )

    @admin.display(description="message")
    def message_short(self, obj):
        head = getattr(obj, "message_head", None)
        if head is None:
            head = obj.message
        return format_html(
            '<span class="fp-log-message">{}</span>', Truncator(head).chars(MESSAGE_LIST_CHARS)
        )

    # --- detail page -----------------------------------------------------------------------------

    def _pre(self, text: str):
        if not text:
            return self.get_empty_value_display()
        return format_html('<pre class="fp-log-text">{}</pre>', text)

    @admin.display(description="message")
    def message_text(self, obj):
        return self._pre(obj.message)

    @admin.display(description="stack trace")
    def trace_text(self, obj):
        return self._pre(obj.trace)

    @admin.display(description="raw line(s)")
    def raw_text(self, obj):
        return self._pre(obj.raw)

    @admin.display(description="whole event")
    def event_text(self, obj):
        """The event this row belongs to when its lines came in several requests (one line per
        request from Flume): the later rows of a header's event, or where a later row's event
        starts (docs/events.md)."""
        if obj.event_head is not None:
            return format_html(
                'line {} of the event that starts at <a href="{}">#{}</a>',
                obj.event_seq + 1,
                reverse("admin:logs_systemlog_change", args=[obj.event_head]),
                obj.event_head,
            )
        whole = system_log_event_whole(line=SystemLog(**{
            f.attname: getattr(obj, f.attname) for f in SystemLog._meta.concrete_fields
        }))  # fmt: skip
        if whole.raw == obj.raw:
            return "—"  # the event arrived whole
        return self._pre(whole.raw)

    @admin.display(description="more lines")
    def context_links(self, obj):
        links = []
        if obj.log_time is not None:
            links.append(
                (
                    system_logs_around_url(host=obj.host, moment=obj.log_time),
                    f"{obj.host}, 5 minutes either side, oldest first",
                )
            )
        links.append((system_logs_admin_url(host=obj.host), f"all of {obj.host}, newest first"))
        links.append(
            (
                system_logs_admin_url(host=obj.host, level=obj.level),
                f"{obj.level} lines of {obj.host}",
            )
        )
        return format_html_join(" · ", '<a href="{}">{}</a>', links)
