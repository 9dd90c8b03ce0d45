"""Body handling without HTTP: decoding, splitting, limits, Flume JSON events."""

from datetime import UTC, datetime

import pytest

from logs.ingestion import (
    InvalidBody,
    Limits,
    Origin,
    TooManyLines,
    batch_from_flume_json,
    batch_from_text,
    clean_text,
    cut_utf8,
    decode_counting,
)

ORIGIN = Origin(host="dn01", logtype="hadoop")
LIMITS = Limits(max_line_bytes=256, max_lines=100)
NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def text_batch(body: bytes, charset=None, limits=LIMITS):
    return batch_from_text(body, charset=charset, origin=ORIGIN, limits=limits, received_at=NOW)


def json_batch(body: bytes, charset=None, limits=LIMITS):
    return batch_from_flume_json(
        body, charset=charset, origin=ORIGIN, limits=limits, received_at=NOW
    )


@pytest.mark.parametrize(
    ("data", "limit", "expected"),
    [
        (b"abcdef", 4, b"abcd"),
        ("aé".encode(), 2, b"a"),  # é is 2 bytes: not split
        ("a€b".encode(), 3, b"a"),  # € is 3 bytes
        ("a€b".encode(), 4, "a€".encode()),
        ("a😀".encode(), 4, b"a"),  # 4-byte emoji
        ("😀😀".encode(), 5, "😀".encode()),
    ],
)
def test_cut_utf8_never_splits_a_character(data, limit, expected):
    assert cut_utf8(data, limit) == expected
    cut_utf8(data, limit).decode("utf-8")  # always decodable


def test_decode_counting_counts_each_bad_byte():
    assert decode_counting(b"ok \xff\xfe end") == ("ok \ufffd\ufffd end", 2)
    assert decode_counting("déjà".encode()) == ("déjà", 0)
    assert decode_counting("déjà".encode("latin-1"), "latin-1") == ("déjà", 0)


def test_clean_text_replaces_nul_and_lone_surrogates():
    assert clean_text("a\x00b") == ("a\ufffdb", 1)
    assert clean_text("é\ud800\x00") == ("é\ufffd\ufffd", 2)
    assert clean_text("plain") == ("plain", 0)


def test_text_lines_split_on_lf_and_crlf_and_skip_blanks():
    batch = text_batch(b"one\r\ntwo\n\n   \nthree\n")
    assert [line.raw for line in batch.lines] == ["one", "two", "three"]
    assert batch.blank == 2


def test_text_keeps_the_time_they_were_received_and_the_origin():
    (line,) = text_batch(b"x").lines
    assert (line.host, line.logtype, line.received_at) == ("dn01", "hadoop", NOW)


def test_a_long_line_is_truncated_on_a_character_boundary_and_marked():
    line = ("é" * 200).encode()  # 400 bytes
    batch = text_batch(line)
    (parsed,) = batch.lines
    assert parsed.truncated and batch.truncated == 1
    assert parsed.raw == "é" * 128
    assert not text_batch(b"short").lines[0].truncated


def test_undecodable_bytes_are_replaced_and_counted_per_line():
    batch = text_batch(b"good\nbad \xc3\x28 \xff\n")
    good, bad = batch.lines
    assert good.decode_errors == 0
    assert bad.raw == "bad \ufffd( \ufffd" and bad.decode_errors == 2
    assert batch.replaced == 2


def test_nul_bytes_become_replacement_characters_and_are_counted():
    (line,) = text_batch(b"2026-11-28 10:00:00,000 INFO a.B: x\x00\x00y").lines
    assert line.message == "x\ufffd\ufffdy" and line.decode_errors == 2


def test_a_declared_charset_is_honoured():
    (line,) = text_batch("Fehler: Datei für Benutzer".encode("latin-1"), charset="ISO-8859-1").lines
    assert line.raw == "Fehler: Datei für Benutzer"
    (line,) = text_batch("ログ".encode("utf-16"), charset="utf-16").lines
    assert line.raw == "ログ"


def test_an_unknown_charset_is_read_as_utf8():
    (line,) = text_batch("ünïcode".encode(), charset="x-klingon").lines
    assert line.raw == "ünïcode"


def test_a_utf8_bom_is_not_part_of_the_first_line():
    (line,) = text_batch(b"\xef\xbb\xbf2026-11-28 10:00:00,000 INFO a.B: x").lines
    assert line.level == "INFO"


def test_too_many_lines_is_refused():
    with pytest.raises(TooManyLines):
        text_batch(b"x\n" * 101)
    assert len(text_batch(b"x\n" * 100).lines) == 100


def test_flume_events_honour_host_logtype_and_file_headers():
    body = (
        b'[{"headers": {"host": "dn07", "logtype": "yarn", "file": "/var/log/nm.log",'
        b' "timestamp": 1764324000000}, "body": "line one"},'
        b' {"body": "line two"}, {"headers": {}, "body": "a\\nb"}]'
    )
    batch = json_batch(body)
    assert [(line.host, line.logtype, line.source_file, line.raw) for line in batch.lines] == [
        ("dn07", "yarn", "/var/log/nm.log", "line one"),
        ("dn01", "hadoop", "", "line two"),
        ("dn01", "hadoop", "", "a"),
        ("dn01", "hadoop", "", "b"),
    ]


def test_an_unresolved_host_header_falls_back_and_warns():
    batch = json_batch(b'[{"headers": {"host": "${env:FLUME_HOST}"}, "body": "x"}]')
    assert batch.lines[0].host == "dn01"
    assert "unresolved" in batch.warnings[0]


def test_json_strings_with_nul_and_lone_surrogates_are_cleaned_and_counted():
    batch = json_batch(b'[{"body": "a\\u0000b\\ud800c"}]')
    assert batch.lines[0].raw == "a\ufffdb\ufffdc" and batch.lines[0].decode_errors == 2


def test_json_with_bad_utf8_bytes_is_still_read():
    batch = json_batch(b'[{"body": "caf\xe9"}]')
    assert batch.lines[0].raw == "caf\ufffd" and batch.lines[0].decode_errors == 1


def test_a_long_json_line_is_truncated_in_utf8_bytes():
    batch = json_batch(('[{"body": "' + "€" * 100 + '"}]').encode())  # 300 bytes
    assert batch.lines[0].raw == "€" * 85 and batch.lines[0].truncated


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not valid JSON"),
        (b'{"body": "x"}', "is a dict"),
        (b'"x"', "is a str"),
        (b"[1]", "Event 0 is not an object"),
        (b'[{"body": 5}]', "'body' must be a string"),
        (b'[{"headers": [], "body": "x"}]', "'headers' must be an object"),
        (b'[{"headers": {"host": {"a": 1}}, "body": "x"}]', "header 'host' must be a string"),
        (b"[" * 100_000, "nested too deeply"),
    ],
)
def test_json_that_is_not_a_flume_event_array_is_refused_with_a_reason(body, message):
    with pytest.raises(InvalidBody, match=message):
        json_batch(body)


def test_a_json_array_with_too_many_events_is_refused():
    with pytest.raises(TooManyLines):
        json_batch(b"[" + b",".join([b'{"body": "x"}'] * 101) + b"]")
