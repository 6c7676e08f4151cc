"""The gateway's memory of confirmed sessions (gateway/session_trust.py): accounts is not asked
again for a few minutes, and a session that ends — logout, password change, on any gateway —
is refused everywhere as soon as its event arrives; without the events, accounts is asked
every time.

The suite runs with SESSION_TRUST_SECONDS=0; these tests run gateways with trust."""
import dataclasses
import time

import pytest

from gateway.app import create_app
from gateway.session_trust import SessionTrust
from services.common.crypto import session_token_hash
from tests.children.conftest import make_child, make_prestation, unique_code
from tests.support.families import create_family
from tests.support.messaging import contact_known
from tests.support.waiting import wait_for
from tests.support.web import csrf_token, login

TRUST = 300
COOKIE = "portail_session"
EVENT_DELAY = 3  # seconds an end may take to reach the other gateways (milliseconds measured)


# --- the store alone --------------------------------------------------------------------------

@pytest.fixture
def store():
    trust = SessionTrust(0, amqp_uri=None)  # no listener thread: its effects played by hand
    trust.seconds = 1
    trust._started_listening()
    return trust


def test_a_confirmation_is_reused_for_its_seconds_only(store):
    account = {"family_id": 7}
    store.put("jeton", account, time.monotonic())
    assert store.get("jeton") == account
    store.put("ancien", account, time.monotonic() - 1.5)
    assert store.get("ancien") is None
    assert store.get("inconnu") is None


def test_a_confirmation_asked_before_an_end_arrived_is_not_kept(store):
    asked = time.monotonic()
    store.forget_family(99)  # any end heard while the question was on its way
    store.put("jeton", {"family_id": 7}, asked)
    assert store.get("jeton") is None
    store.put("jeton", {"family_id": 7}, time.monotonic())
    assert store.get("jeton") == {"family_id": 7}
    store.forget_session(session_token_hash("jeton"))
    assert store.get("jeton") is None


def test_nothing_is_reused_while_not_listening_nor_from_before(store):
    before = time.monotonic()
    store.put("jeton", {"family_id": 7}, before)
    store._stopped_listening()
    assert store.get("jeton") is None
    store.put("autre", {"family_id": 7}, time.monotonic())
    assert store.get("autre") is None  # not kept: an end could not have been heard
    store._started_listening()
    store.put("jeton", {"family_id": 7}, before)  # asked before listening again
    assert store.get("jeton") is None


# --- through gateways ---------------------------------------------------------------------

def _gateway(settings, amqp_uri=None):
    app = create_app(dataclasses.replace(settings, session_trust_seconds=TRUST))
    app.config["TESTING"] = True
    if amqp_uri:  # a listener that cannot reach the broker
        app.extensions["session_trust"].stop()
        app.extensions["session_trust"] = SessionTrust(TRUST, amqp_uri)
    return app


def _close(app):
    app.extensions["session_trust"].stop()
    app.extensions["rpc"].close()


@pytest.fixture
def gateways(settings, services):
    """Two gateways with trust, as behind a load balancer (same secret key), listening."""
    apps = [_gateway(settings), _gateway(settings)]
    for app in apps:
        assert wait_for(app.extensions["session_trust"].listening, timeout=10)
    yield apps
    for app in apps:
        _close(app)


@pytest.fixture
def family(backoffice, messaging_db):
    """A family that may write to the structure of its child."""
    family = create_family(backoffice, nom="CONFIANCE", prenom="LEA", password="Famille2026",
                           email="confiance@example.org")
    structure = backoffice.call("children", "create_structure", unique_code("Confiance"))
    make_child(backoffice, family["family_id"], [make_prestation(backoffice, structure)])
    contact_known(messaging_db, family["family_id"])
    return {**family, "structure": str(structure["id"])}


def _asked(app, monkeypatch):
    """The calls the gateway sends from now on, as "service.method"."""
    rpc, asked = app.extensions["rpc"], []
    gather = rpc.gather

    def recording(calls):
        asked.extend(f"{c.service}.{c.method}" for c in calls)
        return gather(calls)
    monkeypatch.setattr(rpc, "gather", recording)
    return asked


def _send_message(client, family, objet, token=None):
    return client.post("/boite-de-reception/nouveau", data={
        "structure": family["structure"], "objet": objet, "message": "Bonjour",
        "csrf_token": token or csrf_token(client, "/boite-de-reception/nouveau")})


def _subjects(backoffice, family):
    return {t["subject"] for t in backoffice.call("messaging", "list_threads",
                                                family["family_id"], "envoyes")}


def _same_browser(source, target):
    target.set_cookie(COOKIE, source.get_cookie(COOKIE).value)


def test_a_confirmed_session_is_not_asked_again_by_pages_or_forms(
        gateways, family, backoffice, monkeypatch):
    client = gateways[0].test_client()
    asked = _asked(gateways[0], monkeypatch)
    assert login(client, family["identifiant"], family["password"]).status_code == 302
    assert client.get("/accueil").status_code == 200
    sent = _send_message(client, family, "Sans nouvelle question")
    assert sent.status_code == 302 and "/connexion" not in sent.headers["Location"]
    assert "Sans nouvelle question" in _subjects(backoffice, family)
    assert "accounts.authenticate" in asked
    assert "accounts.get_session" not in asked  # the login's answer confirmed it


def test_logout_on_one_gateway_ends_the_session_on_every_gateway(gateways, family, backoffice):
    here, elsewhere = gateways[0].test_client(), gateways[1].test_client()
    login(here, family["identifiant"], family["password"])
    _same_browser(here, elsewhere)
    token = csrf_token(elsewhere, "/boite-de-reception/nouveau")  # confirmed there too
    cookie = elsewhere.get_cookie(COOKIE).value  # with the form token it issued
    here.post("/deconnexion", data={"csrf_token": csrf_token(here, "/accueil")})
    ended = time.monotonic()
    # The old cookie, replayed on the other gateway: refused once the event is there.
    def replay():
        client = gateways[1].test_client()
        client.set_cookie(COOKIE, cookie)
        return client
    assert wait_for(lambda: replay().get("/accueil").status_code == 302, timeout=EVENT_DELAY,
                    interval=0.02)
    assert time.monotonic() - ended < EVENT_DELAY
    refused = _send_message(replay(), family, "Après la déconnexion", token)
    assert refused.status_code == 302 and "/connexion" in refused.headers["Location"]
    assert "Après la déconnexion" not in _subjects(backoffice, family)


def test_a_password_change_ends_the_other_devices_on_every_gateway(gateways, family, backoffice):
    changer, other_device = gateways[0].test_client(), gateways[1].test_client()
    for client in (changer, other_device):
        login(client, family["identifiant"], family["password"])
    token = csrf_token(other_device, "/boite-de-reception/nouveau")
    changed = changer.post("/changer-mot-de-passe", data={
        "mot_de_passe_actuel": family["password"], "nouveau_mot_de_passe": "Nouveau2026x",
        "confirmation": "Nouveau2026x", "csrf_token": csrf_token(changer, "/changer-mot-de-passe")})
    assert changed.status_code == 302 and changed.headers["Location"].endswith("/accueil")
    assert wait_for(lambda: not gateways[1].extensions["session_trust"].entries,
                    timeout=EVENT_DELAY, interval=0.02)
    refused = _send_message(other_device, family, "Autre appareil", token)
    assert refused.status_code == 302 and "/connexion" in refused.headers["Location"]
    assert "Autre appareil" not in _subjects(backoffice, family)
    assert changer.get("/accueil").status_code == 200  # the session that changed it goes on


def test_without_its_events_the_gateway_asks_accounts_every_time(
        settings, services, family, monkeypatch):
    app = _gateway(settings, amqp_uri="amqp://guest:guest@127.0.0.1:1/")  # nothing listens
    try:
        client = app.test_client()
        asked = _asked(app, monkeypatch)
        login(client, family["identifiant"], family["password"])
        for _ in range(2):
            assert client.get("/accueil").status_code == 200
        assert asked.count("accounts.get_session") == 2
    finally:
        _close(app)


def test_a_lost_listener_forgets_everything_and_comes_back(gateways, family, monkeypatch):
    app = gateways[0]
    trust = app.extensions["session_trust"]
    client = app.test_client()
    login(client, family["identifiant"], family["password"])
    assert trust.entries
    trust.connection.connection.sock.shutdown(2)  # the broker connection lost
    assert wait_for(lambda: not trust.listening(), timeout=5, interval=0.02)
    assert not trust.entries
    asked = _asked(app, monkeypatch)
    assert wait_for(trust.listening, timeout=10)  # reconnected by itself
    assert client.get("/accueil").status_code == 200
    assert client.get("/accueil").status_code == 200
    assert asked.count("accounts.get_session") == 1  # asked again once, then trusted
