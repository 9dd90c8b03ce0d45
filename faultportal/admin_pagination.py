"""A paginator for admin list pages over tables too big to count.

Django's changelist counts the filtered queryset on every page view; on a table of millions of
rows that COUNT(*) walks a whole index. This paginator never does. It works in one of two modes,
chosen per request by the admin (`count_matches`):

Counting, for filters one index serves (a range of index entries, no row reads):
- It counts at most `count_limit` + 1 matching rows (COUNT over a LIMITed subquery). Below the
  limit the figure is exact, the common case for a narrow filter.
- Past the limit, an unfiltered list shows an estimate of the table's size read from the primary
  key span (MAX(id) - MIN(id) + 1, two index look-ups). On an append-only table pruned from the
  old end that is the row count plus the ids burnt by rolled-back inserts: close, always fresh
  and the same on every database. (MySQL's information_schema TABLE_ROWS was the alternative: an
  InnoDB sample that can be off by half, cached for a day by MySQL 8, absent on SQLite.)
- A filtered list past the limit says "more than N".

Probing, for filters no single index serves (e.g. host and level together): counting would read
every candidate row, so it fetches the requested page plus one row instead, in the same query
that fills the page. The count is then exact on the last page and "more than N" before it.

In both modes pages stop at `count_limit` rows: a deep page costs an OFFSET scan as long as the
offset. Older rows are reached by narrowing the filter (host, level, time range).
"""

import math

from django.core.paginator import Paginator
from django.db.models import Max, Min
from django.utils.functional import cached_property


class EstimatedCountPaginator(Paginator):
    count_limit = 10_000

    def __init__(
        self,
        object_list,
        per_page,
        orphans=0,
        allow_empty_first_page=True,
        *,
        count_limit: int | None = None,
        count_matches: bool = True,
        page_hint: int = 1,
    ):
        # Orphans would make a page's size depend on the count; the count is not always known.
        super().__init__(object_list, per_page, 0, allow_empty_first_page)
        if count_limit is not None:
            self.count_limit = count_limit
        self.count_matches = count_matches
        self.page_hint = page_hint if isinstance(page_hint, int) and page_hint >= 1 else 1
        # How `count` was obtained: "exact", "estimate" (table size) or "at_least" (capped).
        self.count_kind = "exact"
        self._probed_rows: list | None = None

    @property
    def max_pages(self) -> int:
        return max(1, math.ceil(self.count_limit / self.per_page))

    @cached_property
    def count(self) -> int:
        return self._counted() if self.count_matches else self._probed()

    def _counted(self) -> int:
        limit = self.count_limit
        # values("pk") keeps annotations and heavy columns out of the subquery, so the database
        # can answer from an index; order_by() drops a sort the count does not need.
        counted = self.object_list.order_by().values("pk")[: limit + 1].count()
        if counted <= limit:
            return counted
        if self._is_unfiltered():
            estimate = self.estimated_table_rows()
            if estimate > limit:
                self.count_kind = "estimate"
                return estimate
        self.count_kind = "at_least"
        return limit

    def _probed(self) -> int:
        page = min(self.page_hint, self.max_pages)
        offset = (page - 1) * self.per_page
        rows = list(self.object_list[offset : offset + self.per_page + 1])
        if len(rows) > self.per_page:
            self._probed_rows = rows[: self.per_page]
            self.count_kind = "at_least"
            return offset + self.per_page + 1  # one more page exists
        self._probed_rows = rows
        return offset + len(rows)

    def page(self, number):
        if self._probed_rows is not None and self.validate_number(number) == self.page_hint:
            return self._get_page(self._probed_rows, self.page_hint, self)
        return super().page(number)

    def probed_rows(self, number: int) -> list | None:
        """The rows of page `number` if probing fetched them already, else None."""
        self.count  # noqa: B018  (probing happens when the count is asked for)
        return self._probed_rows if number == self.page_hint else None

    @cached_property
    def num_pages(self) -> int:
        return min(super().num_pages, self.max_pages)

    @property
    def is_exact(self) -> bool:
        return self.count_kind == "exact"

    @property
    def count_label(self) -> str:
        """The count as the page shows it: "1,234", "about 5,000,000" or "more than 10,000"."""
        count = self.count  # evaluates count_kind
        if self.count_kind == "estimate":
            return f"about {count:,}"
        if self.count_kind == "at_least":
            shown = count if self.count_matches else count - 1
            return f"more than {shown:,}"
        return f"{count:,}"

    @property
    def pages_are_capped(self) -> bool:
        return not self.is_exact and self.num_pages == self.max_pages

    def estimated_table_rows(self) -> int:
        model = self.object_list.model
        span = model._default_manager.order_by().aggregate(low=Min("pk"), high=Max("pk"))
        if span["low"] is None:
            return 0
        return span["high"] - span["low"] + 1

    def _is_unfiltered(self) -> bool:
        query = self.object_list.query
        return not query.where and not query.distinct
