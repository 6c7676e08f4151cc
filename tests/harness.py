"""The test harness: an environment isolated from a running `make run`, and the services of
deploy/processes.py as real processes.

Isolation: databases `portail_test_<service>` (dropped and migrated afresh each session) and a
RabbitMQ vhost `portail_test` (deleted and recreated), so that a running instance never
consumes the tests' messages. TEST_DATABASE_URL / TEST_AMQP_URI point the suite elsewhere;
with neither those nor local servers, but a Docker engine, testcontainers starts both.
"""
import contextlib
import fcntl
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from deploy import run
from deploy.processes import services as service_processes
from deploy.supervise import Child, stop_all, wait_healthy
from services.common import settings as settings_module

TEST_PREFIX = "portail_test"
TEST_VHOST = "portail_test"
# One test session at a time on a machine: two would drop each other's databases and vhost.
LOCK_PATH = Path(tempfile.gettempdir()) / "portail_test.lock"
HEALTH_TIMEOUT = 60


class HarnessError(Exception):
    """The suite cannot run here; the message says what to do."""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def with_vhost(amqp_uri, vhost):
    parts = urlsplit(amqp_uri)
    return urlunsplit(parts._replace(path="/" + vhost))


def test_env(environ):
    """The environment of the test session and of every process it starts.

    Built from the local defaults, not from DATABASE_URL/AMQP_URI, so that a shell set up
    for a real deployment cannot point the suite (which drops databases) at it.
    """
    defaults = settings_module.load({})
    env = {k: v for k, v in environ.items() if k not in settings_module.SETTING_NAMES}
    gateway_port, bank_port = free_port(), free_port()
    env.update({
        "DATABASE_URL": environ.get("TEST_DATABASE_URL") or defaults.database_url,
        "DATABASE_PREFIX": TEST_PREFIX,
        "AMQP_URI": environ.get("TEST_AMQP_URI") or with_vhost(defaults.amqp_uri, TEST_VHOST),
        "GATEWAY_PORT": str(gateway_port),
        "GATEWAY_SECRET_KEY": "test-secret-key",
        "BANK_STUB_PORT": str(bank_port),
        "BANK_STUB_URL": f"http://127.0.0.1:{bank_port}",
        # The messaging tests' mail sink (a real SMTP server process) listens here.
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
        # Tests change data (and end sessions) behind the pages' back and look at once; the
        # page cache and the session trust have their own tests (tests/gateway/).
        "PAGE_CACHE_SECONDS": "0",
        "SESSION_TRUST_SECONDS": "0",
    })
    return env


@contextlib.contextmanager
def exclusive(path=LOCK_PATH, timeout=900):
    """Hold the machine's test lock; wait for another session to finish first."""
    with open(path, "w") as lock:
        deadline = time.monotonic() + timeout
        said = False
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise HarnessError(f"another test session held {path} for {timeout} s")
                if not said:
                    print(f"\nwaiting for another test session ({path})...", file=sys.stderr)
                    said = True
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def reset_vhost(vhost=TEST_VHOST):
    """Delete and recreate the vhost: no queue or message of an earlier session survives."""
    if not shutil.which("rabbitmqctl"):
        raise HarnessError("rabbitmqctl not found: cannot create the test vhost. "
                           "Set TEST_AMQP_URI to a broker vhost reserved for tests.")
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True)
    for args in (["add_vhost", vhost], ["set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"]):
        result = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True)
        if result.returncode != 0:
            raise HarnessError(f"rabbitmqctl {' '.join(args)} failed: "
                               f"{(result.stderr or result.stdout).strip()} "
                               "(run as root, or set TEST_AMQP_URI)")


def reset_databases(settings):
    """Fresh databases migrated to head, for every service that has migrations."""
    from services.common import migrations

    for service in settings_module.SERVICES:
        if migrations.has_migrations(service):
            migrations.drop_database(settings, service)
            migrations.create_database(settings, service)
            migrations.upgrade(settings, service)


def docker_available():
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=15).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


class Infrastructure:
    """PostgreSQL and RabbitMQ for one session: given (TEST_*), local, or containers."""

    def __init__(self, environ, env=None):
        self.environ = environ
        self.env = dict(env) if env is not None else test_env(environ)
        self.containers = []

    def start(self):
        given_db = bool(self.environ.get("TEST_DATABASE_URL"))
        given_amqp = bool(self.environ.get("TEST_AMQP_URI"))
        given = [dep for dep in run.dependencies(settings_module.load(self.env))
                 if (given_db if dep.name == "PostgreSQL" else given_amqp)]
        problems = [problem for dep in given if (problem := run.check(dep))]
        if problems:
            raise HarnessError("; ".join(p.replace("DATABASE_URL", "TEST_DATABASE_URL")
                                         .replace("AMQP_URI", "TEST_AMQP_URI") for p in problems))
        local = [dep for dep in run.dependencies(settings_module.load({}))
                 if not (given_db if dep.name == "PostgreSQL" else given_amqp)]
        # Local servers installed but stopped are started, as `make run` does.
        if local and not run.ensure(local, wait=60):
            if not docker_available():
                raise HarnessError("no PostgreSQL/RabbitMQ for the tests (see above), and no "
                                   "Docker engine: start them, or set TEST_DATABASE_URL and "
                                   "TEST_AMQP_URI")
            self._start_containers({dep.name for dep in local if run.check(dep)})
        elif not given_amqp:
            reset_vhost()
        settings = settings_module.load(self.env)
        reset_databases(settings)
        from services.common import events

        events.declare_topology(settings)
        return settings

    def _start_containers(self, names):
        # Fresh containers are isolated by construction: their default vhost and databases.
        if "PostgreSQL" in names:
            from testcontainers.community.postgres import PostgresContainer

            pg = PostgresContainer("postgres:15", username="postgres", password="postgres",
                                   driver="psycopg")
            pg.start()
            self.containers.append(pg)
            self.env["DATABASE_URL"] = (f"postgresql+psycopg://postgres:postgres@"
                                        f"{pg.get_container_host_ip()}:{pg.get_exposed_port(5432)}")
        if "RabbitMQ" in names:
            from testcontainers.community.rabbitmq import RabbitMqContainer

            mq = RabbitMqContainer("rabbitmq:3-management")
            mq.start()
            self.containers.append(mq)
            self.env["AMQP_URI"] = (f"amqp://guest:guest@{mq.get_container_host_ip()}:"
                                    f"{mq.get_exposed_port(5672)}/")
        elif not self.environ.get("TEST_AMQP_URI"):
            reset_vhost()

    def stop(self):
        for container in reversed(self.containers):
            container.stop()


class ServiceGroup:
    """The nameko services as real processes, logging to `log_dir`/<name>.log.

    `stop(name)` / `start(name)` / `restart(name)`, or `with group.down(name):`, for tests of
    a service being unavailable; after each test the harness restarts whatever is not running.
    """

    def __init__(self, env, settings, log_dir):
        self.env = env
        self.settings = settings
        self.log_dir = Path(log_dir)
        self.children = {p.name: Child(p, env, log_path=self.log_dir / f"{p.name}.log")
                         for p in service_processes()}
        self.stopped = set()  # stopped on purpose by a test, as opposed to died

    @property
    def names(self):
        return list(self.children)

    def start_all(self):
        for child in self.children.values():
            child.start()
        self._wait(list(self.children.values()))

    def _wait(self, children):
        problems = wait_healthy(children, self.settings, timeout=HEALTH_TIMEOUT)
        if problems:
            raise HarnessError("\n".join(
                f"service {name} {problem}; end of {self.children[name].log_path}:\n"
                f"{self.children[name].tail()}" for name, problem in problems.items()))

    def stop(self, name):
        self.stopped.add(name)
        self.children[name].stop()

    def kill(self, name):
        """A crash: SIGKILL, no clean shutdown (what a fault test wants)."""
        self.stopped.add(name)
        child = self.children[name]
        if child.running():
            child.popen.kill()
            child.popen.wait()

    def start(self, name):
        child = self.children[name]
        if not child.running():
            child.start()
        self._wait([child])
        self.stopped.discard(name)

    def restart(self, name):
        self.stop(name)
        self.start(name)

    @contextlib.contextmanager
    def down(self, name):
        self.stop(name)
        try:
            yield
        finally:
            self.start(name)

    def died(self):
        """{name: log tail} of services that exited without a test stopping them."""
        return {name: f"exited with code {child.returncode}; end of {child.log_path}:\n"
                      f"{child.tail()}"
                for name, child in self.children.items()
                if not child.running() and child.popen is not None and name not in self.stopped}

    def revive(self):
        """Restart every service not running (died, or left stopped by a test)."""
        down = [c for c in self.children.values() if not c.running()]
        for child in down:
            child.start()
        self._wait(down)
        self.stopped.clear()

    def stop_all(self):
        stop_all(list(self.children.values()))

