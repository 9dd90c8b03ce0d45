"""X-Forwarded-For / -Proto are believed from TRUSTED_PROXIES only (faultportal/proxy.py).

Live through nginx: tests/deploy/test_nginx_front.py. Here, what each view then sees."""

import ipaddress

import pytest
from django.test import Client

from logs.models import SystemLog

pytestmark = pytest.mark.django_db

LOOPBACK = [ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("::1/128")]


@pytest.fixture(autouse=True)
def _proxies(settings):
    settings.TRUSTED_PROXIES = LOOPBACK


def test_metrics_behind_the_proxy_sees_the_real_sender_not_loopback():
    client = Client()
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    proxied = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert proxied.status_code == 403


def test_a_sender_that_is_not_the_proxy_cannot_claim_loopback():
    forged = Client().get("/metrics", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert forged.status_code == 403


def test_ingest_host_fallback_is_the_forwarded_sender(make_token):
    token = make_token("ingest")
    url = f"/api/log/auto-upload?token={token}"
    client = Client()
    proxied = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "10.0.3.68"}
    assert client.post(url, b"one", content_type="text/plain", **proxied).status_code == 200
    forged = {"REMOTE_ADDR": "10.0.3.99", "HTTP_X_FORWARDED_FOR": "10.0.3.68"}
    assert client.post(url, b"two", content_type="text/plain", **forged).status_code == 200
    chained = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 10.0.3.70, ::1"}
    assert client.post(url, b"three", content_type="text/plain", **chained).status_code == 200
    hosts = dict(SystemLog.objects.values_list("raw", "host"))
    assert hosts == {"one": "10.0.3.68", "two": "10.0.3.99", "three": "10.0.3.70"}


def test_forwarded_proto_counts_from_the_proxy_only(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    client = Client()
    proxied = client.get("/admin/login/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200
    forged = client.get("/admin/login/", REMOTE_ADDR="10.0.3.99", HTTP_X_FORWARDED_PROTO="https")
    assert forged.status_code == 301 and forged["Location"].startswith("https://")
