"""Output caps: the END of the output is kept, as valid text, with its true size."""

from runs.output import cap_text, tail_bytes_to_text


def test_short_output_is_kept_whole():
    capped = cap_text("hello\n", limit=1024)
    assert (capped.text, capped.total_bytes, capped.truncated) == ("hello\n", 6, False)


def test_the_end_is_kept_and_the_cut_never_splits_a_character():
    text = "ü" * 10 + "END"  # 2-byte characters; 23 bytes in all
    for limit in range(4, 23):
        kept = cap_text(text, limit=limit).text
        assert kept.endswith("END")
        assert "\ufffd" not in kept
        assert len(kept.encode()) <= limit
        assert len(kept.encode()) >= limit - 1  # at most the partial character is dropped


def test_four_byte_characters_are_cut_cleanly():
    text = "🔥" * 100
    kept = cap_text(text, limit=50).text
    assert kept == "🔥" * 12  # 48 bytes: the 2 bytes of a broken emoji are dropped
    assert cap_text(text, limit=50).total_bytes == 400


def test_invalid_utf8_bytes_become_replacement_characters():
    data = b"caf\xe9 \xff\xfe ok"  # Latin-1 output from an old tool
    assert tail_bytes_to_text(data, limit=1024) == "caf\ufffd \ufffd\ufffd ok"


def test_lone_surrogates_become_replacement_characters():
    capped = cap_text("a\ud800b", limit=1024)
    assert capped.text == "a\ufffd\ufffd\ufffdb"  # one per byte of its (invalid) encoding
    capped.text.encode("utf-8")  # storable


def test_the_reported_total_wins_when_larger():
    assert cap_text("tail", limit=1024, reported_total=5000).total_bytes == 5000
    assert cap_text("tail", limit=1024, reported_total=1).total_bytes == 4
