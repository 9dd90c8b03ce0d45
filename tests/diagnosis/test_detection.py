"""How detection judges lines: unclassified errors, fingerprints, titles, times, the pattern
cache and its refresh, and what it costs in queries."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from diagnosis import catalogue
from diagnosis.detection import detect_faults
from diagnosis.models import FaultType
from diagnosis.prefilter import required_literals
from tests.diagnosis.loglines import continuation, log4j, unparsed

pytestmark = pytest.mark.django_db

T = "2024-05-01 10:15:42,123"
DN = "org.apache.hadoop.hdfs.server.datanode.DataNode"
OOM = f"{T} FATAL [main] org.apache.hadoop.mapred.YarnChild: Error running child : java.lang.OutOfMemoryError: Java heap space"  # noqa: E501


def detected_codes(lines):
    return [occ.fault_type.code for _, occ in detect_faults(lines)]


def xceiver_error(block: str, port: int = 41234, host: str = "dn01.example.com"):
    return log4j(
        f"{T} ERROR {DN}: {host}:9866:DataXceiver error processing READ_BLOCK operation  src: "
        f"/10.0.0.5:{port} dst: /10.0.0.6:9866; {block}",
        host=host,
        trace="java.io.IOException: Connection reset by peer",
    )


class TestUnclassified:
    def test_an_error_matching_no_type_is_unclassified_and_grouped_by_normalised_message(self):
        detected = detect_faults(
            [
                xceiver_error("BP-1-10.0.0.1-1:blk_1073741825_1001", 41234),
                xceiver_error("BP-1-10.0.0.1-1:blk_1073742999_2077", 50999),
            ]
        )
        assert [occ.fault_type.code for _, occ in detected] == ["unclassified"] * 2
        first, second = (occ for _, occ in detected)
        assert first.fingerprint == second.fingerprint
        assert "blk_<id>" in first.message and "/<ip>:<port>" in first.message
        assert first.message.endswith("[java.io.IOException]")

    def test_a_different_message_or_exception_is_a_different_unclassified_fault(self):
        base = xceiver_error("blk_1")
        other_message = log4j(f"{T} ERROR {DN}: Block pool BP-1 received an unknown command")
        other_exception = xceiver_error("blk_1")
        other_exception.trace = "java.nio.channels.ClosedByInterruptException"
        fingerprints = {occ.fingerprint for _, occ in detect_faults([base, other_message])}
        fingerprints |= {occ.fingerprint for _, occ in detect_faults([other_exception])}
        assert len(fingerprints) == 3

    def test_warnings_and_continuations_matching_nothing_are_not_faults(self):
        lines = [
            log4j(f"{T} WARN {DN}: Slow BlockReceiver write packet to mirror took 400ms"),
            continuation("\tat org.apache.hadoop.ipc.Client.call(Client.java:1476)"),
            unparsed("some shell output the parser did not know"),
            log4j(f"{T} INFO {DN}: Receiving blk_1 src: /10.0.0.5:1 dest: /10.0.0.6:9866"),
        ]
        assert detect_faults(lines) == []

    def test_fatal_is_severe_too(self):
        line = log4j(f"{T} FATAL {DN}: Shutting down: unknown state")
        assert detected_codes([line]) == ["unclassified"]


class TestOccurrenceFields:
    def test_seen_at_is_the_log_time_or_the_receive_time_without_one(self):
        received = timezone.now()
        timed = log4j(OOM)
        lone = continuation("Caused by: java.lang.OutOfMemoryError: Java heap space")
        lone.received_at = received
        (_, first), (_, second) = detect_faults([timed, lone])
        assert first.seen_at == datetime(2024, 5, 1, 10, 15, 42, 123000, tzinfo=UTC)
        assert second.seen_at == received

    def test_indexes_point_at_the_faulty_lines(self):
        quiet = log4j(f"{T} INFO {DN}: all fine")
        assert [i for i, _ in detect_faults([quiet, log4j(OOM), quiet, log4j(OOM)])] == [1, 3]

    def test_sample_is_the_raw_text_and_long_lines_are_cut(self):
        line = log4j(OOM)
        line.raw = OOM + "x" * 20_000
        (_, occ) = detect_faults([line])[0]
        assert occ.sample.startswith(OOM) and len(occ.sample) < 9000

    def test_host_message_grouping_keys_on_host_component_and_message(self):
        a = log4j(OOM, host="dn01.example.com")
        b = log4j(OOM.replace("dn01", "x"), host="dn02.example.com")
        c = log4j(OOM.replace("YarnChild", "OtherChild"), host="dn01.example.com")
        d = log4j(OOM.replace("Java heap space", "GC overhead limit exceeded"))
        e = log4j(OOM.replace("10:15:42,123", "11:00:00,000"))  # same fault later
        fps = [occ.fingerprint for _, occ in detect_faults([a, b, c, d, e])]
        assert len(set(fps)) == 4 and fps[0] == fps[4]

    def test_titles_read_as_sentences(self):
        oom, safemode, fds = (
            log4j(OOM, host="dn01.example.com"),
            log4j(
                f"{T} WARN org.apache.hadoop.security.UserGroupInformation: cause:org.apache."
                "hadoop.ipc.RemoteException(org.apache.hadoop.hdfs.server.namenode."
                "SafeModeException): Cannot create directory /x. Name node is in safe mode.",
                host="edge01",
            ),
            continuation("java.io.IOException: Too many open files", host="dn02"),
        )
        titles = [occ.title for _, occ in detect_faults([oom, safemode, fds])]
        assert titles == [
            "JVM out of memory on dn01.example.com (YarnChild): Error running child : "
            "java.lang.OutOfMemoryError: Java heap space",
            "NameNode in safe mode",
            "File descriptors exhausted on dn02",
        ]

    def test_cluster_wide_faults_have_one_fingerprint_and_no_host(self):
        text = (
            f"{T} WARN org.apache.hadoop.security.UserGroupInformation: cause:org.apache.hadoop."
            "ipc.RemoteException(org.apache.hadoop.hdfs.server.namenode.SafeModeException): "
            "Cannot create directory /x/{n}. Name node is in safe mode."
        )
        detected = detect_faults([log4j(text.format(n=n), host=f"dn0{n}") for n in range(3)])
        assert len({occ.fingerprint for _, occ in detected}) == 1
        assert {occ.host for _, occ in detected} == {""}


class TestOperatorTypes:
    def test_a_new_type_with_a_component_pattern_matches_only_that_component(self):
        FaultType.objects.create(
            code="nn_rpc_queue",
            name="NameNode RPC queue full",
            category="hdfs",
            default_severity="major",
            patterns=r"Call queue is full on",
            component_pattern=r"\.ipc\.Server$",
            min_level="WARN",
        )
        nn = log4j(f"{T} WARN org.apache.hadoop.ipc.Server: Call queue is full on port 8020")
        other = log4j(f"{T} WARN org.apache.hadoop.ipc.Client: Call queue is full on port 8020")
        assert detected_codes([nn, other]) == ["nn_rpc_queue"]

    def test_a_case_insensitive_pattern_without_a_prefilter_still_matches(self):
        assert required_literals(r"(?i)kerberos.*expired") is None
        FaultType.objects.create(
            code="kerberos_expired",
            name="Kerberos ticket expired",
            category="other",
            default_severity="major",
            patterns=r"(?i)kerberos.*expired",
            min_level="WARN",
        )
        line = log4j(
            f"{T} WARN org.apache.hadoop.security.UserGroupInformation: KERBEROS TGT expired"
        )
        assert detected_codes([line]) == ["kerberos_expired"]

    def test_disabling_a_type_stops_matching_and_enabling_restores_it(self):
        assert detected_codes([log4j(OOM)]) == ["jvm_out_of_memory"]
        fault_type = FaultType.objects.get(code="jvm_out_of_memory")
        fault_type.enabled = False
        fault_type.save()
        # An ERROR line no enabled type explains is still seen, as unclassified.
        assert detected_codes([log4j(OOM)]) == ["unclassified"]
        fault_type.enabled = True
        fault_type.save()
        assert detected_codes([log4j(OOM)]) == ["jvm_out_of_memory"]

    def test_disabling_unclassified_stops_the_catch_all(self):
        FaultType.objects.filter(code="unclassified").update(
            enabled=False, updated_at=timezone.now()
        )
        catalogue.catalogue_invalidate()
        assert detect_faults([xceiver_error("blk_1")]) == []


class TestPatternCache:
    @pytest.fixture
    def fake_clock(self, monkeypatch, settings):
        settings.FAULT_TYPES_REFRESH_SECONDS = 5
        now = [1000.0]
        monkeypatch.setattr(catalogue, "clock", lambda: now[0])
        return now

    def test_a_change_made_by_another_process_is_seen_within_the_refresh_interval(self, fake_clock):
        assert detected_codes([log4j(OOM)]) == ["jvm_out_of_memory"]
        # As another worker or instance would: no signal reaches this process.
        FaultType.objects.filter(code="jvm_out_of_memory").update(
            enabled=False, updated_at=timezone.now() + timedelta(seconds=1)
        )
        fake_clock[0] += 4
        assert detected_codes([log4j(OOM)]) == ["jvm_out_of_memory"]  # still cached
        fake_clock[0] += 2
        assert detected_codes([log4j(OOM)]) == ["unclassified"]

    def test_a_changed_pattern_is_recompiled(self, fake_clock):
        line = log4j(f"{T} ERROR {DN}: Block pool BP-1 ran into a wall")
        assert detected_codes([line]) == ["unclassified"]
        FaultType.objects.filter(code="datanode_out_of_space").update(
            patterns="ran into a wall", updated_at=timezone.now() + timedelta(seconds=1)
        )
        fake_clock[0] += 6
        assert detected_codes([line]) == ["datanode_out_of_space"]

    def test_no_query_per_line_and_one_cheap_check_per_interval(
        self, fake_clock, django_assert_num_queries
    ):
        lines = [log4j(OOM), xceiver_error("blk_1"), log4j(f"{T} INFO {DN}: fine")] * 300
        detect_faults(lines[:1])  # warm
        with django_assert_num_queries(0):
            assert len(detect_faults(lines)) == 600
        fake_clock[0] += 6
        with django_assert_num_queries(1):  # the version check; nothing changed, no reload
            detect_faults(lines)


class TestPrefilter:
    @pytest.mark.parametrize(
        ("pattern", "literals"),
        [
            (r"Too many open files", {"Too many open files"}),
            (r"could only be (written|replicated) to \d+", {"could only be "}),
            (r"(local|log)-dirs are bad", {"-dirs are bad"}),
            (r"(foo|barbaz) is here", {" is here"}),
            (r"(alpha|bravo) \d", {"alpha", "bravo"}),
            (r"(?:optional text)? x", None),
            (r"\d+ms", None),
            (r"(?i)Too many open files", None),
        ],
    )
    def test_required_literals(self, pattern, literals):
        found = required_literals(pattern)
        assert (set(found) if found is not None else None) == literals

    def test_every_catalogue_pattern_has_a_prefilter_that_its_matches_contain(self):
        from tests.diagnosis.test_detection_catalogue import SIGNATURES

        for fault_type in FaultType.objects.exclude(patterns=""):
            for pattern in fault_type.pattern_list:
                assert required_literals(pattern), pattern
        for code, lines in SIGNATURES.items():
            fault_type = FaultType.objects.get(code=code)
            for line in lines:
                text = line.raw
                for pattern in fault_type.pattern_list:
                    import re

                    if re.search(pattern, text):
                        assert any(lit in text for lit in required_literals(pattern))


def test_a_broken_pattern_stored_behind_the_admins_back_skips_only_that_type():
    FaultType.objects.filter(code="jvm_out_of_memory").update(
        patterns="java.lang.OutOfMemoryError\n(unclosed", updated_at=timezone.now()
    )
    catalogue.catalogue_invalidate()
    fds = continuation("java.io.IOException: Too many open files")
    assert detected_codes([log4j(OOM), fds]) == ["unclassified", "too_many_open_files"]


def test_the_unclassified_types_min_level_sets_the_bar():
    warning = log4j(f"{T} WARN {DN}: Slow BlockReceiver write packet to mirror took 400ms")
    assert detect_faults([warning]) == []
    FaultType.objects.filter(code="unclassified").update(
        min_level="WARN", updated_at=timezone.now()
    )
    catalogue.catalogue_invalidate()
    assert detected_codes([warning]) == ["unclassified"]
