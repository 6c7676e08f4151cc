"""`python -m deploy.run` (what `make run` calls): the whole portal on this machine.

Checks that PostgreSQL and RabbitMQ answer (starting a local one that is installed but
stopped), migrates, seeds the demo family, starts every process of deploy/processes.py, waits
for their health, prints the address and the demo login. Ctrl-C stops everything; so does the
death of any process.
"""
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from deploy.demo import DEMO_LOGIN
from deploy.processes import DEV_MAIL_SINK, PROCESSES
from deploy.supervise import Child, stop_all, wait_healthy
from services.common import settings as settings_module


@dataclass(eq=False)  # hashable by identity: used as a dict key
class Dependency:
    name: str  # as a person calls it: "PostgreSQL", "RabbitMQ"
    setting: str  # the setting that says where it is
    host: str
    port: int
    login: object  # callable raising when the server refuses us
    start_command: list  # how to start a local one installed from Debian's packages


def _is_local(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _postgres_login(url):
    def login():
        import sqlalchemy as sa

        engine = sa.create_engine(url, poolclass=sa.pool.NullPool,
                                  connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        finally:
            engine.dispose()
    return login


def _rabbitmq_login(uri):
    def login():
        from kombu import Connection

        with Connection(uri, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    return login


def _postgres_start_command():
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions or not shutil.which("pg_ctlcluster"):
        return None
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"]


def dependencies(settings):
    """The servers the portal needs, each with how to log in (one per distinct PostgreSQL)."""
    from sqlalchemy.engine import make_url

    found = []
    # The maintenance database: the services' own may not exist before the first migration.
    urls = [f"{settings.database_url.rstrip('/')}/postgres", *settings.database_overrides.values()]
    seen = set()
    for url in urls:
        parsed = make_url(url)
        address = (parsed.host or "127.0.0.1", parsed.port or 5432)
        if address in seen:
            continue
        seen.add(address)
        # The local packages' server listens on the standard port: starting it helps only there.
        start = _postgres_start_command() if address[1] == 5432 else None
        found.append(Dependency("PostgreSQL", "DATABASE_URL", *address, _postgres_login(url), start))
    amqp = urlsplit(settings.amqp_uri)
    port = amqp.port or 5672
    start = ["rabbitmq-server", "-detached"] if shutil.which("rabbitmq-server") and port == 5672 else None
    found.append(Dependency("RabbitMQ", "AMQP_URI", amqp.hostname or "127.0.0.1", port,
                            _rabbitmq_login(settings.amqp_uri), start))
    return found


def port_open(host, port, timeout=2):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def check(dep):
    """None when `dep` answers and lets us in, else a sentence saying what is wrong."""
    where = f"{dep.name} at {dep.host}:{dep.port} ({dep.setting})"
    if not port_open(dep.host, dep.port):
        return f"{where} is not reachable: nothing listens on that port"
    try:
        dep.login()
    except Exception as exc:  # refused login, unknown vhost or database...
        cause = getattr(exc, "orig", None) or exc  # the driver's message, without SQLAlchemy's
        return f"{where} answers but refuses us: {str(cause).strip() or type(cause).__name__}"
    return None


def check_all(settings):
    """{dependency: problem} for every dependency that is not usable (empty: all good)."""
    return {dep: problem for dep in dependencies(settings) if (problem := check(dep))}


def ensure_dependencies(settings, wait=60):
    return ensure(dependencies(settings), wait)


def ensure(deps, wait=60):
    """Check, start local stopped servers, wait for them. False (after saying why) on failure."""
    problems = {dep: problem for dep in deps if (problem := check(dep))}
    starting, ok = [], True
    for dep, problem in problems.items():
        if port_open(dep.host, dep.port):  # it answers: starting it again would not help
            print(f"{problem}.\n  Check the address and credentials in {dep.setting}.",
                  file=sys.stderr)
            ok = False
        elif dep.start_command and _is_local(dep.host):
            print(f"{problem}: starting it ({' '.join(dep.start_command)})")
            subprocess.run(dep.start_command, check=False)
            starting.append(dep)
        else:
            compose_name = {"PostgreSQL": "postgres", "RabbitMQ": "rabbitmq"}.get(dep.name, "")
            print(f"{problem}.\n  Start it (your service manager, or `docker compose up -d "
                  f"{compose_name}`), or set {dep.setting} to a running one.", file=sys.stderr)
            ok = False
    deadline = time.monotonic() + wait
    for dep in starting:
        while (problem := check(dep)) is not None:
            if time.monotonic() > deadline:
                print(f"{problem} (still, {wait} s after starting it)", file=sys.stderr)
                return False
            time.sleep(1)
        print(f"{dep.name} is up")
    return ok


def busy_ports(settings):
    """Our HTTP ports already taken (by another `make run`, say), as sentences."""
    taken = []
    for setting, host, port in (("GATEWAY_PORT", settings.gateway_host, settings.gateway_port),
                                ("BANK_STUB_PORT", settings.bank_stub_host, settings.bank_stub_port)):
        with socket.socket() as sock:
            # As the servers do: a closed connection lingering in TIME_WAIT is no conflict.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError:
                taken.append(f"port {port} ({setting}) is already in use on {host}")
    return taken


def _step(title, module, env, *args):
    print(f"== {title}")
    result = subprocess.run([sys.executable, "-m", module, *args], env=env)
    if result.returncode != 0:
        print(f"{title} failed (python -m {' '.join((module, *args))} exited with "
              f"{result.returncode})", file=sys.stderr)
    return result.returncode == 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main():
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"  # children's logs appear as they are written
    if not env.get("GATEWAY_SECRET_KEY"):
        # Local use only: sessions end with this run. Deployments set their own key.
        env["GATEWAY_SECRET_KEY"] = secrets.token_urlsafe(32)
    settings = settings_module.load(env)
    signal.signal(signal.SIGTERM, _interrupt)

    if not ensure_dependencies(settings):
        return 1
    busy = busy_ports(settings)
    if busy:
        print("\n".join(busy) + ": stop what uses it, or set that variable.", file=sys.stderr)
        return 1
    if not (_step("migrations", "deploy.migrate", env) and _step("demo data", "deploy.demo", env)):
        return 1

    processes = list(PROCESSES)
    if _is_local(settings.smtp_host) and not port_open(settings.smtp_host, settings.smtp_port):
        processes.insert(0, DEV_MAIL_SINK)
    print("== starting " + ", ".join(p.name for p in processes))
    children = []
    try:
        for process in processes:
            children.append(Child(process, env).start())
        problems = wait_healthy(children, settings)
        if problems:
            for name, problem in problems.items():
                print(f"{name} {problem}; stopping everything.", file=sys.stderr)
            return 1
        # Billing learns the demo's bookings by events, now that the services run. The portal
        # works without these invoices: a failure is only reported.
        _step("this school year's demo invoices", "deploy.demo", env, "--invoice-elapsed-months")
        host = "127.0.0.1" if settings.gateway_host in ("", "0.0.0.0", "::") else settings.gateway_host
        print(f"\nPortail Famille: http://{host}:{settings.gateway_port}\n"
              f"Demo login: identifiant {DEMO_LOGIN[0]}, mot de passe {DEMO_LOGIN[1]}\n"
              + (f"Emails sent by the portal: .mail/ (SMTP {settings.smtp_host}:"
                 f"{settings.smtp_port})\n" if DEV_MAIL_SINK in processes else "") +
              "Ctrl-C stops everything.\n", flush=True)
        while True:
            for child in children:
                if not child.running():
                    print(f"{child.name} exited with code {child.returncode}; stopping everything.",
                          file=sys.stderr)
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping...", flush=True)
        return 0
    finally:
        # A second Ctrl-C must not leave children behind: they get killed after the timeout.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_all(children)
        if children:
            print("stopped: " + ", ".join(f"{c.name} ({c.returncode})" for c in children), flush=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # before any process was started (checks, migrations)
        sys.exit(130)
