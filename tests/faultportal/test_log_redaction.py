"""No token in any log: gunicorn's access log (ACCESS_LOG=1) and the portal's own log records."""

import logging
import urllib.request

import pytest

from faultportal.logredact import RedactTokensFilter, redact
from tests.logs.test_upload_live import create_token, post
from tests.support.server import PortalServer


def test_redact_covers_query_tokens_encoded_tokens_and_authorization_headers():
    assert redact("POST /api/log/auto-upload?host=dn01&token=fpt_s3cret&x=1 HTTP/1.1") == (
        "POST /api/log/auto-upload?host=dn01&token=[redacted]&x=1 HTTP/1.1"
    )
    assert "fpt_s3cret" not in redact("/next?to=%2Fapi%3Ftoken%3Dfpt_s3cret")
    assert redact("Authorization: Token fpt_s3cret") == "Authorization: Token [redacted]"
    assert redact("a plain line about tokens") == "a plain line about tokens"


def test_the_portals_log_records_are_redacted(caplog):
    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "Bad request: %s",
        ("/x?token=fpt_abc",),
        None,
    )
    assert RedactTokensFilter().filter(record)
    assert record.getMessage() == "Bad request: /x?token=[redacted]"
    try:
        raise ValueError("GET /api/faults?token=fpt_abc failed")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    RedactTokensFilter().filter(record)
    assert "fpt_abc" not in logging.Formatter().format(record)


def test_the_settings_put_the_filter_on_the_console_handler():
    from django.conf import settings

    assert "redact_tokens" in settings.LOGGING["handlers"]["console"]["filters"]


@pytest.mark.mariadb
def test_gunicorns_access_log_never_holds_a_token(migrated_mariadb, tmp_path):
    log = tmp_path / "gunicorn.log"
    server = PortalServer(
        {"DATABASE_URL": migrated_mariadb, "REDIS_URL": "", "ACCESS_LOG": "1"},
        workers=1,
        threads=2,
        log_path=log,
    )
    with server:
        token = create_token(migrated_mariadb)
        status, _, _ = post(
            f"{server.url}/api/log/auto-upload?host=redact-dn01&token={token}", b"one line"
        )
        assert status == 200
        request = urllib.request.Request(
            f"{server.url}/api/health", headers={"Authorization": f"Token {token}"}
        )
        urllib.request.urlopen(request, timeout=10).read()
        status, _, _ = post(f"{server.url}/api/faults/?token={token}", b"")
        assert status in (401, 403, 405)  # a read token may not POST there: refused either way
    text = log.read_text()
    assert "/api/log/auto-upload?host=redact-dn01&token=[redacted]" in text
    assert token not in text
