"""The messaging backbone: outbox → broker → idempotent handler, a late handler, timeouts and a
database wait that does not block the service. Real RabbitMQ, PostgreSQL and processes."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from kombu import Connection, Producer

from deploy.supervise import die_with_parent
from services.common import migrations
from services.common.db import make_engine
from services.common.errors import ServiceUnavailable
from services.common.events import (declare_topology, event_exchange, failed_events,
                                    metadata as event_metadata, outbox_events, processed_events)
from services.common.rpc import RpcClient, wait_until_healthy
from tests.support import listener
from tests.support.families import create_family, ensure_demo
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def client(settings, services):
    ensure_demo(settings)
    rpc = RpcClient(settings, size=4, circuit_seconds=0)
    yield rpc
    rpc.close()


@pytest.fixture(scope="module")
def listener_db(settings):
    migrations.drop_database(settings, "listener")
    migrations.create_database(settings, "listener")
    engine = make_engine(settings.service_database_url("listener"), pool_size=2)
    event_metadata.create_all(engine)
    listener.metadata.create_all(engine)
    yield engine
    engine.dispose()
    migrations.drop_database(settings, "listener")


@pytest.fixture(scope="module")
def accounts_db(service_db):
    return service_db["accounts"]


class Listener:
    """The listener service as a real process, started when the test says so."""

    def __init__(self, client, log_path):
        self.client, self.log_path, self.process = client, log_path, None

    def start(self):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "tests.support.listener"],
                                        cwd=ROOT, env=dict(os.environ), stdout=log, stderr=log,
                                        preexec_fn=die_with_parent)
        assert wait_until_healthy(self.client, "listener", 30), self.log_path.read_text()[-2000:]

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def late_listener(client, listener_db, tmp_path_factory):
    handle = Listener(client, tmp_path_factory.mktemp("listener") / "listener.log")
    yield handle
    handle.stop()


def _published(accounts_db, numero):
    with accounts_db.connect() as conn:
        return conn.scalar(sa.select(outbox_events.c.published_at).where(
            outbox_events.c.payload["data"]["numero"].astext == numero))


def _received(listener_db, numero):
    with listener_db.connect() as conn:
        return conn.execute(sa.select(listener.received).where(
            listener.received.c.numero == numero)).all()


def test_event_reaches_a_handler_started_after_it_was_committed(
        settings, client, accounts_db, listener_db, late_listener):
    # What deploy.migrate does for every subscription of the contracts.
    declare_topology(settings, subscriptions=[listener.SUBSCRIPTION])
    family = create_family(client, nom="TARDIF")
    numero = family["identifiant"]
    assert wait_for(lambda: _published(accounts_db, numero)), "the relay never published"

    late_listener.start()  # only now does the handler exist
    rows = wait_for(lambda: _received(listener_db, numero))
    assert len(rows) == 1

    # The broker delivers the same event again: it is applied once.
    with accounts_db.connect() as conn:
        envelope = conn.scalar(sa.select(outbox_events.c.payload).where(
            outbox_events.c.payload["data"]["numero"].astext == numero))
    with Connection(settings.amqp_uri) as conn:
        Producer(conn).publish(envelope, exchange=event_exchange("accounts"),
                               routing_key="family.created", serializer="json")
    handler = "listener.on_family_created"

    def times_processed():
        with listener_db.connect() as conn:
            return conn.scalar(sa.select(sa.func.count()).select_from(processed_events).where(
                processed_events.c.handler == handler,
                processed_events.c.event_id == envelope["event_id"]))
    time.sleep(1.5)
    assert times_processed() == 1
    assert len(_received(listener_db, numero)) == 1


def test_a_handler_that_keeps_failing_parks_the_event_visibly(client, listener_db, late_listener):
    if late_listener.process is None:
        late_listener.start()
    family = client.call("accounts", "create_family", {"nom": "POISON"}, numero="31000000999")

    def parked():
        with listener_db.connect() as conn:
            return conn.execute(sa.select(failed_events).where(
                failed_events.c.handler == "listener.on_family_created")).all()
    rows = wait_for(parked, timeout=30)
    assert rows and "cannot handle this one" in rows[0].error
    assert rows[0].payload["data"]["numero"] == family["identifiant"]
    assert not _received(listener_db, family["identifiant"])


def test_two_slow_queries_run_concurrently_in_one_service(settings, late_listener):
    if late_listener.process is None:
        late_listener.start()
    rpc = RpcClient(settings, size=1, circuit_seconds=0)
    try:
        rpc.call("listener", "slow_query", 0)  # warm the connection pool
        started = time.monotonic()
        calls = rpc.gather([listener_call(0.5), listener_call(0.5)])
        elapsed = time.monotonic() - started
    finally:
        rpc.close()
    assert all(c.ok for c in calls)
    # Blocking waits would take 1.0 s; concurrent ones about 0.5 s.
    assert elapsed < 0.85, f"two 0.5 s queries took {elapsed:.2f} s"


def listener_call(seconds):
    from services.common.rpc import Call
    return Call("listener", "slow_query", seconds)


def test_every_rpc_call_has_a_timeout(settings, late_listener):
    if late_listener.process is None:
        late_listener.start()
    rpc = RpcClient(settings, size=1, timeout=1, circuit_seconds=0)
    started = time.monotonic()
    try:
        with pytest.raises(ServiceUnavailable):
            rpc.call("listener", "slow_query", 3)
    finally:
        rpc.close()
    assert time.monotonic() - started < 2.5


def test_a_page_keeps_the_answers_of_the_services_that_did_answer(settings, late_listener):
    """One gather: a service too slow, one not deployed, one that answers and a refusal."""
    if late_listener.process is None:
        late_listener.start()
    from services.common.rpc import Call
    rpc = RpcClient(settings, size=1, timeout=1, circuit_seconds=30)
    calls = [listener_call(3), Call("absent", "anything"), Call("accounts", "health"),
             Call("accounts", "get_family", 2_000_000_000)]
    started = time.monotonic()
    try:
        rpc.gather(calls)
        elapsed = time.monotonic() - started
        slow, absent, health, missing = calls
        assert health.result == {"service": "accounts", "status": "ok"}
        assert type(missing.error).__name__ == "NotFound" and "introuvable" in str(missing.error)
        assert isinstance(slow.error, ServiceUnavailable)
        assert isinstance(absent.error, ServiceUnavailable)
        assert elapsed < 2.5  # one timeout for the whole page
        # Both circuits are open: the next page does not wait for them again.
        started = time.monotonic()
        again = rpc.gather([listener_call(0), Call("absent", "anything"), Call("accounts", "health")])
        assert [c.ok for c in again] == [False, False, True]
        assert time.monotonic() - started < 0.5
    finally:
        rpc.close()


def test_a_service_nobody_consumes_is_refused_at_once(settings, services):
    rpc = RpcClient(settings, size=1, timeout=5, circuit_seconds=0)
    try:
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable):
            rpc.call("absent", "anything")
        assert time.monotonic() - started < 1  # told by the broker, not by the timeout
        assert rpc.call("accounts", "health")["status"] == "ok"  # same connection, still usable
    finally:
        rpc.close()


def test_settings_refuse_an_rpc_timeout_above_five_seconds():
    from services.common import settings as settings_module
    with pytest.raises(ValueError):
        settings_module.load({"RPC_TIMEOUT": "30"})


def test_events_outside_the_contracts_are_refused(accounts_db):
    from sqlalchemy.orm import Session

    from services.common.events import add_event
    with Session(accounts_db) as session, pytest.raises(KeyError):
        add_event(session, "accounts", "family.vanished", {})


def test_only_an_unreachable_database_makes_handlers_wait_uncounted():
    """A handler waits out a database restart (not counted toward failed_events), but an error
    of its own statements still counts."""
    import psycopg

    from services.common.events import database_unreachable

    def wrapped(orig, cls=sa.exc.OperationalError):
        return cls("SELECT 1", {}, orig)
    assert database_unreachable(wrapped(psycopg.OperationalError("connection refused")))
    assert database_unreachable(wrapped(psycopg.errors.AdminShutdown("terminating connection")))
    assert database_unreachable(wrapped(psycopg.errors.CannotConnectNow("starting up")))
    assert not database_unreachable(wrapped(psycopg.errors.DeadlockDetected("deadlock")))
    assert not database_unreachable(wrapped(psycopg.errors.UniqueViolation("duplicate"),
                                            sa.exc.IntegrityError))
    assert not database_unreachable(ValueError("bad data"))
