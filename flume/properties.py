"""Java properties files, read exactly as Flume reads its agent configuration.

Flume (1.10+) hands the file's bytes to `java.util.Properties.load(InputStream)`, so:

- bytes are ISO-8859-1 (anything else must be written as \\uXXXX);
- a line whose first non-blank character is `#` or `!` is a comment;
- a line ending in an odd number of backslashes continues on the next line, whose leading
  blanks are skipped;
- the key ends at the first unescaped `=`, `:` or blank; blanks around one `=`/`:` are skipped;
- escapes: \\t \\n \\r \\f \\uXXXX; a backslash before any other character is dropped
  (so a regex needs `\\\\.` to keep one backslash: `\\.` becomes `.`);
- a key given twice keeps its last value, silently.

This module reproduces those rules (cross-checked against the JDK's own parser) and keeps, for
every entry, where it came from and which backslashes vanished, so a checker can point at the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_BLANKS = " \t\f"
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


class PropertiesError(ValueError):
    """The file cannot be loaded at all (Java throws IllegalArgumentException)."""

    def __init__(self, message: str, line: int):
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class Entry:
    key: str
    value: str  # as Properties.load returns it: not trimmed (Flume trims later)
    line: int  # first physical line, 1-based
    end_line: int  # last physical line (continuations)
    # Characters whose escaping backslash the format dropped, e.g. "." for `\.`.
    dropped_escapes: tuple[str, ...] = ()


@dataclass
class PropertiesFile:
    entries: list[Entry] = field(default_factory=list)

    def as_dict(self) -> dict[str, str]:
        """The key -> value map Java ends up with: the last of duplicate keys wins."""
        return {entry.key: entry.value for entry in self.entries}

    def last_entries(self) -> dict[str, Entry]:
        return {entry.key: entry for entry in self.entries}

    def duplicates(self) -> dict[str, list[Entry]]:
        seen: dict[str, list[Entry]] = {}
        for entry in self.entries:
            seen.setdefault(entry.key, []).append(entry)
        return {key: found for key, found in seen.items() if len(found) > 1}


def load(data: bytes) -> PropertiesFile:
    """Parse the raw bytes of a properties file."""
    return loads(data.decode("iso-8859-1"))


def load_path(path) -> PropertiesFile:
    with open(path, "rb") as handle:
        return load(handle.read())


def loads(text: str) -> PropertiesFile:
    result = PropertiesFile()
    for logical, first, last in _logical_lines(text):
        key_chars, value_chars = _split_key_value(logical)
        key, _ = _unescape(key_chars, first)
        value, dropped = _unescape(value_chars, first)
        result.entries.append(Entry(key, value, first, last, tuple(dropped)))
    return result


def _logical_lines(text: str):
    """Yield (logical line, first physical line, last physical line) like Properties.LineReader."""
    i, n = 0, len(text)
    line_no = 1
    while i < n:
        # Skip leading blanks and empty lines.
        while i < n and text[i] in _BLANKS:
            i += 1
        if i < n and text[i] in "\r\n":
            i, line_no = _skip_terminator(text, i, line_no)
            continue
        if i >= n:
            break
        if text[i] in "#!":  # comment: to the end of this physical line, never continued
            while i < n and text[i] not in "\r\n":
                i += 1
            if i < n:
                i, line_no = _skip_terminator(text, i, line_no)
            continue
        first = line_no
        chars: list[str] = []
        emit_empty = False
        while True:
            start = i
            while i < n and text[i] not in "\r\n":
                i += 1
            chars.extend(text[start:i])
            if not _ends_with_odd_backslashes(chars):
                break
            chars.pop()  # the continuation backslash is not part of the line
            if i >= n - 1:
                # The file ends here (at most a one-character line break left): Java returns the
                # line as it is, even when nothing is left of it.
                emit_empty = True
                i = n
                break
            i, line_no = _skip_terminator(text, i, line_no)
            while i < n and text[i] in _BLANKS:
                i += 1
            if not chars or (i < n and text[i] in "\r\n"):
                # Nothing before the `\`: what follows is read as a fresh line (a `#` there is a
                # comment). An empty continuation line ends the logical line.
                break
        last = line_no
        if i < n and text[i] in "\r\n" and chars:
            i, line_no = _skip_terminator(text, i, line_no)
        if chars or emit_empty:
            yield "".join(chars), first, last


def _skip_terminator(text: str, i: int, line_no: int) -> tuple[int, int]:
    if text[i] == "\r" and i + 1 < len(text) and text[i + 1] == "\n":
        return i + 2, line_no + 1
    return i + 1, line_no + 1


def _ends_with_odd_backslashes(chars: list[str]) -> bool:
    count = 0
    for char in reversed(chars):
        if char != "\\":
            break
        count += 1
    return count % 2 == 1


def _split_key_value(line: str) -> tuple[str, str]:
    key_end, value_start, has_separator = len(line), len(line), False
    backslash = False
    for index, char in enumerate(line):
        if not backslash and char in "=:":
            key_end, value_start, has_separator = index, index + 1, True
            break
        if not backslash and char in _BLANKS:
            key_end, value_start = index, index + 1
            break
        backslash = (not backslash) if char == "\\" else False
    while value_start < len(line):
        char = line[value_start]
        if char not in _BLANKS:
            if not has_separator and char in "=:":
                has_separator = True
            else:
                break
        value_start += 1
    return line[:key_end], line[value_start:]


def _unescape(chars: str, line: int) -> tuple[str, list[str]]:
    out: list[str] = []
    dropped: list[str] = []
    i, n = 0, len(chars)
    while i < n:
        char = chars[i]
        i += 1
        if char != "\\" or i >= n:
            out.append(char)
            continue
        char = chars[i]
        i += 1
        if char == "u":
            digits = chars[i : i + 4]
            if len(digits) < 4 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise PropertiesError("Malformed \\uxxxx encoding.", line)
            out.append(chr(int(digits, 16)))
            i += 4
        elif char in _ESCAPES:
            out.append(_ESCAPES[char])
        else:
            if char != "\\":
                dropped.append(char)
            out.append(char)
    return "".join(out), dropped


def escape_value(value: str) -> str:
    """Write `value` so that Properties.load reads it back unchanged."""
    out = []
    for index, char in enumerate(value):
        if char == "\\":
            out.append("\\\\")
        elif char in _BLANKS and index == 0:
            out.append("\\" + char if char == " " else {"\t": "\\t", "\f": "\\f"}[char])
        elif char in "\t\n\r\f":
            out.append({"\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f"}[char])
        elif ord(char) > 0xFF or ord(char) < 0x20:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)
