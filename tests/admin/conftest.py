"""The back-office tool as the collectivity runs it: `python -m deploy.admin ...` in a process
of its own, against the test session's services."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


class Admin:
    def run(self, *args, check=True):
        """(exit status, stdout, stderr) of one command."""
        result = subprocess.run([sys.executable, "-m", "deploy.admin", *map(str, args)],
                                cwd=ROOT, env=dict(os.environ), capture_output=True, text=True,
                                timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"portail-admin {' '.join(map(str, args))} failed "
                                 f"({result.returncode}): {result.stderr}")
        return result.returncode, result.stdout, result.stderr

    def json(self, *args):
        """The services' answer of one command (`--json`)."""
        return json.loads(self.run("--json", *args)[1])


@pytest.fixture(scope="session")
def admin(backoffice):
    # `backoffice` starts the services and seeds the collectivity's profile.
    return Admin()
