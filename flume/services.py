"""Storing a batch of Flume events from the Thrift intake through the logs' ingest service.

The contract (docs/flume-thrift.md): the batch is stored all or nothing, and the answer is
`OK` only after its commit. Flume's Thrift sink has no "do not retry" answer: any status but OK
makes it resend the whole batch every 5 s, forever (docs/flume-facts.md, "The Thrift sink"). So:

- a database error → the caller answers FAILED: nothing was stored, the resend stores it;
- an event with a missing, unknown or revoked token, or one without the `ingest` scope, is
  refused and counted per reason, and the rest of the batch is stored (OK). When no event of
  the batch has a usable token, nothing can be stored and the batch is answered FAILED: that is
  an agent whose token is wrong, and its lines wait in its channel until the token is fixed,
  as the HTTP sink's 401 is retried;
- a batch that starts with events already committed (a resend of a batch whose OK was lost: a
  reply later than the sink's request timeout, a portal stopped between commit and answer) is
  recognised by its events' identity — token, host, file, `byteoffset` header and body — and
  those events are not stored again.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from faultportal.api.authentication import TokenInfo, lookup_token
from faultportal.models import ApiToken
from logs.hostnames import host_name_problem
from logs.ingestion import (
    HOST_MAX,
    LOGTYPE_MAX,
    SOURCE_FILE_MAX,
    Limits,
    Origin,
    TooManyLines,
    batch_from_text,
    clean_text,
    clip,
    is_unresolved_variable,
)
from logs.layout_cache import log_layouts_current
from logs.models import IngestRequest
from logs.services import system_logs_ingest

DEFAULT_LOGTYPE = "hadoop"
KEY_PREFIX = "flume-thrift:"
FIRST_EVENT_PREFIX = "flume-thrift-first:"
DIGEST_CHARS = 32  # 128 bits of SHA-256 per digest
# Refusal reasons, as counted and logged.
MISSING_TOKEN = "missing_token"
INVALID_TOKEN = "invalid_token"
NO_INGEST_SCOPE = "no_ingest_scope"
TOO_MANY_LINES = "too_many_lines"
INVALID_HOST = "invalid_host"  # not an RFC 1123 name nor an address (logs/hostnames.py)


@dataclass
class BatchOutcome:
    ok: bool
    events: int
    lines_stored: int = 0
    duplicates: int = 0  # events recognised as already stored (a resent batch)
    blank: int = 0
    refused: Counter = field(default_factory=Counter)  # reason -> events
    warnings: list[str] = field(default_factory=list)


def _text(value) -> str:
    if isinstance(value, bytes):  # a header that is not UTF-8
        value = value.decode("utf-8", "replace")
    return clean_text(value.strip())[0] if value else ""


def _header(headers: Mapping, name: str) -> str:
    return _text(headers.get(name) or "")


def event_origin(headers: Mapping, peer: str, warnings: list[str]) -> Origin:
    """host, logtype and file of one event from its headers; the peer address stands in."""
    host = _header(headers, "host")
    if host and is_unresolved_variable(host):
        note = f"header host={host!r} is an unresolved agent variable; stored as {peer}"
        if note not in warnings:
            warnings.append(note)
        host = ""
    logtype = _header(headers, "logtype")
    if logtype and is_unresolved_variable(logtype):
        logtype = ""
    source_file = headers.get("file") or ""
    if isinstance(source_file, bytes):
        source_file = source_file.decode("utf-8", "replace")
    return Origin(
        host=clip(host, HOST_MAX) or clip(peer, HOST_MAX),
        logtype=clip(logtype, LOGTYPE_MAX) or DEFAULT_LOGTYPE,
        source_file=clip(clean_text(source_file)[0], SOURCE_FILE_MAX),
    )


def _token_of(headers: Mapping, seen: dict) -> tuple[TokenInfo | None, str | None]:
    raw = _header(headers, "token")
    if not raw:
        return None, MISSING_TOKEN
    if raw not in seen:
        seen[raw] = lookup_token(raw)  # cached per process; a database error propagates
    info = seen[raw]
    if info is None:
        return None, INVALID_TOKEN
    if not info.has_scope(ApiToken.Scope.INGEST):
        return None, NO_INGEST_SCOPE
    return info, None


def _identity_digests(events: Sequence[tuple[Mapping, bytes]]) -> list[str]:
    """Digests of the batch's leading prefixes: digests[i] names events[0..i] exactly.

    Only events that carry TAILDIR's `byteoffset` header have an identity: without it two
    genuinely new events can be byte-identical to earlier ones (the same stack frame line of the
    same file), and taking them for a resend would lose them. The chain stops at the first event
    without it.
    """
    digest = hashlib.sha256()
    digests = []
    for headers, body in events:
        offset = _header(headers, "byteoffset")
        if not offset:
            break
        for name in ("token", "host", "file"):
            value = _header(headers, name).encode("utf-8", "surrogatepass")
            digest.update(len(value).to_bytes(4, "big") + value)
        digest.update(offset.encode() + b"\0" + len(body).to_bytes(4, "big") + body)
        digests.append(digest.hexdigest()[:DIGEST_CHARS])
    return digests


def batch_key(digests: list[str]) -> str:
    """The key a committed batch leaves: its first event, its length, all of it.

    A resend starts with the events of the batch it repeats, so one index range scan on the first
    event's digest finds every committed batch it may repeat; the length says which prefix digest
    must match the rest of the key.
    """
    return f"{KEY_PREFIX}{digests[0]}:{len(digests)}:{digests[-1]}"


def first_event_key(digests: list[str]) -> str:
    """The marker a committed batch leaves beside its key: "a batch started with this event".

    Unique per token like every idempotency key, so inserting it is the resend check: it
    succeeds for a batch whose first event no committed batch started with (every batch but a
    resend), and clashes for a possible resend, which is then looked up (`_already_stored`).
    That saves the lookup's round trip on every other batch. Not under KEY_PREFIX, so the
    lookup's range scan never meets it.
    """
    return f"{FIRST_EVENT_PREFIX}{digests[0]}"


# Keys of batches committed before markers existed have no marker: until the resend window has
# passed over the newest of them, every batch is looked up first (one query per process).
_lookup_all_until: dict[str, float] = {}
_lookup_all_guard = threading.Lock()


def _must_look_up_first() -> bool:
    alias = connection.alias
    until = _lookup_all_until.get(alias)
    if until is None:
        with _lookup_all_guard:
            until = _lookup_all_until.get(alias)
            if until is None:
                window = timedelta(seconds=settings.FLUME_THRIFT_RESEND_WINDOW_SECONDS)
                keys = IngestRequest.objects.filter(
                    idempotency_key__startswith=KEY_PREFIX,
                    created_at__gte=timezone.now() - window,
                )
                first_marker = (
                    IngestRequest.objects.filter(idempotency_key__startswith=FIRST_EVENT_PREFIX)
                    .order_by("created_at")
                    .values_list("created_at", flat=True)
                    .first()
                )
                if first_marker is not None:
                    keys = keys.filter(created_at__lt=first_marker)
                newest = keys.order_by("-created_at").values_list("created_at", flat=True).first()
                until = 0.0 if newest is None else (newest + window).timestamp()
                _lookup_all_until[alias] = until
    return until > 0.0 and time.time() < until


def _already_stored(digests: list[str], token_ids: set[int]) -> int:
    """How many leading events of the batch a committed earlier batch already holds."""
    if not digests:
        return 0
    since = timezone.now() - timedelta(seconds=settings.FLUME_THRIFT_RESEND_WINDOW_SECONDS)
    candidates = IngestRequest.objects.filter(
        token_id__in=token_ids,
        idempotency_key__startswith=f"{KEY_PREFIX}{digests[0]}:",
        created_at__gte=since,
    ).values_list("idempotency_key", flat=True)
    best = 0
    for key in candidates:
        _, length, last = key[len(KEY_PREFIX) :].split(":")
        length = int(length)
        if best < length <= len(digests) and digests[length - 1] == last:
            best = length
    return best


# Lines are joined into events per stream (token, host, logtype, file) in the order they are
# stored: two batches of one stream must not be stored at once by two threads of this process.
_stream_locks: dict[tuple, threading.Lock] = {}
_stream_locks_guard = threading.Lock()


def _locks_for(streams: set[tuple]) -> list[threading.Lock]:
    with _stream_locks_guard:
        if len(_stream_locks) > 100_000:
            _stream_locks.clear()  # only held locks matter; a fresh map serves new batches
        return [_stream_locks.setdefault(stream, threading.Lock()) for stream in sorted(streams)]


class _Duplicate(Exception):
    pass


class _MaybeResent(Exception):
    """The batch's first event began a committed batch: look up how much of it is stored."""


def thrift_batch_ingest(
    *, events: Sequence[tuple[Mapping, bytes]], peer: str, received_at=None
) -> BatchOutcome:
    """Store one appendBatch (or append) call's events; database errors propagate (FAILED)."""
    outcome = BatchOutcome(ok=True, events=len(events))
    if not events:
        return outcome
    received_at = received_at or timezone.now()
    tokens_seen: dict = {}
    checked = []
    for headers, body in events:
        info, reason = _token_of(headers, tokens_seen)
        if reason:
            outcome.refused[reason] += 1
        checked.append((headers, body, info))
    valid_tokens = {info.id for _, _, info in checked if info is not None}
    if not valid_tokens:
        outcome.ok = False
        return outcome

    digests = _identity_digests(events)
    keyed = bool(digests) and len(digests) == len(events)
    if keyed and not _must_look_up_first():
        # The usual batch: its marker's insert is the resend check (first_event_key).
        token_refused = Counter(outcome.refused)
        try:
            return _store(outcome, checked, 0, digests, valid_tokens, peer, received_at,
                          marker=True)  # fmt: skip
        except _MaybeResent:
            outcome = BatchOutcome(ok=True, events=len(events), refused=token_refused)
    skip = _already_stored(digests, valid_tokens)
    outcome.duplicates = skip
    if skip == len(events):
        return outcome
    return _store(outcome, checked, skip, digests, valid_tokens, peer, received_at, marker=False)


def _store(outcome, checked, skip, digests, valid_tokens, peer, received_at, *, marker):
    # One ingest call per stream (token, host, logtype, file), lines in file order: a batch
    # mixes the events of several files, and a stack trace must join the line before it in
    # its own file, not the other file's line that happens to precede it in the batch.
    limits = Limits(settings.INGEST_MAX_LINE_BYTES, settings.INGEST_MAX_LINES)
    streams: dict[tuple, list] = {}
    layouts = log_layouts_current()
    for headers, body, info in checked[skip:]:
        if info is None:
            continue
        if not body.strip():  # an empty line arrives as a 0-byte event
            outcome.blank += 1
            continue
        origin = event_origin(headers, peer, outcome.warnings)
        if problem := host_name_problem(origin.host):
            outcome.refused[INVALID_HOST] += 1
            note = f"events refused: {problem}"
            if note not in outcome.warnings:
                outcome.warnings.append(note)
            continue
        try:
            batch = batch_from_text(
                body,
                charset=None,
                origin=origin,
                limits=limits,
                received_at=received_at,
                layouts=layouts,
            )
        except TooManyLines:
            outcome.refused[TOO_MANY_LINES] += 1
            continue
        outcome.blank += batch.blank
        stream = (info.id, origin.host, origin.logtype, origin.source_file)
        streams.setdefault(stream, []).extend(batch.lines)

    locks = _locks_for(set(streams))
    for lock in locks:
        lock.acquire()
    try:
        with transaction.atomic():
            if digests and len(digests) == len(checked):
                accepted = sum(len(lines) for lines in streams.values())
                token_id = min(valid_tokens)
                keys = [
                    IngestRequest(
                        token_id=token_id,
                        idempotency_key=batch_key(digests),
                        body_sha256=hashlib.sha256(digests[-1].encode()).hexdigest(),
                        accepted=accepted,
                    )
                ]
                if marker:
                    keys.append(
                        IngestRequest(
                            token_id=token_id,
                            idempotency_key=first_event_key(digests),
                            accepted=accepted,
                        )
                    )
                try:
                    # One INSERT for both rows; no savepoint: a clash rolls the batch back.
                    IngestRequest.objects.bulk_create(keys)
                except IntegrityError:
                    # The marker: a resend (or the batch's first event began an older batch).
                    # The key: the same batch, sent again while the first was being committed.
                    raise _MaybeResent if marker else _Duplicate from None
            for (token_id, *_), lines in streams.items():
                if lines:
                    outcome.lines_stored += system_logs_ingest(
                        lines=lines, token_id=token_id, savepoint=False
                    ).accepted
    except _Duplicate:
        outcome.duplicates = len(checked)
        outcome.lines_stored = 0
    finally:
        for lock in locks:
            lock.release()
    return outcome
