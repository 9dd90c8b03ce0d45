"""The log search language: what an operator types, read into terms the selectors can run.

    NoRouteToHostException                    a term
    "Connection reset by peer"                a phrase
    NoRouteTo*                                a prefix
    -DataXceiver  -"Slow BlockReceiver"       exclusions
    blk_-1073741825_1001  10.0.1.5:50010  org.apache.hadoop.ipc.Server   ids, IPs, class names

Every term must be in the line's message or its trace (all terms, in any order); an excluded
term must be in neither. Matching is case-insensitive, and a term that starts (ends) with a
letter, digit or underscore must start (end) at a word boundary: `blk_-123_456` finds
`blk_-123_456` and `blk_-123_456:` but not `blk_-123_4567`; `10.0.1.5` does not find
`10.0.1.57`; `DataNode` finds `org.apache.hadoop.hdfs.server.datanode.DataNode`. A prefix term
(`NoRouteTo*`) has no boundary at its end. Nothing in a term is a pattern: `.` is a dot.

The same rule is written twice, as data: `Term.pattern` (a regular expression the database
checks on every candidate row, so results are exact) and `Term.tokens` (the words a full-text
index holds, to find the candidates fast; see logs/search_index.py and docs/search.md).
"""

import re
from dataclasses import dataclass

MAX_QUERY_CHARS = 1000
MAX_TERMS = 16

# What both full-text parsers (InnoDB's default parser, FTS5 unicode61 with `_` as a token
# character) treat as one word: letters, digits and the underscore.
_WORD = re.compile(r"\w+")
# The boundary characters of the pattern, spelled so that PCRE2 (MariaDB), ICU (MySQL 8) and
# Python's re (SQLite, through Django's REGEXP function) read them the same way.
_WORD_CLASS = "[A-Za-z0-9_]"
_TOKEN = re.compile(r'(-?)(?:"([^"]*)"|(\S+))')


class SearchQueryError(ValueError):
    """A query the portal cannot run; the message says what to change."""


def _literal(text: str) -> str:
    """`text` as a regular expression matching exactly itself in all three dialects."""
    out = []
    for char in text:
        if char.isalnum() or char == "_" or not char.isascii():
            out.append(char)
        elif char.isspace():
            out.append(r"\s+" if not out or out[-1] != r"\s+" else "")
        else:
            out.append("\\" + char)
    return "".join(out)


@dataclass(frozen=True)
class Term:
    text: str
    negated: bool = False
    prefix: bool = False
    phrase: bool = False

    @property
    def pattern(self) -> str:
        body = _literal(self.text)
        if self.text[0].isalnum() or self.text[0] == "_":
            body = f"(?<!{_WORD_CLASS})" + body
        if not self.prefix and (self.text[-1].isalnum() or self.text[-1] == "_"):
            body += f"(?!{_WORD_CLASS})"
        return body

    @property
    def tokens(self) -> list[str]:
        """The whole words of the term, lower-case; with `prefix`, the last one is a prefix.

        Only words an index can hold exactly are given: a word glued to an apostrophe is left
        out (parsers differ on it), the regular expression checks it anyway.
        """
        words = [
            match.group(0).lower()
            for match in _WORD.finditer(self.text)
            if not _touches_apostrophe(self.text, match)
        ]
        return words

    def matches(self, text: str) -> bool:
        """Python's reading of `pattern` (tests and the page's highlighting)."""
        return re.search(self.pattern, text, re.IGNORECASE) is not None


def _touches_apostrophe(text: str, match: re.Match) -> bool:
    start, end = match.span()
    return (start > 0 and text[start - 1] == "'") or (end < len(text) and text[end] == "'")


@dataclass(frozen=True)
class SearchQuery:
    terms: tuple[Term, ...] = ()

    @property
    def positive(self) -> tuple[Term, ...]:
        return tuple(term for term in self.terms if not term.negated)

    @property
    def negative(self) -> tuple[Term, ...]:
        return tuple(term for term in self.terms if term.negated)

    def __bool__(self) -> bool:
        return bool(self.terms)

    def matches(self, text: str) -> bool:
        return all(term.matches(text) for term in self.positive) and not any(
            term.matches(text) for term in self.negative
        )


def parse_query(text: str) -> SearchQuery:
    """Read the search box; raise SearchQueryError for what cannot be searched."""
    text = (text or "").strip()
    if len(text) > MAX_QUERY_CHARS:
        raise SearchQueryError(f"The query is longer than {MAX_QUERY_CHARS} characters.")
    if text.count('"') % 2:
        raise SearchQueryError('A phrase is not closed: every " needs its closing ".')
    terms = []
    for match in _TOKEN.finditer(text):
        negated, phrase, word = match.group(1) == "-", match.group(2), match.group(3)
        if phrase is not None:
            body = " ".join(phrase.split())
            if not body:
                raise SearchQueryError('An empty phrase ("") finds nothing; remove it.')
            terms.append(Term(body, negated=negated, phrase=True))
            continue
        if word is None or word == "-":
            if negated:
                raise SearchQueryError("A lone '-' excludes nothing; write -term.")
            continue
        prefix = word.endswith("*")
        body = word.rstrip("*") if prefix else word
        if "*" in body:
            raise SearchQueryError(
                f"{word!r}: '*' is allowed only at the end of a term (a prefix, like NoRouteTo*)."
            )
        if not body:
            raise SearchQueryError("A lone '*' matches everything; leave the query empty instead.")
        if prefix and not _WORD.search(body[-1]):
            raise SearchQueryError(f"{word!r}: a prefix must end with a letter or digit before *.")
        terms.append(Term(body, negated=negated, prefix=prefix))
    if len(terms) > MAX_TERMS:
        raise SearchQueryError(f"At most {MAX_TERMS} terms per query.")
    if terms and not any(not term.negated for term in terms):
        raise SearchQueryError(
            "A query of exclusions only reads every line: add a term, or use the filters."
        )
    return SearchQuery(tuple(terms))
