"""The four main tables on the suite's database (MariaDB in CI's first pass, SQLite in the
second): create/read/update/delete, the constraints that protect the data, and text in any
script — CJK, emoji and other 4-byte characters — stored and read back unchanged."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from cluster.models import ClusterStatus
from diagnosis.models import FaultRecord, FaultType
from faultportal.models import ApiToken
from logs.models import IngestRequest, SystemLog
from runs.models import ExecLog

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=123000)
# Chinese, Japanese, an emoji, a CJK Extension B ideograph and a musical symbol: the last three
# are 4-byte UTF-8, which MySQL's legacy "utf8" (utf8mb3) cannot store.
TEXT = "数据节点心跳丢失 ディスク障害 🔥🐘 𠜎 𝄞 Ωmega"


def system_log(**overrides) -> SystemLog:
    values = {
        "host": "dn01.example",
        "logtype": "hdfs",
        "log_time": NOW,
        "level": "ERROR",
        "component": "org.apache.hadoop.hdfs.server.datanode.DataNode",
        "message": "DataXceiver error processing WRITE_BLOCK operation",
        "raw": "2026-11-28 10:15:32,123 ERROR org.apache…: DataXceiver error",
        "received_at": NOW + timedelta(seconds=1),
    }
    return SystemLog(**{**values, **overrides})


def fault_record(**overrides) -> FaultRecord:
    values = {
        "fault_type": FaultType.objects.get(code="datanode_dead"),
        "fingerprint": "f" * 64,
        "host": "nn01.example",
        "title": "DataNode lost heartbeat",
        "severity": "major",
        "first_seen": NOW,
        "last_seen": NOW,
        "occurrences": 1,
    }
    return FaultRecord(**{**values, **overrides})


# --- create, read, update, delete ---------------------------------------------------------------


def test_system_logs_crud():
    log = system_log(trace="java.lang.OutOfMemoryError: Java heap space\n\tat x.y(Z.java:1)")
    log.save()
    stored = SystemLog.objects.get(pk=log.pk)
    assert (stored.host, stored.level, stored.log_time, stored.trace) == (
        "dn01.example",
        "ERROR",
        NOW,
        log.trace,
    )
    SystemLog.objects.filter(pk=log.pk).update(level="FATAL", truncated=True)
    assert SystemLog.objects.get(pk=log.pk).level == "FATAL"
    assert SystemLog.objects.filter(host="dn01.example", log_time__gte=NOW).count() == 1
    SystemLog.objects.filter(pk=log.pk).delete()
    assert not SystemLog.objects.filter(pk=log.pk).exists()


def test_exec_logs_crud():
    run = ExecLog.objects.create(
        script="restart_datanode.sh",
        args=["--host", "dn04", "--heap", "8g"],
        host="dn04.example",
        started_at=NOW,
        timeout_seconds=900,
    )
    stored = ExecLog.objects.get(pk=run.pk)
    assert (stored.status, stored.args, stored.exit_code) == (
        "running",
        ["--host", "dn04", "--heap", "8g"],
        None,
    )
    stored.status, stored.exit_code = "failed", -9  # killed by a signal: negative codes fit
    stored.finished_at, stored.stdout_tail = NOW + timedelta(seconds=30), "Stopping DataNode\n"
    stored.save()
    again = ExecLog.objects.get(pk=run.pk)
    assert (again.status, again.exit_code, again.stdout_tail) == (
        "failed",
        -9,
        "Stopping DataNode\n",
    )
    again.delete()
    assert ExecLog.objects.count() == 0


def test_cluster_status_crud():
    row = ClusterStatus.objects.create(
        collection_id="c-1",
        collected_at=NOW,
        scope="cluster",
        source="collector",
        role="cluster",
        state="ok",
        capacity_total_bytes=9 * 15_628_000_000_000,  # beyond 32 bits: BIGINT
        capacity_used_pct=71.25,
        safe_mode=False,
        details={"NameNodeInfo": {"Safemode": ""}, "live": [1, 2]},
    )
    stored = ClusterStatus.objects.get(pk=row.pk)
    assert stored.capacity_total_bytes == 140_652_000_000_000
    assert stored.details == {"NameNodeInfo": {"Safemode": ""}, "live": [1, 2]}
    assert stored.dead_datanodes is None  # not reported stays NULL, never 0
    ClusterStatus.objects.filter(pk=row.pk).update(state="critical", safe_mode=True)
    assert ClusterStatus.objects.get(pk=row.pk).safe_mode is True
    ClusterStatus.objects.filter(collection_id="c-1").delete()
    assert not ClusterStatus.objects.exists()


def test_fault_records_crud():
    record = fault_record()
    record.save()
    stored = FaultRecord.objects.select_related("fault_type").get(fingerprint="f" * 64)
    assert stored.fault_type.code == "datanode_dead" and stored.status == "open"
    stored.status, stored.occurrences = "acknowledged", 2**40  # counts beyond 32 bits
    stored.diagnosis = {"causes": [{"title": "OOM", "confidence": 0.8}]}
    stored.save()
    again = FaultRecord.objects.get(pk=record.pk)
    assert (again.status, again.occurrences) == ("acknowledged", 2**40)
    assert again.diagnosis["causes"][0]["title"] == "OOM"
    again.delete()
    assert not FaultRecord.objects.exists()


# --- constraints ---------------------------------------------------------------------------------


def test_a_fingerprint_is_unique():
    fault_record().save()
    with pytest.raises(IntegrityError), transaction.atomic():
        fault_record(host="other").save()


def test_api_token_names_and_hashes_are_unique():
    ApiToken.objects.create(
        name="flume-dn01", prefix="fpt_abcd", key_hash="a" * 64, scopes="ingest"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.create(name="flume-dn01", prefix="x", key_hash="b" * 64, scopes="ingest")
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.create(name="flume-dn02", prefix="x", key_hash="a" * 64, scopes="ingest")


def test_an_idempotency_key_is_unique_per_token():
    one = ApiToken.objects.create(name="a", prefix="a", key_hash="a" * 64, scopes="ingest")
    two = ApiToken.objects.create(name="b", prefix="b", key_hash="b" * 64, scopes="ingest")
    IngestRequest.objects.create(token=one, idempotency_key="batch-1", accepted=10)
    IngestRequest.objects.create(token=two, idempotency_key="batch-1", accepted=10)  # other token
    with pytest.raises(IntegrityError), transaction.atomic():
        IngestRequest.objects.create(token=one, idempotency_key="batch-1", accepted=10)


def test_a_fault_type_with_records_cannot_be_deleted():
    record = fault_record()
    record.save()
    with pytest.raises(ProtectedError):
        record.fault_type.delete()
    if connection.vendor == "mysql":  # and the database itself refuses, for raw SQL too
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM fault_types WHERE id = %s", [record.fault_type_id])
    assert FaultType.objects.filter(pk=record.fault_type_id).exists()


def test_deleting_a_fault_keeps_its_runs_unlinked():
    record = fault_record()
    record.save()
    run = ExecLog.objects.create(script="x.sh", host="dn04", started_at=NOW, fault=record)
    record.delete()
    run.refresh_from_db()
    assert run.fault_id is None


@pytest.mark.parametrize(
    ("model", "field"),
    [(SystemLog, "received_at"), (SystemLog, "message"), (FaultRecord, "first_seen")],
)
def test_required_columns_are_not_null(model, field):
    row = system_log() if model is SystemLog else fault_record()
    setattr(row, field, None)
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_choices_are_validated():
    with pytest.raises(ValidationError) as caught:
        system_log(level="LOUD").full_clean()
    assert "level" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        fault_record(status="maybe", severity="huge").full_clean()
    assert {"status", "severity"} <= set(caught.value.message_dict)


def test_strict_mode_refuses_to_truncate(on_mariadb):
    with pytest.raises(DataError), transaction.atomic():
        system_log(host="h" * 256).save()


# --- utf8mb4 ------------------------------------------------------------------------------------


def test_cjk_emoji_and_4_byte_text_round_trip():
    log = system_log(message=TEXT, raw=f"2026-11-28 10:15:32,123 ERROR c: {TEXT}", thread=TEXT)
    log.save()
    record = fault_record(title=TEXT[:255], message=TEXT, latest_sample=log.raw)
    record.save()
    run = ExecLog.objects.create(
        script="report.sh", host="dn01", started_at=NOW, stdout_tail=TEXT, stderr_tail=TEXT
    )
    assert SystemLog.objects.get(pk=log.pk).message == TEXT
    assert SystemLog.objects.get(pk=log.pk).raw.endswith(TEXT)
    assert FaultRecord.objects.get(pk=record.pk).title == TEXT
    assert ExecLog.objects.get(pk=run.pk).stdout_tail == TEXT
    # And found by it: the column compares the 4-byte characters too.
    assert SystemLog.objects.filter(message__contains="🔥🐘").count() == 1


def test_text_columns_are_utf8mb4(on_mariadb):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT TABLE_NAME, COLUMN_NAME, CHARACTER_SET_NAME FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND CHARACTER_SET_NAME IS NOT NULL AND TABLE_NAME "
            "IN ('system_logs', 'exec_logs', 'cluster_status', 'fault_records', 'fault_types')"
        )
        rows = cursor.fetchall()
    assert rows
    assert {charset for _, _, charset in rows} == {"utf8mb4"}, rows
