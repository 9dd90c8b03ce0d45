"""GET /metrics read by prometheus-client's own parser: who may scrape, every metric, values
that move with what the portal does (the live two-worker case is in test_metrics_live.py)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from faultportal.retention_runs import prune_run_finish, prune_run_start
from tests.cluster.snapshots import store_snapshot
from tests.dashboard.pages_data import add_fault

pytestmark = pytest.mark.django_db

URL = "/api/log/auto-upload"
TS = "2026-11-28 10:15:32,123"


def scrape(client=None, **extra) -> dict:
    response = (client or Client()).get("/metrics", REMOTE_ADDR="127.0.0.1", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        family.name: family for family in text_string_to_metric_families(response.content.decode())
    }


def value(families: dict, family: str, sample: str | None = None, **labels) -> float | None:
    for s in families[family].samples:
        if s.name == (sample or family) and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None


EVERY_METRIC = {
    # family name as the parser reports it (counters without _total)
    "faultportal_ingest_requests": "counter",
    "faultportal_ingest_lines": "counter",
    "faultportal_ingest_lines_refused": "counter",
    "faultportal_http_responses": "counter",
    "faultportal_group_commit_batch_rows": "histogram",
    "faultportal_ingest_request_seconds": "histogram",
    "faultportal_detection_seconds": "histogram",
    "faultportal_faults_open": "gauge",
    "faultportal_faults_open_by_severity": "gauge",
    "faultportal_collector_age_seconds": "gauge",
    "faultportal_collector_last_snapshot_timestamp_seconds": "gauge",
    "faultportal_prune_rows": "gauge",
    "faultportal_prune_running": "gauge",
    "faultportal_prune_last_finished_timestamp_seconds": "gauge",
    "faultportal_prune_last_failed": "gauge",
}


def test_only_an_allowed_address_or_the_token_may_scrape(settings):
    settings.METRICS_TOKEN = "s3cret-metrics"
    client = Client()
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    refused = client.get("/metrics", REMOTE_ADDR="10.20.0.5")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert (
        client.get(
            "/metrics", REMOTE_ADDR="10.20.0.5", HTTP_AUTHORIZATION="Bearer s3cret-metrics"
        ).status_code
        == 200
    )
    wrong = client.get("/metrics", REMOTE_ADDR="10.20.0.5", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 403
    settings.METRICS_ALLOWED_NETWORKS = []
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    assert client.post("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 405


def test_every_metric_is_present_and_moves_with_what_the_portal_does(make_token):
    now = timezone.now()
    store_snapshot(at=now - timedelta(minutes=4))
    add_fault(severity="critical", code="too_many_open_files")
    add_fault(severity="critical", code="too_many_open_files")
    run = prune_run_start(table="system_logs", cutoff=now - timedelta(days=30))
    prune_run_finish(run=run, rows=1234)
    token = make_token("ingest")
    before = scrape()

    client = Client()

    def post(body: bytes, query: str = f"?host=dn01&token={token}"):
        return client.generic("POST", URL + query, body, content_type="text/plain")

    assert post(f"{TS} INFO org.apache.Foo: one".encode()).status_code == 200
    assert post(f"{TS} INFO a: x\n{TS} INFO a: y\n{TS} INFO a: z".encode()).status_code == 200
    assert post(b"x", query="?host=dn01&token=fpt_wrong").status_code == 401
    with mock.patch("logs.api.views.system_logs_ingest", side_effect=OperationalError("gone away")):
        assert post(f"{TS} INFO a: x\n{TS} INFO a: y".encode()).status_code == 503
    after = scrape()

    for name, kind in EVERY_METRIC.items():
        assert name in after, name
        assert after[name].type == kind, name

    def delta(family, sample=None, **labels):
        return value(after, family, sample, **labels) - (
            value(before, family, sample, **labels) or 0
        )

    assert (
        delta("faultportal_ingest_requests", "faultportal_ingest_requests_total", outcome="stored")
        == 2
    )
    assert (
        delta("faultportal_ingest_lines", "faultportal_ingest_lines_total", outcome="stored") == 4
    )
    assert (
        delta(
            "faultportal_ingest_requests",
            "faultportal_ingest_requests_total",
            outcome="unauthenticated",
        )
        == 1
    )
    refused = "faultportal_ingest_lines_refused"
    assert delta(refused, refused + "_total", reason="unavailable") == 2  # its 2 lines
    assert delta(refused, refused + "_total", reason="unauthenticated") == 1
    responses = "faultportal_http_responses"
    assert delta(responses, responses + "_total", status="503") == 1
    assert delta(responses, responses + "_total", status="401") == 1
    seconds = "faultportal_ingest_request_seconds"
    assert delta(seconds, seconds + "_count") == 4
    detection = "faultportal_detection_seconds"
    assert delta(detection, detection + "_count") == 2  # the requests that reached storage

    assert (
        value(after, "faultportal_faults_open", severity="critical", type="too_many_open_files")
        == 2
    )
    assert value(after, "faultportal_faults_open_by_severity", severity="critical") == 2
    assert value(after, "faultportal_faults_open_by_severity", severity="info") == 0
    assert 240 <= value(after, "faultportal_collector_age_seconds") < 300
    assert value(after, "faultportal_prune_rows", table="system_logs") == 1234
    assert value(after, "faultportal_prune_running", table="system_logs") == 0
    assert value(after, "faultportal_prune_last_failed", table="system_logs") == 0


def test_the_dashboard_and_the_alert_rules_in_docs_use_metrics_the_portal_serves():
    import json
    import re

    import yaml

    from tests.support.services import REPO_ROOT

    now = timezone.now()
    store_snapshot(at=now)
    add_fault(severity="minor")
    prune_run_finish(run=prune_run_start(table="system_logs", cutoff=now), rows=0)
    served = set()
    for family in scrape().values():
        served.update(sample.name for sample in family.samples)

    docs = REPO_ROOT / "docs" / "monitoring"
    rules = yaml.safe_load((docs / "prometheus-alerts.yml").read_text())["groups"][0]["rules"]
    assert rules and all(rule["alert"] and rule["expr"] for rule in rules)
    dashboard = json.loads((docs / "grafana-dashboard.json").read_text())
    exprs = [rule["expr"] for rule in rules] + [
        target["expr"] for panel in dashboard["panels"] for target in panel["targets"]
    ]
    used = {name for expr in exprs for name in re.findall(r"\bfaultportal_[a-z_]+", expr)}
    assert used and used <= served, sorted(used - served)
