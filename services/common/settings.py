"""Settings from environment variables: the one place that reads them.

Every process (services, gateway, bank stub, tools) reads its settings here, so that
docker-compose.yml, the local runner and the tests all speak the same names.
"""
import os
from dataclasses import dataclass, field

SERVICES = ("accounts", "children", "billing", "messaging", "requests")

# Names of every setting, for documentation and for the compose/runner consistency test.
SETTING_NAMES = (
    "AMQP_URI",
    "DATABASE_URL",
    "DATABASE_PREFIX",
    *(f"{name.upper()}_DATABASE_URL" for name in SERVICES),
    "RPC_TIMEOUT",
    "GATEWAY_HOST",
    "GATEWAY_PORT",
    "GATEWAY_SECRET_KEY",
    "GATEWAY_THREADS",
    "PAGE_CACHE_SECONDS",
    "SESSION_TRUST_SECONDS",
    "SESSION_COOKIE_SECURE",
    "BANK_STUB_HOST",
    "BANK_STUB_PORT",
    "BANK_STUB_URL",
    "PORTAIL_URL",
    "PORTAIL_INTERNAL_URL",
    "PAYFIP_NUMCLI",
    "PAYFIP_SAISIE",
    "CHILDREN_DATA_KEY",
    "ACCOUNTS_DATA_KEY",
    "REQUESTS_DATA_KEY",
    "BILLING_DATA_KEY",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USER",
    "SMTP_PASSWORD",
    "SMTP_STARTTLS",
    "SMTP_FROM",
)


# Only for a development machine: a deployment sets its own CHILDREN_DATA_KEY.
DEV_CHILDREN_DATA_KEY = "dev-only-children-data-key-change-me"
# Same for the bank details (accounts, billing) and the pending requests' values (requests).
DEV_ACCOUNTS_DATA_KEY = "dev-only-accounts-data-key-change-me"
DEV_REQUESTS_DATA_KEY = "dev-only-requests-data-key-change-me"
DEV_BILLING_DATA_KEY = "dev-only-billing-data-key-change-me"


@dataclass(frozen=True)
class Settings:
    amqp_uri: str
    database_url: str  # the server, without a database name
    database_prefix: str  # each service's database is <prefix>_<service>
    database_overrides: dict
    rpc_timeout: float
    gateway_host: str
    gateway_port: int
    gateway_secret_key: str
    gateway_threads: int
    page_cache_seconds: float  # gateway/page_cache.py
    session_trust_seconds: float  # gateway/session_trust.py
    session_cookie_secure: bool
    bank_stub_host: str
    bank_stub_port: int
    bank_stub_url: str
    # Online payment (billing): the gateway's address as the parent's browser sees it (the
    # bank's urlredirect) and as the bank's servers reach it (urlnotif); the PayFiP client
    # number and mode (T test, X activation, W production).
    portail_url: str
    portail_internal_url: str
    payfip_numcli: str
    payfip_saisie: str
    # Encrypts children's health data at rest (children service). Kept out of repr() so that
    # it never reaches a log.
    children_data_key: str = field(default=DEV_CHILDREN_DATA_KEY, repr=False)
    # Encrypt IBANs (accounts, billing) and the values of pending requests (requests: IBAN,
    # health data) at rest, each service under its own key.
    accounts_data_key: str = field(default=DEV_ACCOUNTS_DATA_KEY, repr=False)
    requests_data_key: str = field(default=DEV_REQUESTS_DATA_KEY, repr=False)
    billing_data_key: str = field(default=DEV_BILLING_DATA_KEY, repr=False)
    # Outgoing email (messaging). `make run` points them at its local mail sink.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = False
    smtp_from: str = "Portail Famille <portail-famille@localhost>"

    def database_name(self, service):
        return f"{self.database_prefix}_{service}"

    def service_database_url(self, service):
        """SQLAlchemy URL of one service's own database."""
        if service in self.database_overrides:
            return self.database_overrides[service]
        return f"{self.database_url.rstrip('/')}/{self.database_name(service)}"

    @property
    def nameko_config(self):
        return {"AMQP_URI": self.amqp_uri}


def _bool(value):
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _trust_seconds(value):
    seconds = float(value)
    # Longer than accounts' activity rhythm (5 min) and a session idle for 30 min could be
    # trusted after its end (gateway/session_trust.py).
    if not 0 <= seconds <= 300:
        raise ValueError("SESSION_TRUST_SECONDS must be between 0 and 300")
    return seconds


def load(env=None):
    env = os.environ if env is None else env
    overrides = {
        name: env[f"{name.upper()}_DATABASE_URL"]
        for name in SERVICES
        if env.get(f"{name.upper()}_DATABASE_URL")
    }
    bank_port = int(env.get("BANK_STUB_PORT", "8001"))
    timeout = float(env.get("RPC_TIMEOUT", "5"))
    portail_url = env.get("PORTAIL_URL") or f"http://127.0.0.1:{env.get('GATEWAY_PORT', '8000')}"
    if not 0 < timeout <= 5:
        raise ValueError("RPC_TIMEOUT must be between 0 and 5 seconds")
    return Settings(
        amqp_uri=env.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
        database_url=env.get("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432"),
        database_prefix=env.get("DATABASE_PREFIX", "portail"),
        database_overrides=overrides,
        rpc_timeout=timeout,
        gateway_host=env.get("GATEWAY_HOST", "127.0.0.1"),
        gateway_port=int(env.get("GATEWAY_PORT", "8000")),
        gateway_secret_key=env.get("GATEWAY_SECRET_KEY", ""),
        gateway_threads=int(env.get("GATEWAY_THREADS", "16")),
        page_cache_seconds=float(env.get("PAGE_CACHE_SECONDS", "2")),
        session_trust_seconds=_trust_seconds(env.get("SESSION_TRUST_SECONDS", "300")),
        session_cookie_secure=_bool(env.get("SESSION_COOKIE_SECURE", "false")),
        bank_stub_host=env.get("BANK_STUB_HOST", "127.0.0.1"),
        bank_stub_port=bank_port,
        bank_stub_url=env.get("BANK_STUB_URL", f"http://127.0.0.1:{bank_port}"),
        portail_url=portail_url,
        portail_internal_url=env.get("PORTAIL_INTERNAL_URL") or portail_url,
        payfip_numcli=env.get("PAYFIP_NUMCLI", "000123"),
        payfip_saisie=env.get("PAYFIP_SAISIE", "T"),
        children_data_key=env.get("CHILDREN_DATA_KEY") or DEV_CHILDREN_DATA_KEY,
        accounts_data_key=env.get("ACCOUNTS_DATA_KEY") or DEV_ACCOUNTS_DATA_KEY,
        requests_data_key=env.get("REQUESTS_DATA_KEY") or DEV_REQUESTS_DATA_KEY,
        billing_data_key=env.get("BILLING_DATA_KEY") or DEV_BILLING_DATA_KEY,
        smtp_host=env.get("SMTP_HOST", "127.0.0.1"),
        smtp_port=int(env.get("SMTP_PORT", "8025")),
        smtp_user=env.get("SMTP_USER", ""),
        smtp_password=env.get("SMTP_PASSWORD", ""),
        smtp_starttls=_bool(env.get("SMTP_STARTTLS", "false")),
        smtp_from=env.get("SMTP_FROM", "Portail Famille <portail-famille@localhost>"),
    )
