import pytest

from tests.cluster.fake_hadoop import FakeDaemon


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
