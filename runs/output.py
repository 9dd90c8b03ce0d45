"""Size caps for script output: keep the END of it (where the error usually is), as text.

Script output is arbitrary bytes: not necessarily UTF-8, possibly huge. What the portal keeps
is its last EXEC_OUTPUT_TAIL_BYTES bytes, cut on a UTF-8 character boundary, with bytes that
are not valid UTF-8 replaced by U+FFFD, plus the total size so a reader knows it was cut.
"""

from dataclasses import dataclass

REPLACEMENT = "\ufffd"


def _skip_partial_character(data: bytes) -> bytes:
    """Drop the continuation bytes a cut left at the start (at most 3 in UTF-8)."""
    start = 0
    while start < min(3, len(data)) and 0x80 <= data[start] <= 0xBF:
        start += 1
    return data[start:]


def tail_bytes_to_text(data: bytes, *, limit: int) -> str:
    """The last `limit` bytes of `data` as text, starting on a character boundary."""
    if len(data) > limit:
        data = _skip_partial_character(data[-limit:])
    return data.decode("utf-8", errors="replace")


def encode_text(text: str) -> bytes:
    # Lone surrogates can arrive through JSON ("\ud800"); they have no UTF-8 form and the
    # database would refuse them, so they become U+FFFD like any other undecodable input.
    return text.encode("utf-8", errors="surrogatepass").decode("utf-8", errors="replace").encode()


@dataclass(frozen=True)
class CappedText:
    text: str
    total_bytes: int

    @property
    def truncated(self) -> bool:
        return len(self.text.encode()) < self.total_bytes


def cap_text(text: str, *, limit: int, reported_total: int | None = None) -> CappedText:
    """Cap text received from a client to its last `limit` bytes of UTF-8.

    `reported_total` is the size the client measured of the whole output (it may already have
    sent only a tail); the larger of it and what arrived is kept as the total.
    """
    data = encode_text(text)
    total = max(len(data), reported_total or 0)
    return CappedText(tail_bytes_to_text(data, limit=limit), total)
