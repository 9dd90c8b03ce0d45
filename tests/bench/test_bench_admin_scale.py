"""The admin scale benchmark keeps working (tiny volume; figures are never asserted)."""

import pytest

from bench import admin_scale
from tests.support import services


@pytest.mark.django_db
def test_it_refuses_a_database_that_is_not_a_bench_database(capsys):
    # The suite's own database is named test_…: the benchmark must not empty it.
    assert admin_scale.main(["--rows", "10"]) == 2
    assert "bench" in capsys.readouterr().err


@pytest.mark.mariadb
def test_it_seeds_a_bench_database_and_times_every_admin_page(mariadb_server):
    name = services.create_scratch_database(prefix="fp_bench")
    try:
        out = services.run_python(
            "bench/admin_scale.py",
            *("--rows", "3000", "--faults", "60", "--exec-runs", "40", "--snapshots", "2"),
            *("--runs", "1"),
            env={"DATABASE_URL": services.database_url_for(name)},
        )
        conn = services.mariadb_connect(database=name)
        try:
            cursor = conn.cursor()
            cursor.execute(
                "SELECT COUNT(*), COUNT(DISTINCT host), MIN(id), MAX(id) FROM system_logs"
            )
            assert cursor.fetchone() == (3000, 54, 1, 3000)  # 53 cluster hosts + the rare one
            cursor.execute("SELECT level, COUNT(*) FROM system_logs GROUP BY level")
            levels = dict(cursor.fetchall())
            assert levels["INFO"] > levels["WARN"] > levels["ERROR"] > 0
            cursor.execute("SELECT COUNT(*) FROM fault_records")
            assert cursor.fetchone() == (60,)
        finally:
            conn.close()
    finally:
        services.drop_database(name)

    table = out.split("server time per page", 1)[1]
    for page in ("system logs: host + 1 h range", "fault records", "exec logs", "API tokens"):
        assert page in table
    assert "HTTP" not in table, table  # every page answered 200
