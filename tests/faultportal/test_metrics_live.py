"""GET /metrics under gunicorn with two workers (gunicorn.conf.py, multi-process mode): the
counters a scrape reports are the sum of what both workers did, whichever worker answers."""

import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from tests.support import services
from tests.support.server import PortalServer

pytestmark = pytest.mark.mariadb

TS = "2026-11-28 10:15:32,123"
REQUESTS = 240


def post(url: str, body: bytes) -> int:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "text/plain"}
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def scrape(server) -> dict[tuple, float]:
    with urllib.request.urlopen(server.url + "/metrics", timeout=20) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def stored_per_worker(directory: Path) -> dict[str, float]:
    """faultportal_ingest_requests_total{outcome="stored"} in each worker's own file."""
    found = {}
    for path in directory.glob("counter_*.db"):
        values = MmapedDict(str(path))
        try:
            for key, value, _ in values.read_all_values():
                if '"faultportal_ingest_requests_total"' in key and '"stored"' in key:
                    found[path.name] = value
        finally:
            values.close()
    return found


@pytest.fixture
def server(migrated_mariadb, tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"stale")  # a previous run's file: emptied
    env = {
        "DATABASE_URL": migrated_mariadb,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    with PortalServer(env, workers=2, threads=8, config_file=True) as live:
        name = f"metrics-{uuid.uuid4().hex[:8]}"
        out = services.run_manage(
            "create_api_token", name, "--scopes", "ingest", env={"DATABASE_URL": migrated_mariadb}
        )
        live.token = out.strip().splitlines()[-1]
        live.metrics_dir = metrics_dir
        yield live


def test_counters_add_up_across_two_gunicorn_workers(server):
    before = scrape(server)
    host = f"metrics-{uuid.uuid4().hex[:6]}"
    url = f"{server.url}/api/log/auto-upload?host={host}&token={server.token}"
    bodies = [f"{TS} INFO org.apache.hadoop.Foo: line {i}".encode() for i in range(REQUESTS)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(lambda body: post(url, body), bodies))
        refused = list(
            pool.map(
                lambda body: post(url.replace(server.token, "fpt_not-a-token"), body), bodies[:5]
            )
        )
    assert codes == [200] * REQUESTS
    assert refused == [401] * 5

    # Both workers served ingest requests, each counting in its own file ...
    per_worker = stored_per_worker(server.metrics_dir)
    assert len([v for v in per_worker.values() if v > 0]) == 2, per_worker
    assert "counter_1.db" not in per_worker

    # ... and every scrape, whichever worker answers it, reports their sum.
    scrapes = [scrape(server) for _ in range(6)]

    def delta(name: str, **labels) -> float:
        key = (name, tuple(sorted(labels.items())))
        return scrapes[0][key] - before.get(key, 0.0)

    assert sum(per_worker.values()) == delta("faultportal_ingest_requests_total", outcome="stored")
    assert delta("faultportal_ingest_requests_total", outcome="stored") == REQUESTS
    assert delta("faultportal_ingest_lines_total", outcome="stored") == REQUESTS
    assert delta("faultportal_ingest_requests_total", outcome="unauthenticated") == 5
    assert delta("faultportal_ingest_lines_refused_total", reason="unauthenticated") == 5
    assert delta("faultportal_ingest_request_seconds_count") == REQUESTS + 5
    # One-line requests are written by group commits: their batches hold every row.
    assert delta("faultportal_group_commit_batch_rows_sum") == REQUESTS
    assert 1 <= delta("faultportal_group_commit_batch_rows_count") <= REQUESTS
    assert delta("faultportal_http_responses_total", status="200") >= REQUESTS
    for other in scrapes[1:]:
        for name in ("faultportal_ingest_requests_total", "faultportal_ingest_lines_total"):
            key = (name, (("outcome", "stored"),))
            assert other[key] == scrapes[0][key]
