"""Operator- and user-supplied regular expressions run on RE2: linear time, whatever the pattern.

Fault-type patterns run on every ingested line, and the admin's preview runs whatever a viewer
types. Python's `re` backtracks: `(\\w+\\s?)+$x` against a line of a few dozen words takes
minutes, and one such pattern saved in the catalogue would stall ingestion for the whole
cluster. RE2 (google-re2) guarantees time linear in the text's length and refuses, when the
pattern is compiled, the constructs that need backtracking: lookarounds and backreferences.
Patterns are therefore checked with RE2 when they are saved, and refused with a reason that says
what to write instead.

RE2's syntax is Python's for everything the catalogue uses (classes, groups, named groups,
alternation, counted repetition, `\\b`, inline `(?i)`); `\\d` and `\\w` match ASCII only.
"""

import re2

# RE2 compiles a pattern into at most this much memory; a pattern past it (repetition counts
# multiply: `(a{100}){100}`) is refused rather than left to grow.
MAX_PATTERN_MEMORY = 8 * 1024 * 1024

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # the reason is raised, not written to stderr by the C++ library
_OPTIONS.max_mem = MAX_PATTERN_MEMORY

# What RE2 reports (its own wording) → what to tell the person who wrote the pattern.
_BACKREFERENCE = ("invalid escape sequence: \\1", "invalid escape sequence: \\2")
_HINTS = (
    (
        ("invalid perl operator: (?=", "invalid perl operator: (?!", "invalid perl operator: (?<"),
        "lookahead and lookbehind ((?=…), (?!…), (?<=…), (?<!…)) are not supported; "
        "match the text you want rather than excluding what you do not want",
    ),
    (
        (*_BACKREFERENCE, "invalid perl operator: (?P"),
        "backreferences (\\1, (?P=name)) are not supported",
    ),
    (("invalid escape sequence: \\Z",), "\\Z is not supported; use \\z (end of text) or $"),
    (
        ("pattern too large", "invalid repetition size"),
        "the pattern is too large: a count is at most 1000, and nested counts multiply",
    ),
    (
        ("invalid perl operator: (?>", "bad repetition operator: *+", "bad repetition operator: +"),
        "atomic groups and possessive repeats are not supported (nor needed: RE2 never backtracks)",
    ),
)


class PatternError(ValueError):
    """The pattern cannot run on RE2; the message says why, for the person who wrote it."""


def _reason(message: str) -> str:
    for prefixes, hint in _HINTS:
        if message.startswith(prefixes):
            return hint
    return message


def pattern_compile(pattern: str):
    """The RE2 program for `pattern` (`search()` returns a match with `start()`, like `re`)."""
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        message = exc.args[0] if exc.args else str(exc)
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        raise PatternError(_reason(message)) from None
    except (TypeError, ValueError) as exc:  # e.g. a lone surrogate that cannot be UTF-8
        raise PatternError(str(exc)) from None
