"""An over-limit body is answered 413 after it is read, so a client that writes its whole body
before reading the answer (Python's urllib here; Java's HttpURLConnection, as Flume's sink
uses) gets the status rather than a broken pipe, which the sink would retry forever."""

import json

import pytest

from tests.logs.test_upload_live import create_token, post
from tests.support.server import PortalServer

pytestmark = pytest.mark.mariadb

LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def small_limit_server(migrated_mariadb, tmp_path_factory):
    server = PortalServer(
        {
            "DATABASE_URL": migrated_mariadb,
            "REDIS_URL": "",
            "INGEST_MAX_BODY_BYTES": str(LIMIT),
        },
        workers=1,
        threads=2,
        log_path=tmp_path_factory.mktemp("too-large") / "gunicorn.log",
    )
    with server:
        yield server, create_token(migrated_mariadb)


@pytest.mark.parametrize("size", [LIMIT + 1, 8 * 1024 * 1024])
def test_a_client_that_writes_the_whole_body_first_sees_the_413(small_limit_server, size):
    server, token = small_limit_server
    url = f"{server.url}/api/log/auto-upload?host=big-dn01&token={token}"
    for _ in range(3):  # the same connection behaviour every time, not a lucky buffer
        status, _, body = post(url, b"x" * size, timeout=30)
        assert status == 413
        assert json.loads(body)["code"] == "payload_too_large"
    # and the server goes on answering
    assert post(url, b"a line that fits")[0] == 200
