"""The one list of long-running processes of Portail Famille.

`deploy.run` starts them, the test harness starts the services among them, and
tests/test_deploy.py checks that docker-compose.yml runs exactly these, with these commands.
A new nameko service is one more `_service(...)` line in PROCESSES.
"""
import sys
from dataclasses import dataclass

from services.common.settings import SERVICES


@dataclass(frozen=True)
class Process:
    name: str
    command: tuple  # argv as an operator types it ("python", "-m", ...)
    reads: tuple  # names of the settings (services.common.settings.SETTING_NAMES) it reads
    required: tuple  # those that a deployment must set: their defaults only fit one machine
    kind: str  # "service": nameko, health by RPC; "http": health by GET /sante

    def argv(self, python=None):
        """The command with this interpreter, so that a venv runs its own packages."""
        return (python or sys.executable, *self.command[1:])

    def health_url(self, settings):
        host, port = {
            "gateway": (settings.gateway_host, settings.gateway_port),
            "bank_stub": (settings.bank_stub_host, settings.bank_stub_port),
        }[self.name]
        if host in ("", "0.0.0.0", "::"):  # listening everywhere: ask on loopback
            host = "127.0.0.1"
        return f"http://{host}:{port}/sante"


_DATABASE = ("DATABASE_URL", "DATABASE_PREFIX")


def _service(name):
    return Process(
        name=name,
        command=("python", "-m", f"services.{name}"),
        reads=("AMQP_URI", *_DATABASE, f"{name.upper()}_DATABASE_URL", "RPC_TIMEOUT"),
        required=("AMQP_URI", "DATABASE_URL"),
        kind="service",
    )


PROCESSES = (
    _service("accounts"),
    Process(
        name="gateway",
        command=("python", "-m", "gateway"),
        reads=("AMQP_URI", "RPC_TIMEOUT", "GATEWAY_HOST", "GATEWAY_PORT", "GATEWAY_SECRET_KEY",
               "GATEWAY_THREADS", "SESSION_COOKIE_SECURE", "BANK_STUB_URL"),
        required=("AMQP_URI", "GATEWAY_HOST", "GATEWAY_SECRET_KEY", "BANK_STUB_URL"),
        kind="http",
    ),
    Process(
        name="bank_stub",
        command=("python", "-m", "bank_stub"),
        reads=("BANK_STUB_HOST", "BANK_STUB_PORT"),
        required=("BANK_STUB_HOST",),
        kind="http",
    ),
)

# The one-shot job that prepares databases and broker before the processes start.
MIGRATE = Process(
    name="migrate",
    command=("python", "-m", "deploy.migrate"),
    reads=("AMQP_URI", *_DATABASE, *(f"{name.upper()}_DATABASE_URL" for name in SERVICES)),
    required=("AMQP_URI", "DATABASE_URL"),
    kind="job",
)


def services():
    """The nameko services among the processes."""
    return [p for p in PROCESSES if p.kind == "service"]


def by_name(name):
    for process in PROCESSES:
        if process.name == name:
            return process
    raise KeyError(name)
