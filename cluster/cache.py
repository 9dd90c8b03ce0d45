"""The cache in front of GET /api/cluster/status.

The answer is cached under a generation: every stored snapshot sets a new generation once its
transaction commits (and deletes the cached answer). A reader fetches the generation and the
answer in one round trip and uses the answer only if it was built under the current generation.
So a reader that built its answer from the database just before a snapshot committed, and
stores it just after, cannot leave that outdated answer in place: it carries the old generation.

Only a shared cache is used: with the embedded per-process memory cache every answer is read
from the database. Redis failures are swallowed by django-redis (IGNORE_EXCEPTIONS): every
lookup then misses and the answer comes from the database, which is always right.
"""

import uuid
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction

T = TypeVar("T")

GENERATION_KEY = "cluster-status:generation"
ANSWER_KEY = "cluster-status:answer"


def status_cache_enabled() -> bool:
    # A per-process memory cache (the embedded default) cannot be invalidated by the collector,
    # which runs in another process: gunicorn workers would serve old snapshots. Only a shared
    # cache (Redis) is used.
    return settings.CLUSTER_STATUS_CACHE_SECONDS > 0 and not isinstance(
        caches["default"], (LocMemCache, DummyCache)
    )


def status_cached(build: Callable[[], T]) -> T:
    """The cached answer if it is current, else `build()` (stored for the next reader)."""
    if not status_cache_enabled():
        return build()
    found = cache.get_many([GENERATION_KEY, ANSWER_KEY])
    generation = found.get(GENERATION_KEY)
    cached = found.get(ANSWER_KEY)
    if generation is not None and cached is not None and cached.get("generation") == generation:
        return cached["answer"]
    if generation is None:
        # First reader after a Redis restart (or with Redis down): start a generation. add()
        # keeps a concurrent writer's newer value if it got there first.
        cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        generation = cache.get(GENERATION_KEY)
    answer = build()
    if generation is not None:
        cache.set(
            ANSWER_KEY,
            {"generation": generation, "answer": answer},
            timeout=settings.CLUSTER_STATUS_CACHE_SECONDS,
        )
    return answer


def status_cache_invalidate() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
    cache.delete(ANSWER_KEY)


def status_cache_invalidate_on_commit() -> None:
    """Invalidate once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(status_cache_invalidate)
