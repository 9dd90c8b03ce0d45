import socket

import pytest

from tests.rca.fake_llm import FakeLLM

API_KEY = "sk-test-0123456789abcdef"


@pytest.fixture
def fake_llm():
    server = FakeLLM().start()
    yield server
    server.stop()


@pytest.fixture
def llm_configured(settings, fake_llm):
    """The LLM engine pointed at the loopback fake server."""
    settings.LLM_BASE_URL = fake_llm.base_url
    settings.LLM_MODEL = "test-model"
    settings.LLM_API_KEY = API_KEY
    settings.LLM_TIMEOUT = 2.0
    return fake_llm


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
