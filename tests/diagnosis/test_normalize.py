"""What normalisation replaces, so that one fault's occurrences share a fingerprint."""

import pytest

from diagnosis.normalize import exception_class, message_normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("took 1234 tries", "took <num> tries"),
        ("session 0x17f3a2b4c5d6e7f0 closed", "session <hex> closed"),
        ("digest 3fa9c1e07b2d4e8f9a10 differs", "digest <hex> differs"),
        ("from 10.0.0.5 now", "from <ip> now"),
        ("to 10.0.0.5:9866 now", "to <ip>:<port> now"),
        (
            "Call From dn01.example.com/10.0.0.5 to nn01:8020",
            "Call From <host>/<ip> to <host>:<port>",
        ),
        ("Expired:dn07.example.com:45454 Timed", "Expired:<host>:<port> Timed"),
        ("file=/user/etl/out/part-00000 done", "file=<path> done"),
        ("BP-1234567890-10.0.0.1-1600000000000:blk_1073741825_1001", "BP-<id>:blk_<id>"),
        ("blk_-4377339785262347412", "blk_<id>"),
        ("application_1700000000000_0042 failed", "application_<id> failed"),
        ("appattempt_1700000000000_0042_000001", "appattempt_<id>"),
        ("container_e17_1700000000000_0042_01_000007", "container_<id>"),
        ("container_1409135750325_48141_02_000001", "container_<id>"),
        ("attempt_1700000000000_0042_m_000003_0", "attempt_<id>"),
        ("job_1700000000000_0042", "job_<id>"),
        ("Holder DFSClient_NONMAPREDUCE_-1234567_1 does", "Holder DFSClient_<id> does"),
        ("pause of approximately 15234ms", "pause of approximately <duration>"),
        ("Timed out after 600 secs", "Timed out after <duration>"),
        ("60000 millis timeout", "<duration> timeout"),
        ("running 123731968B beyond", "running <size> beyond"),
        ("2.1 GB of 2 GB physical", "<size> of <size> physical"),
        ("storage DS-9f1c2f1e-1b7a-4d5e-8f7a-2b3c4d5e6f70 gone", "storage DS-<uuid> gone"),
        ("see http://wiki.apache.org/hadoop/ConnectionRefused", "see <url>"),
        ("  spaces\tand\ttabs  ", "spaces and tabs"),
    ],
)
def test_variable_parts_become_placeholders(text, expected):
    assert message_normalize(text) == expected


def test_words_and_class_names_stay():
    text = "org.apache.hadoop.hdfs.server.datanode.DataNode: DataXceiver error processing"
    assert message_normalize(text) == text


def test_the_result_is_bounded():
    assert len(message_normalize("x " * 5000)) <= 1000


@pytest.mark.parametrize(
    ("trace", "expected"),
    [
        ("java.io.IOException: Too many open files\n\tat x", "java.io.IOException"),
        ("Caused by: java.lang.OutOfMemoryError: Java heap space", "java.lang.OutOfMemoryError"),
        (
            "org.apache.zookeeper.KeeperException$SessionExpiredException: KeeperErrorCode",
            "org.apache.zookeeper.KeeperException$SessionExpiredException",
        ),
        ("\tat org.apache.hadoop.ipc.Client.call(Client.java:1476)", ""),
        ("", ""),
    ],
)
def test_exception_class(trace, expected):
    assert exception_class(trace) == expected


def test_only_the_start_of_a_long_message_is_normalised():
    """Log text is hostile: the work per line is bounded by MAX_INPUT_CHARS, whatever arrives."""
    from diagnosis.normalize import MAX_INPUT_CHARS

    head = "Slow write to dn01.example.com/10.0.0.5:9866 took 512 ms " * 40
    assert len(head) > MAX_INPUT_CHARS
    assert message_normalize(head + "x" * 100_000) == message_normalize(head)


@pytest.mark.parametrize(
    "shape", ["A", "a.", "a-", "1.", "/a", "a:", "a.b", "a+", "a.-", "x1-", "ab12"]
)
def test_adversarial_runs_normalise(shape):
    """Shapes that made rules rescan a run from each of its characters (once a 64 KiB line took
    minutes); a run of 64 KiB now finishes like any line."""
    text = shape * (65536 // len(shape))
    assert message_normalize(text)
