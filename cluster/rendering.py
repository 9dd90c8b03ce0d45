"""The JSON of GET /api/cluster/status, encoded once per snapshot and completed per request.

Encoding the whole answer costs more than everything else a cached request does. So the cache
holds it already encoded, in pieces: the age fields, which change with every request, are
written into the gaps at answer time. `status_json(status_render(a), now)` decodes to exactly
`selectors.status_with_age(a, now=now)`.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

_encoder = DjangoJSONEncoder(separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class RenderedStatus:
    collected_at: float | None  # epoch seconds of the snapshot, None without one
    head: bytes  # '"collected_at":…,"cluster":…' (no braces)
    nodes: tuple[tuple[float, bytes], ...]  # per node: epoch, its JSON without the closing "}"


def status_render(answer: dict) -> RenderedStatus:
    fields = {k: v for k, v in answer.items() if k != "nodes"}
    nodes = []
    for node in answer["nodes"]:
        encoded = _encoder.encode(node).encode()
        nodes.append((_epoch(node["collected_at"]), encoded[:-1]))
    return RenderedStatus(
        collected_at=_epoch(answer["collected_at"]),
        head=_encoder.encode(fields).encode()[1:-1],
        nodes=tuple(nodes),
    )


def status_json(rendered: RenderedStatus, now: datetime) -> bytes:
    now_ts = now.timestamp()
    limit = settings.CLUSTER_STATUS_STALE_SECONDS
    parts = [b"{", rendered.head, b","]
    parts.append(_age_fields(rendered.collected_at, now_ts, limit))
    parts.append(b',"stale_after_seconds":%d,"nodes":[' % limit)
    for index, (collected_at, encoded) in enumerate(rendered.nodes):
        if index:
            parts.append(b",")
        parts += [encoded, b",", _age_fields(collected_at, now_ts, limit), b"}"]
    parts.append(b"]}")
    return b"".join(parts)


def _age_fields(collected_at: float | None, now_ts: float, limit: int) -> bytes:
    if collected_at is None:
        return b'"age_seconds":null,"stale":true'
    age = max(0.0, now_ts - collected_at)
    return b'"age_seconds":%s,"stale":%s' % (
        json.dumps(round(age, 1)).encode(),
        b"true" if age > limit else b"false",
    )


def _epoch(iso: str | None) -> float | None:
    return datetime.fromisoformat(iso).timestamp() if iso else None
