"""A paginator for admin list pages over tables too big to count.

Django's changelist counts the filtered queryset on every page view; on a table of millions of
rows that COUNT(*) walks a whole index. This paginator never does:

- It counts at most `count_limit` + 1 matching rows (COUNT over a LIMITed subquery). Below the
  limit the figure is exact, which is the common case for a narrow filter.
- Past the limit, an unfiltered list shows an estimate of the table's size read from the primary
  key span (MAX(id) - MIN(id) + 1, two index look-ups). On an append-only table pruned from the
  old end that is the row count plus the ids burnt by rolled-back inserts: close, always fresh
  and the same on every database. (MySQL's information_schema TABLE_ROWS was the alternative: an
  InnoDB sample that can be off by half, cached for a day by MySQL 8, absent on SQLite.)
- A filtered list past the limit says "more than N".
- Pages stop at `count_limit` rows: deep pages cost an OFFSET scan as long as the offset. Older
  rows are reached by narrowing the filter (host, level, time range), which is what operators do.
"""

import math

from django.core.paginator import Paginator
from django.db.models import Max, Min
from django.utils.functional import cached_property


class EstimatedCountPaginator(Paginator):
    count_limit = 10_000

    def __init__(self, object_list, per_page, *args, count_limit: int | None = None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        if count_limit is not None:
            self.count_limit = count_limit
        # How `count` was obtained: "exact", "estimate" (table size) or "at_least" (capped).
        self.count_kind = "exact"

    @cached_property
    def count(self) -> int:
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

    @cached_property
    def num_pages(self) -> int:
        pages = super().num_pages
        return min(pages, max(1, math.ceil(self.count_limit / self.per_page)))

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
            return f"more than {count:,}"
        return f"{count:,}"

    @property
    def pages_are_capped(self) -> bool:
        return not self.is_exact

    def estimated_table_rows(self) -> int:
        model = self.object_list.model
        span = model._default_manager.order_by().aggregate(low=Min("pk"), high=Max("pk"))
        if span["low"] is None:
            return 0
        return span["high"] - span["low"] + 1

    def _is_unfiltered(self) -> bool:
        query = self.object_list.query
        return not query.where and not query.distinct
