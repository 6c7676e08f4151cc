"""Billing fixtures: billing's database, the guide's demo, children events published on the
real broker, the bank stub as a real process and the gateway served over HTTP (the stub's
notifications reach it by its urlnotif)."""
import datetime as dt
import itertools
import time
import uuid
from pathlib import Path

import pytest
from kombu import Connection, Producer

from services.billing import demo as billing_demo
from services.billing.models import Family
from services.common.db import make_sessionmaker
from services.common.events import event_exchange
from services.common.rpc import RpcClient
from tests.support.families import ensure_demo

ROOT = Path(__file__).resolve().parents[2]
_ids = itertools.count(1)


def unique_id():
    """Distinct ids for children and bookings of one session."""
    return int(time.time() * 1000) % 10 ** 9 * 1000 + next(_ids)


@pytest.fixture(scope="session")
def billing_engine(service_db):
    return service_db["billing"]


@pytest.fixture
def db(billing_engine):
    """A session on billing's database, for the domain functions (no broker)."""
    session = make_sessionmaker(billing_engine)()
    yield session
    session.rollback()
    session.close()


@pytest.fixture(scope="session")
def bo(settings, services):
    """The back office: an RpcClient on the test vhost."""
    rpc = RpcClient(settings, size=12, circuit_seconds=0)
    yield rpc
    rpc.close()


@pytest.fixture(scope="session")
def demo_billing(settings, services, billing_engine):
    """The guide's collectivity, DUPONT family and 2014-2015 statement, in billing too."""
    from services.accounts import demo as accounts_demo

    ensure_demo(settings)
    family = accounts_demo.seed(settings)
    billing_demo.seed(settings, family)
    return family


def billing_family(db, family_id, numero=None, qf=None, code_postal="31400", email=None):
    """A family copy written directly, as family.created would (for domain tests)."""
    from services.billing import copies

    copies.apply_family(db, {
        "id": family_id, "numero": numero or f"9{family_id:010d}", "quotient_familial": qf,
        "responsable": {"civilite": "Madame", "nom": "TEST", "prenom": f"F{family_id}",
                        "code_postal": code_postal, "ville": "VILLE",
                        "email": email or f"f{family_id}@example.org"}})
    db.flush()
    return db.get(Family, family_id)


# --- children events, as the children service publishes them -------------------------------

def children_event(settings, event_type, data):
    """Publish one children event in nameko's format on the real broker."""
    envelope = {"event_id": str(uuid.uuid4()), "type": event_type, "source": "children",
                "occurred_at": dt.datetime.now(dt.timezone.utc).isoformat(), "data": data}
    with Connection(settings.amqp_uri) as conn:
        Producer(conn).publish(envelope, exchange=event_exchange("children"),
                               routing_key=event_type, serializer="json")
    return envelope


def day_data(family_id, child_id, day, code="RESTAURATION",
             prestation="Garderie périscolaire Restauration scolaire", **extra):
    return {"family_id": family_id, "child_id": child_id, "child_name": "EMMA TEST",
            "structure": "Garderie périscolaire", "prestation_code": code,
            "prestation": prestation, "unit": "repas", "date": day, "responsable": "TEST EMMA",
            **extra}


# --- the bank stub and the gateway over HTTP: bank_stub and live_gateway (tests/support/live.py,
# shared with the browser tests) ---------------------------------------------------------------

@pytest.fixture
def stub_normal(bank_stub):
    bank_stub.control("reinitialiser")
    yield bank_stub
    bank_stub.control("reinitialiser")


@pytest.fixture(scope="session")
def backoffice_rpc(bo):
    return bo
