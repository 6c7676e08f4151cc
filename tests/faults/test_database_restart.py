"""PostgreSQL stopped for a few seconds, then started again, while parents book and the back
office records payments: while it is down the pages degrade in French and no call waits past
the RPC timeout; once it is back every process carries on by itself (no restart of ours), and
no committed booking or payment is lost or applied twice."""
import os
import pwd
import re
import shutil
import subprocess
import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from services.accounts import demo as accounts_demo
from services.billing import demo as billing_demo
from services.billing.models import Booking as BilledBooking
from services.billing.models import Family as BilledFamily
from services.billing.models import Payment
from services.children.models import Booking as ChildBooking
from services.common.db import make_engine
from services.common.errors import Conflict, ServiceUnavailable
from services.common.events import failed_events, outbox_events, processed_events
from services.common.rpc import RpcClient, wait_until_healthy
from services.messaging.models import Notification
from tests.billing.conftest import children_event, day_data
from tests.children.conftest import make_child, make_prestation, next_day, open_school_day, unique_code
from tests.support.families import create_family
from tests.support.web import login, text
from tests.support.waiting import wait_for

RECONNECT_LIMIT = 30  # seconds, from PostgreSQL being back
DOWN_SECONDS = 3
PG_CTL = "pg_ctlcluster"


def _local_cluster(database_url):
    """(version, name) of the local cluster serving `database_url`, or a reason to skip."""
    url = sa.engine.make_url(database_url)
    if (url.host or "localhost") not in ("localhost", "127.0.0.1", "::1") and \
            not (url.host or "").startswith("/"):
        return None, f"PostgreSQL is not local ({url.host})"
    if not shutil.which(PG_CTL) or not shutil.which("pg_lsclusters"):
        return None, "no pg_ctlcluster here"
    listed = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True)
    for line in listed.stdout.splitlines():
        version, name, port, status, owner = line.split()[:5]
        if int(port) == (url.port or 5432) and status == "online":
            if os.geteuid() != 0 and pwd.getpwuid(os.geteuid()).pw_name != owner:
                return None, f"cluster {version}/{name} belongs to {owner}: cannot restart it"
            return (version, name), None
    return None, "no local cluster online on the test database's port"


def _pg_ctl(cluster, action):
    # --skip-systemctl-redirect: act on the cluster directly (no systemd in containers).
    subprocess.run([PG_CTL, "--skip-systemctl-redirect", *cluster, action], check=True,
                   capture_output=True, timeout=60)


def _pg_ready(database_url):
    url = sa.engine.make_url(database_url)
    return subprocess.run(["pg_isready", "-q", "-h", url.host or "localhost",
                           "-p", str(url.port or 5432)], timeout=10).returncode == 0


@pytest.fixture
def local_postgres(settings):
    cluster, reason = _local_cluster(settings.database_url)
    if cluster is None:
        pytest.skip(f"stops and starts the local PostgreSQL: {reason}")
    yield cluster
    # Never leave the machine without its PostgreSQL, whatever happened in the test.
    if not _pg_ready(settings.database_url):
        subprocess.run([PG_CTL, "--skip-systemctl-redirect", *cluster, "start"],
                       capture_output=True, timeout=60)
    assert wait_for(lambda: _pg_ready(settings.database_url), 30), "PostgreSQL left down"


class Bookings:
    """Parents booking one child after another, through the outage: a call that fails is asked
    again later; a Conflict then means the first attempt was in fact committed."""

    def __init__(self, client, family_id, prestation_id, day):
        self.client, self.family_id = client, family_id
        self.prestation_id, self.day = prestation_id, day
        self.outcomes = {}  # child id -> list of "ok" | "conflict" | "unavailable"
        self.slowest = 0.0
        self.errors = []
        self.stopped = False  # the test ended early: stop booking

    def book(self, child_id, deadline):
        outcomes = self.outcomes.setdefault(child_id, [])
        while time.monotonic() < deadline and not self.stopped:
            started = time.monotonic()
            try:
                self.client.call("children", "book", self.family_id, child_id,
                                 self.prestation_id, self.day)
                outcomes.append("ok")
                return
            except Conflict:
                outcomes.append("conflict")
                return
            except ServiceUnavailable as exc:
                outcomes.append("unavailable")
                assert "indisponible" in str(exc)
            except Exception as exc:  # noqa: BLE001 - reported by the test
                self.errors.append(repr(exc))
                return
            finally:
                self.slowest = max(self.slowest, time.monotonic() - started)
            time.sleep(0.3)

    def run(self, children, spacing, deadline):
        for child in children:
            if self.stopped:
                return
            self.book(child["id"], deadline)
            time.sleep(spacing)


def test_database_restarted_during_bookings_loses_nothing(settings, services, backoffice, app,
                                                          local_postgres):
    family_record = accounts_demo.seed(settings)
    billing_demo.seed(settings, family_record)  # the régie that payments need
    structure = backoffice.call("children", "create_structure", unique_code("Panne base"))
    prestation = make_prestation(backoffice, structure, capacite=100)
    day = next_day(open_school_day).isoformat()
    family = create_family(backoffice, nom="REDEMARRAGE", prenom="JEANNE", password="Famille2026",
                           email="redemarrage@example.org", autorisation_courriel=True)
    family_id = family["family_id"]
    children = [make_child(backoffice, family_id, [prestation], prenom=f"ENFANT{i}")
                for i in range(14)]
    before, through, after = children[:3], children[3:11], children[11:]

    web = app.test_client()
    app.extensions["rpc"].open_circuits.clear()
    assert login(web, family["identifiant"], "Famille2026").status_code == 302
    late = create_family(backoffice, nom="TARDIF", prenom="LEO", password="Famille2026")

    engines = {name: make_engine(settings.service_database_url(name), pool_size=2)
               for name in ("children", "billing", "messaging")}
    pids = {name: child.popen.pid for name, child in services.children.items()}
    logs = {name: child.log_path for name, child in services.children.items()}
    offsets = {name: path.stat().st_size if path.exists() else 0 for name, path in logs.items()}
    client = RpcClient(settings, size=8, circuit_seconds=0)
    load = Bookings(client, family_id, prestation["id"], day)
    try:
        for child in before:
            load.book(child["id"], time.monotonic() + 10)
        with engines["billing"].connect() as conn:  # billing learns the family by its event
            assert wait_for(lambda: conn.scalar(sa.select(BilledFamily.id).where(
                BilledFamily.id == family_id)), 20)
        first = _pay(backoffice, family_id, "AVANT")  # its event may be in flight at the stop

        # Bookings keep coming, one every ~0.4 s, from before the stop until after the start.
        loader = threading.Thread(target=load.run, args=(through, 0.4, time.monotonic() + 60))
        loader.start()
        time.sleep(0.8)
        _pg_ctl(local_postgres, "stop")
        down_at = time.monotonic()
        try:
            # An event that arrives meanwhile: billing's handler cannot reach its database.
            orphan = uuid.uuid4().int % 10 ** 9 + 10 ** 9
            orphan_event = children_event(settings, "booking.confirmed", day_data(
                family_id, children[0]["id"], day, booking_id=orphan))["event_id"]

            started = time.monotonic()
            page = web.get("/accueil")
            assert time.monotonic() - started < settings.rpc_timeout + 1
            assert page.status_code == 200, text(page)
            assert "momentanément indisponible" in text(page)
            assert "Traceback" not in page.text
            started = time.monotonic()
            refused = login(app.test_client(), late["identifiant"], "Famille2026")
            assert time.monotonic() - started < settings.rpc_timeout + 1
            assert refused.status_code == 503
            assert "Service momentanément indisponible" in text(refused)
            with pytest.raises(ServiceUnavailable):  # not recorded: the back office retries
                _pay(backoffice, family_id, "PENDANT")
            time.sleep(max(0.0, DOWN_SECONDS - (time.monotonic() - down_at)))
        finally:
            _pg_ctl(local_postgres, "start")
        back = time.monotonic()

        health = RpcClient(settings, size=1, timeout=2, circuit_seconds=0)
        try:
            for name in services.names:
                assert wait_until_healthy(health, name, RECONNECT_LIMIT), name
        finally:
            health.close()
        app.extensions["rpc"].open_circuits.clear()
        assert wait_for(lambda: "REDEMARRAGE" in text(web.get("/accueil")), RECONNECT_LIMIT)
        assert time.monotonic() - back < RECONNECT_LIMIT + 5
        assert {name: child.popen.pid for name, child in services.children.items()
                if child.running()} == pids  # the same processes: none restarted
        fresh = app.test_client()
        assert login(fresh, late["identifiant"], "Famille2026").status_code == 302
        assert "TARDIF" in text(fresh.get("/accueil"))

        loader.join(60)
        assert not loader.is_alive()
        for child in after:
            load.book(child["id"], time.monotonic() + 10)
        last = _pay(backoffice, family_id, "APRES")  # its event flows after the restart

        assert load.errors == []
        assert load.slowest < settings.rpc_timeout + 1, load.slowest
        assert "unavailable" in sum(load.outcomes.values(), []), "the load missed the outage"
        # Every child ends booked, once: a retried booking found the first one (Conflict).
        assert all(o[-1] in ("ok", "conflict") for o in load.outcomes.values()), load.outcomes
        assert len(load.outcomes) == len(children)

        with engines["children"].connect() as conn:
            rows = conn.execute(sa.select(ChildBooking.id, ChildBooking.child_id).where(
                ChildBooking.prestation_id == prestation["id"],
                ChildBooking.status == "confirmee")).all()
        assert sorted(r.child_id for r in rows) == sorted(c["id"] for c in children)
        confirmed = {r.id for r in rows}

        def billed():
            with engines["billing"].connect() as conn:
                return set(conn.scalars(sa.select(BilledBooking.booking_id).where(
                    BilledBooking.booking_id.in_(confirmed | {orphan}))))
        assert wait_for(lambda: billed() == confirmed | {orphan}, 30), "billing lost bookings"
        with engines["children"].connect() as conn:
            assert wait_for(lambda: conn.scalar(
                sa.select(sa.func.count()).select_from(outbox_events)
                .where(outbox_events.c.published_at.is_(None))) == 0, 10)
            events = conn.execute(sa.select(
                outbox_events.c.event_id,
                outbox_events.c.payload["data"]["booking_id"].as_integer().label("booking_id"))
                .where(outbox_events.c.event_type == "booking.confirmed")).all()
        mine = [e for e in events if e.booking_id in confirmed]
        assert sorted(e.booking_id for e in mine) == sorted(confirmed)  # one event each
        expected = [e.event_id for e in mine] + [orphan_event]
        with engines["billing"].connect() as conn:  # each applied once, none given up on
            applied = conn.scalars(sa.select(processed_events.c.event_id).where(
                processed_events.c.handler == "billing.on_booking_confirmed",
                processed_events.c.event_id.in_(expected))).all()
            assert sorted(applied) == sorted(expected)
            assert conn.scalar(sa.select(sa.func.count()).select_from(failed_events).where(
                failed_events.c.event_id.in_(expected))) == 0
            payments = conn.execute(sa.select(Payment.id, Payment.reference).where(
                Payment.family_id == family_id)).all()
            assert sorted(p.reference for p in payments) == ["APRES", "AVANT"]  # none twice
            assert {first["id"], last["id"]} == {p.id for p in payments}
            assert wait_for(lambda: conn.scalar(
                sa.select(sa.func.count()).select_from(outbox_events)
                .where(outbox_events.c.published_at.is_(None))) == 0, 10)
            paid_events = conn.scalars(sa.select(outbox_events.c.event_id).where(
                outbox_events.c.event_type == "payment.recorded",
                outbox_events.c.payload["data"]["family_id"].as_integer() == family_id)).all()
        assert len(paid_events) == 2

        def receipts():  # messaging's receipt of each payment, once
            with engines["messaging"].connect() as conn:
                return conn.scalars(sa.select(Notification.cause).where(
                    Notification.cause.in_([f"event:{e}" for e in paid_events]),
                    Notification.channel == "courriel")).all()
        assert wait_for(lambda: len(receipts()) == 2, 30), receipts()

        # The handlers waited for the database instead of having their events redelivered
        # in a loop (thousands of failures a second, a log flood) while it was down.
        failures = _handler_failures(logs, offsets)
        assert sum(failures.values()) < 100, failures
    finally:
        load.stopped = True
        client.close()
        for engine in engines.values():
            engine.dispose()


HANDLER_FAILURE = re.compile(r"error handling worker <WorkerContext \[\w+\.on_\w+\]")


def _handler_failures(logs, offsets):
    """{service: event-handler failures logged since `offsets`}."""
    counts = {}
    for name, path in logs.items():
        with open(path, "rb") as log:
            log.seek(offsets[name])
            counts[name] = len(HANDLER_FAILURE.findall(log.read().decode("utf-8", "replace")))
    return counts


def _pay(backoffice, family_id, reference):
    return backoffice.call("billing", "record_payment", family_id, "virement", "12.50",
                           None, None, billing_demo.REGIE[0], reference)
