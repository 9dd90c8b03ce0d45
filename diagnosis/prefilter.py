"""Required literals of a regular expression: the fast path of detection.

Almost every line is no fault. Running every type's regexes over every line would cost more than
storing it; asking whether one of a few fixed strings occurs (`str.__contains__`, a C loop) is
several times cheaper and rejects nearly all lines. Each pattern yields a set of strings of
which at least one must occur in any text it matches, read from the regex's parse tree; the
regex itself still decides, so the prefilter can only save work, never change a result. A
pattern we cannot read that way (case-insensitive, or nothing fixed in it) gets no prefilter and
is always run.
"""

import re
from collections.abc import Iterable

try:  # CPython 3.11+; 3.10 and older call it sre_parse
    from re import _constants as _sre
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover
    import sre_constants as _sre  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

# Shorter fixed strings occur in too many lines to reject anything.
MIN_LITERAL_CHARS = 4


def required_literals(pattern: str) -> frozenset[str] | None:
    """Strings one of which occurs in every match of `pattern`; None when unknown."""
    try:
        parsed = _sre_parse.parse(pattern)
    except (re.error, RecursionError):
        return None
    if parsed.state.flags & re.IGNORECASE:
        return None
    return _from_sequence(list(parsed))


def literals_for_patterns(patterns: Iterable[str]) -> frozenset[str] | None:
    """The union over several patterns (a type matches when any of them does)."""
    found: set[str] = set()
    for pattern in patterns:
        literals = required_literals(pattern)
        if literals is None:
            return None
        found |= literals
    return frozenset(found) if found else None


def _from_sequence(items) -> frozenset[str] | None:
    """The best required set of a concatenation: its longest fixed run, or a required group's."""
    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def close_run():
        if run:
            candidates.append(frozenset(["".join(run)]))
            run.clear()

    for op, av in items:
        if op is _sre.LITERAL:
            run.append(chr(av))
            continue
        close_run()
        if op is _sre.SUBPATTERN:
            _group, add_flags, _del_flags, sub = av
            if not add_flags & re.IGNORECASE:
                candidates.append(_from_sequence(list(sub)))
        elif op is _sre.BRANCH:
            _, branches = av
            alternatives = [_from_sequence(list(branch)) for branch in branches]
            if all(alternatives):
                candidates.append(frozenset().union(*alternatives))
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None)):
            low, _high, sub = av
            if low >= 1:
                candidates.append(_from_sequence(list(sub)))
        # Anything else (classes, anchors, lookarounds, backreferences) fixes no text.
    close_run()
    usable = [c for c in candidates if c and min(map(len, c)) >= MIN_LITERAL_CHARS]
    if not usable:
        return None
    # Prefer the set whose shortest member is longest: it rejects the most lines.
    return max(usable, key=lambda c: (min(map(len, c)), -len(c)))
