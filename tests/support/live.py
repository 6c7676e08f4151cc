"""The portal over real HTTP, for the tests that need more than Flask's test client: the
gateway served on GATEWAY_PORT (where billing's urlnotif points) and the bank stub as its own
process (`python -m bank_stub` on BANK_STUB_PORT). Session fixtures, registered in
tests/conftest.py: the billing tests and the browser tests share one of each."""
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from waitress.server import create_server
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


class Stub:
    def __init__(self, url):
        self.url = url

    def control(self, path, payload=None):
        response = requests.post(f"{self.url}/controle/{path}", json=payload or {}, timeout=5)
        response.raise_for_status()
        return response.json()

    def operation(self, idop):
        return requests.get(f"{self.url}/controle/operations/{idop}", timeout=5).json()


@pytest.fixture(scope="session")
def bank_stub(settings, tmp_path_factory):
    """`python -m bank_stub` as its own process on the test port (BANK_STUB_PORT)."""
    log = open(tmp_path_factory.mktemp("stub") / "bank_stub.log", "ab")
    process = subprocess.Popen([sys.executable, "-m", "bank_stub"], cwd=ROOT,
                               env=dict(os.environ), stdout=log, stderr=log)
    url = settings.bank_stub_url

    def up():
        try:
            return requests.get(f"{url}/sante", timeout=1).ok
        except requests.RequestException:
            return False
    assert wait_for(up, timeout=20), "the bank stub did not start"
    yield Stub(url)
    process.terminate()
    process.wait(10)
    log.close()


@pytest.fixture(scope="session")
def live_gateway(app, settings):
    """The gateway app served on GATEWAY_PORT, where billing's urlnotif points."""
    server = create_server(app, host="127.0.0.1", port=settings.gateway_port, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{settings.gateway_port}"
    server.close()
