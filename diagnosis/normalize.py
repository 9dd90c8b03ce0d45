"""Normalise log messages so that occurrences of one fault group together.

Two lines are the same fault when they differ only in the variable parts Hadoop fills in:
numbers, ids of blocks, applications, containers and clients, addresses, paths, durations and
sizes (docs/sources.md §5). Each is replaced by a placeholder
that still tells a reader what stood there, e.g.

    Container [pid=4733,containerID=container_e17_1700000000000_0042_01_000007] is running
    beyond physical memory limits. Current usage: 2.1 GB of 2 GB physical memory used
→   Container [pid=<num>,containerID=container_<id>] is running beyond physical memory
    limits. Current usage: <size> of <size> physical memory used

Order matters: specific shapes (UUIDs, block ids, addresses) are replaced before the generic
number rule would cut them into pieces.
"""

import re
from functools import lru_cache

# Longest normalised text kept: enough to tell messages apart, bounded for the fingerprint.
MAX_NORMALISED_CHARS = 1000
# Only this much of a message is normalised. Log text is hostile input and several rules
# below may rescan a long run of word characters from each of its starts; bounding the input
# bounds the work per line whatever arrives (a 64 KiB line of one word is a real attack).
MAX_INPUT_CHARS = 2 * MAX_NORMALISED_CHARS

_RULES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"(?<![\w+.-])[a-zA-Z][a-zA-Z0-9+.-]*://[^\s,;'\"()\[\]]+"), "<url>"),
    (
        re.compile(
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
        ),
        "<uuid>",
    ),
    (re.compile(r"\bBP-\d+-[\d.]+-\d+"), "BP-<id>"),
    (re.compile(r"\bblk_-?\d+(?:_\d+)?"), "blk_<id>"),
    (
        re.compile(
            r"\b(application|appattempt|container|attempt|job|task)_(?:e\d+_)?\d+_\d+"
            r"(?:_[mr])?(?:_\d+)*"
        ),
        r"\1_<id>",
    ),
    (re.compile(r"\bDFSClient_[\w-]+"), "DFSClient_<id>"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "<hex>"),
    (re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{12,}\b"), "<hex>"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}\b"), "<ip>:<port>"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"), "<ip>"),
    # "dn01.example.com/10.0.0.5": Hadoop prints hosts as name/address. Anchored at the start
    # of a name (not after a name character) so each name is scanned once, not from every
    # character of it.
    (re.compile(r"(?<![\w.-])(?=[\w.-]*[A-Za-z])[\w.-]+(?=/<ip>)"), "<host>"),
    (re.compile(r"(?<![\w.-])[A-Za-z][\w-]*(?:\.[\w-]+)*:\d{2,5}\b"), "<host>:<port>"),
    (re.compile(r"(?<![\w:/.<>])/(?:[\w.@+=~-]+/)*[\w.@+=~-]+/?"), "<path>"),
    (
        re.compile(
            r"\b\d+(?:\.\d+)?\s?(?:ms|msec|millis|milliseconds|ns|us|s|sec|secs|seconds"
            r"|min|mins|minutes|h|hours)\b"
        ),
        "<duration>",
    ),
    (re.compile(r"\b\d+(?:\.\d+)?\s?(?:[KMGTPE]i?B|B|bytes)\b"), "<size>"),
    (re.compile(r"-?\b\d+(?:\.\d+)?\b"), "<num>"),
    (re.compile(r"\s+"), " "),
]

_EXCEPTION_CLASS = re.compile(
    r"^\s*(?:Caused by:\s*)?"
    r"((?:[A-Za-z_$][\w$]*\.)*[A-Za-z_$][\w$]*(?:Exception|Error|Throwable))\b"
)


@lru_cache(maxsize=8192)  # identical severe lines repeat a lot; normalising is pure
def message_normalize(text: str) -> str:
    """The grouping form of one line of log text."""
    text = text[:MAX_INPUT_CHARS]
    for pattern, placeholder in _RULES:
        text = pattern.sub(placeholder, text)
    return text.strip()[:MAX_NORMALISED_CHARS]


def exception_class(trace: str) -> str:
    """The exception class a stack trace starts with, e.g. java.io.IOException; or ""."""
    if not trace:
        return ""
    first = trace.lstrip().split("\n", 1)[0]
    match = _EXCEPTION_CLASS.match(first)
    return match.group(1) if match else ""
