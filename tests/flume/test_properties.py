"""The properties parser reads a file exactly as java.util.Properties.load (and so Flume) does."""

import shutil
import subprocess

import pytest

from flume import properties


def parse(text: str) -> dict[str, str]:
    return properties.loads(text).as_dict()


def test_separators_comments_and_blanks():
    text = "# comment\n! also a comment\n\n  a = 1\nb:2\nc 3\nd\t=\t4\ne\n f=  spaced value  \n"
    assert parse(text) == {"a": "1", "b": "2", "c": "3", "d": "4", "e": "", "f": "spaced value  "}


def test_continuation_lines_skip_leading_blanks_and_a_comment_is_never_continued():
    text = "a = one \\\n    two\\\n three\n# comment \\\nb = 2\n"
    assert parse(text) == {"a": "one twothree", "b": "2"}


def test_escapes_and_dropped_backslashes():
    props = properties.loads("re = .*\\.log\nok = .*\\\\.log\ntab = a\\tb\nu = caf\\u00e9\n")
    values = props.as_dict()
    assert values == {"re": ".*.log", "ok": ".*\\.log", "tab": "a\tb", "u": "café"}
    dropped = {e.key: e.dropped_escapes for e in props.entries}
    assert dropped["re"] == (".",) and dropped["ok"] == ()


def test_escaped_separators_belong_to_the_key():
    assert parse("a\\=b\\ c = d\n") == {"a=b c": "d"}


def test_iso_8859_1_bytes():
    assert properties.load(b"k = caf\xe9\n").as_dict() == {"k": "café"}


def test_the_last_duplicate_wins_and_is_reported():
    props = properties.loads("a = 1\nb = 2\na = 3\n")
    assert props.as_dict()["a"] == "3"
    assert [e.line for e in props.duplicates()["a"]] == [1, 3]


def test_a_malformed_unicode_escape_is_an_error_with_its_line():
    with pytest.raises(properties.PropertiesError, match="line 2"):
        properties.loads("a = 1\nb = \\u12\n")


def test_line_numbers_span_continuations():
    entry = properties.loads("\n\na = 1 \\\n  2\nb = 3\n").entries[0]
    assert (entry.line, entry.end_line) == (3, 4)


@pytest.mark.parametrize(
    "value", ["plain", " leading blank", "back\\slash", "tab\tin", "caf\u00e9", "\u20ac euro", ""]
)
def test_escape_value_round_trips(value):
    assert parse(f"k = {properties.escape_value(value)}\n")["k"] == value


JAVA_DUMP = """
import java.io.*; import java.util.*;
public class Dump { public static void main(String[] a) throws Exception {
  Properties p = new Properties(); try (InputStream in = new FileInputStream(a[0])) { p.load(in); }
  for (String k : new TreeSet<>(p.stringPropertyNames())) {
    System.out.println(enc(k) + "\\t" + enc(p.getProperty(k))); } }
  static String enc(String s) { StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) b.append(c < 0x20 || c > 0x7e || c == '\\\\'
      ? String.format("\\\\u%04x", (int) c) : String.valueOf(c)); return b.toString(); } }
"""


@pytest.mark.skipif(shutil.which("java") is None, reason="no JDK to compare with")
def test_agrees_with_the_jdk_on_tricky_files(tmp_path):
    """The JDK's own Properties.load is the reference; these inputs hit every rule above."""
    samples = [
        "a=1\\\n\\\n#x\nb=2",
        "\\\n! c\nk v\\\n",
        "x = y\\\\\\\n  z\r\nw:\\:\\=\\ \\t\\u0041\r",
        "  \f key\t\t: value : more \\\n\n next = 1\\",
        "a\\\r\n b=c\\\\\n#\\\nd",
    ]
    source = tmp_path / "Dump.java"
    source.write_text(JAVA_DUMP)
    for number, sample in enumerate(samples):
        path = tmp_path / f"{number}.properties"
        path.write_bytes(sample.encode("iso-8859-1"))
        java = subprocess.run(
            ["java", str(source), str(path)], capture_output=True, text=True, check=True
        ).stdout

        def enc(s):
            return "".join(
                f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) > 0x7E or c == "\\" else c for c in s
            )

        ours = "".join(f"{enc(k)}\t{enc(v)}\n" for k, v in sorted(parse(sample).items()))
        assert ours == java, sample
