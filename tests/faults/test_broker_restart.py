"""RabbitMQ killed (kill -9) during bookings and restarted: the services and the gateway
reconnect by themselves, and no committed booking or event is lost or applied twice."""
import os
import shutil
import signal
import subprocess
import time

import pytest
import sqlalchemy as sa

from services.children import bookings
from services.children.models import Booking as ChildBooking
from services.accounts import demo as accounts_demo
from services.billing import demo as billing_demo
from services.billing import payments as billing_payments
from services.billing.models import Booking as BilledBooking
from services.billing.models import Family as BilledFamily
from services.messaging.models import Notification
from services.common.db import make_engine, make_sessionmaker
from services.common.events import outbox_events
from services.common.rpc import RpcClient, wait_until_healthy
from tests.children.conftest import make_child, make_prestation, next_day, open_school_day, unique_code
from tests.support.families import create_family
from tests.support.web import login, text
from tests.support.waiting import wait_for

RECONNECT_LIMIT = 30  # seconds, from the broker being back


def _broker_pids():
    found = subprocess.run(["pgrep", "-f", "beam.smp.*rabbit"], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


@pytest.fixture
def local_broker():
    if os.environ.get("TEST_AMQP_URI") or not shutil.which("rabbitmq-server") or os.geteuid() != 0:
        pytest.skip("kills and restarts the local RabbitMQ: needs it local and root")
    assert _broker_pids(), "no local RabbitMQ running"
    yield
    if not _broker_pids():  # never leave the machine without its broker
        _start_broker()


def _kill_broker():
    for pid in _broker_pids():
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while _broker_pids() and time.monotonic() < deadline:
        time.sleep(0.2)


def _start_broker(timeout=120):
    subprocess.run(["rabbitmq-server", "-detached"], check=True, capture_output=True)
    # `await_startup` fails at once (exit 69) until the node's process answers: ask again.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if subprocess.run(["rabbitmqctl", "await_startup", "--timeout", "30"],
                          capture_output=True).returncode == 0:
            return
        time.sleep(1)
    raise RuntimeError("RabbitMQ did not come back")


def test_broker_killed_during_bookings_and_payments_loses_nothing(settings, services, backoffice, app,
                                                     local_broker):
    billing_demo.seed(settings, accounts_demo.seed(settings))  # the régie that payments need
    structure = backoffice.call("children", "create_structure", unique_code("Panne réseau"))
    prestation = make_prestation(backoffice, structure, capacite=100)
    day = next_day(open_school_day)
    family = create_family(backoffice, nom="COUPURE", prenom="MARC", password="Famille2026")
    children = [make_child(backoffice, family["family_id"], [prestation], prenom=f"ENFANT{i}")
                for i in range(12)]
    before, during, after = children[:5], children[5:8], children[8:]
    for child in before:
        backoffice.call("children", "book", family["family_id"], child["id"], prestation["id"],
                        day.isoformat())

    children_engine = make_engine(settings.service_database_url("children"), pool_size=2)
    billing_engine = make_engine(settings.service_database_url("billing"), pool_size=2)
    messaging_engine = make_engine(settings.service_database_url("messaging"), pool_size=2)
    try:
        with billing_engine.connect() as conn:  # billing knows the family (family.created)
            assert wait_for(lambda: conn.scalar(sa.select(BilledFamily.id).where(
                BilledFamily.id == family["family_id"])), 30)
        _kill_broker()
        # Bookings committed while the broker is gone (a worker finishing its transaction):
        # their events wait in the outbox.
        session = make_sessionmaker(children_engine)()
        for child in during:
            bookings.book(session, family["family_id"], child["id"], prestation["id"],
                          day.isoformat())
            session.commit()
        session.close()
        # And a payment the back office recorded meanwhile: its receipt waits in the outbox.
        session = make_sessionmaker(billing_engine)()
        billing_payments.record_payment(session, family["family_id"], "cheque", "12.50",
                                        regie_code=billing_demo.REGIE[0])
        session.commit()
        session.close()
        _start_broker()
        back = time.monotonic()

        client = RpcClient(settings, size=1, timeout=2, circuit_seconds=0)
        try:
            for name in services.names:
                assert wait_until_healthy(client, name, RECONNECT_LIMIT), name
        finally:
            client.close()
        web = app.test_client()
        app.extensions["rpc"].open_circuits.clear()
        assert wait_for(lambda: login(web, family["identifiant"], "Famille2026").status_code == 302,
                          RECONNECT_LIMIT)
        assert "COUPURE" in text(web.get("/accueil"))
        assert time.monotonic() - back < RECONNECT_LIMIT + 5

        for child in after:
            backoffice.call("children", "book", family["family_id"], child["id"],
                            prestation["id"], day.isoformat())
        backoffice.call("billing", "record_payment", family["family_id"], "especes", "7.00",
                        regie_code=billing_demo.REGIE[0])

        with children_engine.connect() as conn:
            confirmed = set(conn.scalars(sa.select(ChildBooking.id).where(
                ChildBooking.prestation_id == prestation["id"], ChildBooking.status == "confirmee")))
        assert len(confirmed) == len(children)

        def billed():
            with billing_engine.connect() as conn:
                return set(conn.scalars(sa.select(BilledBooking.booking_id).where(
                    BilledBooking.booking_id.in_(confirmed))))
        assert wait_for(lambda: billed() == confirmed, 30), "billing lost bookings"
        with children_engine.connect() as conn:
            assert conn.scalar(sa.select(sa.func.count()).select_from(outbox_events)
                               .where(outbox_events.c.published_at.is_(None))) == 0
        with children_engine.connect() as conn:  # one event per booking, none duplicated
            events = conn.scalars(sa.select(outbox_events.c.payload["data"]["booking_id"].as_integer())
                                  .where(outbox_events.c.event_type == "booking.confirmed")).all()
        assert sorted(b for b in events if b in confirmed) == sorted(confirmed)

        # Both payments: one payment.recorded each, published, and one receipt each.
        with billing_engine.connect() as conn:
            paid = conn.execute(sa.select(outbox_events.c.event_id, outbox_events.c.published_at)
                                .where(outbox_events.c.event_type == "payment.recorded",
                                       outbox_events.c.payload["data"]["family_id"].as_integer()
                                       == family["family_id"])).all()
        assert len(paid) == 2 and all(published for _, published in paid), paid

        def receipts():
            with messaging_engine.connect() as conn:
                return conn.scalars(sa.select(Notification.cause).where(
                    Notification.cause.in_([f"event:{e}" for e, _ in paid]),
                    Notification.channel == "courriel")).all()
        assert wait_for(lambda: len(receipts()) == 2, 30), receipts()
        time.sleep(1)  # a redelivered event would add a second receipt now
        assert sorted(receipts()) == sorted(f"event:{e}" for e, _ in paid)
    finally:
        children_engine.dispose()
        billing_engine.dispose()
        messaging_engine.dispose()
