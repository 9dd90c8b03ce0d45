import pytest

from cluster.cache import status_cache_invalidate
from logs.volume import log_volume_forget
from tests.cluster.fake_hadoop import FakeDaemon


@pytest.fixture(autouse=True)
def _fresh_status_cache():
    """The test database is rolled back after each test, the cache is not: start a generation,
    and forget the log volume counted for another test's lines."""
    status_cache_invalidate()
    log_volume_forget()
    yield


@pytest.fixture
def daemon():
    """daemon() -> a started FakeDaemon (a Hadoop web port on loopback), stopped afterwards."""
    started: list[FakeDaemon] = []

    def make() -> FakeDaemon:
        fake = FakeDaemon().start()
        started.append(fake)
        return fake

    yield make
    for fake in started:
        fake.stop()
