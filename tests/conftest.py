"""Shared fixtures: `settings`, `services`, `rpc` (and nameko's `rabbit_config`).

The session runs against its own databases and RabbitMQ vhost (tests/harness.py): a running
`make run` is neither disturbed nor consuming the tests' messages.
"""
# nameko's in-process tests (container_factory, entrypoint_hook) need eventlet's patching,
# and it must come before anything opens a socket or starts a thread.
import os
import warnings

# Hypothesis loads its plugins' entry points on import, trio's among them (installed with
# selenium), and trio cannot be imported once eventlet has patched the socket module.
os.environ["HYPOTHESIS_NO_PLUGINS"] = "1"

with warnings.catch_warnings():  # its deprecation notice is not news to us
    warnings.simplefilter("ignore")
    import eventlet

eventlet.monkey_patch()


import pytest  # noqa: E402

from services.common import settings as settings_module  # noqa: E402

try:
    from tests import harness  # noqa: E402
except ImportError:  # pytest run without the repository root on sys.path
    import harness  # noqa: E402

# The gateway over HTTP and the bank stub process, shared by the billing and browser tests.
from tests.support.live import bank_stub, live_gateway  # noqa: E402, F401

_ORIGINAL_ENVIRON = dict(os.environ)


def _use_env(env):
    """Make `env` this process's environment: code under test that calls settings.load(), or
    a tool a test runs, then sees the test settings, never the real databases."""
    for name in settings_module.SETTING_NAMES:
        os.environ.pop(name, None)
    os.environ.update(env)


_TEST_ENV = harness.test_env(_ORIGINAL_ENVIRON)
_use_env(_TEST_ENV)


@pytest.fixture(scope="session")
def settings():
    """Test settings, with fresh migrated databases, a fresh vhost and the events declared."""
    with harness.exclusive():
        infrastructure = harness.Infrastructure(_ORIGINAL_ENVIRON, _TEST_ENV)
        try:
            loaded = infrastructure.start()
        except harness.HarnessError as exc:
            infrastructure.stop()
            pytest.exit(f"test infrastructure: {exc}", returncode=3)
        _use_env(infrastructure.env)  # containers may have changed the addresses
        try:
            yield loaded
        finally:
            infrastructure.stop()


@pytest.fixture(scope="session")
def services(settings, tmp_path_factory):
    """Every nameko service of deploy/processes.py, as real processes, once per session.

    `services.down("accounts")` (a context manager), `services.stop(name)`,
    `services.start(name)`, `services.restart(name)` for "service unavailable" tests.
    """
    group = harness.ServiceGroup(dict(os.environ), settings, tmp_path_factory.mktemp("logs"))
    problem = None
    try:
        group.start_all()
    except harness.HarnessError as exc:
        problem = str(exc)  # failed outside the except block: the tail is printed once
    if problem:
        group.stop_all()
        pytest.fail(problem, pytrace=False)
    yield group
    group.stop_all()


@pytest.fixture(autouse=True)
def _services_survive(request):
    """After a test that used the services: report one that died (with its log tail), and
    restart any that is down so the next test finds them all."""
    group = request.getfixturevalue("services") if "services" in request.fixturenames else None
    yield
    if group is None:
        return
    died = group.died()
    group.revive()
    if died:
        pytest.fail("\n".join(f"service {name} {tail}" for name, tail in died.items()),
                    pytrace=False)


@pytest.fixture
def rpc(settings, services):
    """A started nameko ClusterRpcProxy on the test vhost: `rpc.accounts.health()`."""
    from nameko.standalone.rpc import ClusterRpcProxy

    cluster = ClusterRpcProxy(settings.nameko_config, timeout=settings.rpc_timeout)
    proxy = cluster.start()
    yield proxy
    cluster.stop()


@pytest.fixture
def rabbit_config(settings):
    """Replaces nameko's fixture (which needs the closed management API) for container_factory.
    Mind that an in-process container and the `services` process of the same name would
    compete for the same queue."""
    return dict(settings.nameko_config)


@pytest.fixture(scope="session")
def backoffice(settings, services):
    """What the collectivity's back office uses: an RpcClient (`backoffice.call(...)`)."""
    from services.common.rpc import RpcClient
    from tests.support.families import ensure_demo

    ensure_demo(settings)  # the collectivity's profile, which creating families needs
    client = RpcClient(settings, size=2, circuit_seconds=0)
    yield client
    client.close()


@pytest.fixture(scope="session")
def mail_sink(settings, tmp_path_factory):
    """The SMTP server the messaging service sends to, as a real process."""
    from tests.support.mailsink import MailSink

    sink = MailSink(settings, tmp_path_factory.mktemp("mail") / "boite").start()
    yield sink
    sink.stop()


class _ServiceDatabases(dict):
    """service name -> an engine on its test database, made when first asked for."""

    def __init__(self, settings):
        super().__init__()
        self.settings = settings

    def __missing__(self, service):
        from services.common.db import make_engine

        engine = self[service] = make_engine(self.settings.service_database_url(service),
                                             pool_size=2)
        return engine


@pytest.fixture(scope="session")
def service_db(settings):
    """A test's own look into a service's database: `service_db["billing"]` (tests only: no
    service reads another's tables)."""
    engines = _ServiceDatabases(settings)
    yield engines
    for engine in engines.values():
        engine.dispose()


@pytest.fixture(scope="session")
def messaging_db(service_db):
    """To watch what messaging queued."""
    return service_db["messaging"]


@pytest.fixture(scope="session")
def app(settings, services):
    """The gateway's Flask app, against the real services."""
    from gateway.app import create_app
    from tests.support.families import ensure_demo

    ensure_demo(settings)
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    app.extensions["rpc"].close()


@pytest.fixture
def client(app):
    app.extensions["rpc"].open_circuits.clear()  # a previous test may have stopped a service
    return app.test_client()


def pytest_collection_modifyitems(items):
    """The fault tests kill services and the broker: they run after everything else, so that
    a failure there cannot look like a failure of another test."""
    items.sort(key=lambda item: item.nodeid.startswith("tests/faults/"))
