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
    kind: str  # "service": nameko, health by RPC; "http": GET /sante; "tcp": the port accepts
    address: tuple = ()  # "http"/"tcp": names of its host and port settings (Settings fields)

    def argv(self, python=None):
        """The command with this interpreter, so that a venv runs its own packages."""
        return (python or sys.executable, *self.command[1:])

    def host_port(self, settings):
        host, port = (getattr(settings, field) for field in self.address)
        if host in ("", "0.0.0.0", "::"):  # listening everywhere: ask on loopback
            host = "127.0.0.1"
        return host, port

    def health_url(self, settings):
        host, port = self.host_port(settings)
        return f"http://{host}:{port}/sante"


_DATABASE = ("DATABASE_URL", "DATABASE_PREFIX")


def _service(name, reads=(), required=()):
    """A nameko service: `python -m services.<name>`; `reads`/`required`: its own settings
    beyond the broker, its database and the RPC timeout."""
    return Process(
        name=name,
        command=("python", "-m", f"services.{name}"),
        reads=("AMQP_URI", *_DATABASE, f"{name.upper()}_DATABASE_URL", "RPC_TIMEOUT", *reads),
        required=("AMQP_URI", "DATABASE_URL", *required),
        kind="service",
    )


PROCESSES = (
    # accounts encrypts the families' IBAN with its own key.
    _service("accounts", reads=("ACCOUNTS_DATA_KEY",), required=("ACCOUNTS_DATA_KEY",)),
    # children encrypts health data with its own key.
    _service("children", reads=("CHILDREN_DATA_KEY",), required=("CHILDREN_DATA_KEY",)),
    # messaging sends the notifications' emails and links back to the portal.
    _service("messaging", reads=("PORTAIL_URL", "SMTP_HOST", "SMTP_PORT", "SMTP_USER",
                                  "SMTP_PASSWORD", "SMTP_STARTTLS", "SMTP_FROM"),
             required=("SMTP_HOST", "PORTAIL_URL")),
    # billing also calls the bank partner and gives it the portal's addresses (online payment).
    # billing keeps the IBAN of direct-debit mandates encrypted with its own key.
    _service("billing", reads=("BANK_STUB_URL", "PORTAIL_URL", "PORTAIL_INTERNAL_URL",
                                "PAYFIP_NUMCLI", "PAYFIP_SAISIE", "BILLING_DATA_KEY"),
             required=("BILLING_DATA_KEY",)),
    # requests keeps the pending values (IBAN, health data) encrypted with its own key.
    _service("requests", reads=("REQUESTS_DATA_KEY",), required=("REQUESTS_DATA_KEY",)),
    Process(
        name="gateway",
        command=("python", "-m", "gateway"),
        reads=("AMQP_URI", "RPC_TIMEOUT", "GATEWAY_HOST", "GATEWAY_PORT", "GATEWAY_SECRET_KEY",
               "GATEWAY_THREADS", "PAGE_CACHE_SECONDS", "SESSION_TRUST_SECONDS",
               "SESSION_COOKIE_SECURE", "BANK_STUB_URL"),
        required=("AMQP_URI", "GATEWAY_HOST", "GATEWAY_SECRET_KEY", "BANK_STUB_URL"),
        kind="http",
        address=("gateway_host", "gateway_port"),
    ),
    Process(
        name="bank_stub",
        command=("python", "-m", "bank_stub"),
        reads=("BANK_STUB_HOST", "BANK_STUB_PORT"),
        required=("BANK_STUB_HOST",),
        kind="http",
        address=("bank_stub_host", "bank_stub_port"),
    ),
)

# Only for `make run` on a developer's machine: a local SMTP server that keeps the emails the
# portal sends (in .mail/), when SMTP_HOST is this machine and nothing listens there yet. A
# deployment sends through its own mail server.
DEV_MAIL_SINK = Process(
    name="mailsink",
    command=("python", "-m", "deploy.mailsink"),
    reads=("SMTP_HOST", "SMTP_PORT"),
    required=(),
    kind="tcp",
    address=("smtp_host", "smtp_port"),
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
