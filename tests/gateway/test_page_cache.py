"""The pages' few seconds of memory (gateway/page_cache.py): what it reuses, and what it must
never hide — the family's own changes, on any gateway, and an ended session.

The suite runs with PAGE_CACHE_SECONDS=0; these tests run gateways with a window."""
import dataclasses
import time

import pytest

from gateway.app import create_app
from gateway.page_cache import MAX_ENTRIES, PageCache
from tests.support.families import create_family
from tests.support.messaging import contact_known
from tests.support.waiting import wait_for
from tests.support.web import csrf_token, login, text

WINDOW = 5  # seconds: long enough for a few requests on a loaded machine
ALSH = {"id": 1, "nom": "Accueil de Loisirs"}
COOKIE = "portail_session"


# --- the store alone --------------------------------------------------------------------------

def test_an_answer_is_reused_only_within_the_window():
    cache = PageCache(seconds=1)
    now = time.time()
    cache.put("k", {"n": 1}, received=now)
    assert cache.get("k") == (True, {"n": 1})
    cache.put("old", 1, received=now - 1.5)
    assert cache.get("old") == (False, None)


def test_a_zero_window_keeps_nothing_and_a_full_cache_is_emptied():
    off = PageCache(seconds=0)
    off.put("k", 1, received=time.time())
    assert off.get("k") == (False, None) and off.entries == {}
    cache = PageCache(seconds=60)
    for i in range(MAX_ENTRIES):
        cache.entries[i] = (time.time(), i)
    cache.put("last", 1, received=time.time())
    assert list(cache.entries) == ["last"]


# --- through the gateway ---------------------------------------------------------------------

def _gateway(settings):
    app = create_app(dataclasses.replace(settings, page_cache_seconds=WINDOW))
    app.config["TESTING"] = True
    return app


@pytest.fixture
def gateways(settings, services):
    """Two gateways with a window, as behind a load balancer (same secret key)."""
    apps = [_gateway(settings), _gateway(settings)]
    yield apps
    for app in apps:
        app.extensions["rpc"].close()


@pytest.fixture
def family(backoffice, messaging_db):
    family = create_family(backoffice, nom="CACHE", prenom="PAULINE", password="Famille2026",
                           email="cache@example.org", autorisation_courriel=True)
    contact_known(messaging_db, family["family_id"])
    return family


def _unread(page):
    return text(page).split("vous avez ")[1].split(" Nouveau")[0]


def _same_browser(source, target):
    """`target` (another gateway's client) carries `source`'s session cookie."""
    target.set_cookie(COOKIE, source.get_cookie(COOKIE).value)


def test_a_page_reuses_its_answers_and_shows_the_back_offices_change_after_the_window(
        gateways, family, backoffice):
    client = gateways[0].test_client()
    login(client, family["identifiant"], family["password"])
    assert _unread(client.get("/accueil")) == "0"
    backoffice.call("messaging", "send_to_family", family["family_id"], ALSH, "Piscine", "Maillot")
    assert _unread(client.get("/accueil")) == "0"  # answered a moment ago: reused
    assert wait_for(lambda: _unread(client.get("/accueil")) == "1", timeout=WINDOW + 10)


def test_the_familys_own_change_shows_at_once_on_every_gateway(gateways, family, backoffice):
    sent = backoffice.call("messaging", "send_to_family", family["family_id"], ALSH,
                           "Cantine", "Menu")
    first, second = (app.test_client() for app in gateways)
    login(first, family["identifiant"], family["password"])
    _same_browser(first, second)
    assert _unread(first.get("/accueil")) == "1"
    assert _unread(second.get("/accueil")) == "1"  # the second gateway keeps it too
    # Opening the thread marks it read: the same page already says so...
    assert _unread(first.get(f"/boite-de-reception/{sent['thread_id']}")) == "0"
    assert _unread(first.get("/accueil")) == "0"
    # ...and the other gateway, told by the cookie, does not reuse what it kept.
    _same_browser(first, second)
    assert _unread(second.get("/accueil")) == "0"


def test_the_cache_never_keeps_a_session_ended_elsewhere(gateways, family):
    here, elsewhere = gateways[0].test_client(), gateways[1].test_client()
    other_device = gateways[1].test_client()
    for client in (here, elsewhere, other_device):
        login(client, family["identifiant"], family["password"])
        assert client.get("/accueil").status_code == 200
    token = csrf_token(other_device, "/boite-de-reception/nouveau")
    changed = here.post("/changer-mot-de-passe", data={
        "mot_de_passe_actuel": family["password"], "nouveau_mot_de_passe": "Nouveau2026x",
        "confirmation": "Nouveau2026x", "csrf_token": csrf_token(here, "/changer-mot-de-passe")})
    assert changed.status_code == 302 and changed.headers["Location"].endswith("/accueil")
    assert here.get("/accueil").status_code == 200  # the session that changed it goes on
    # A form from another device is refused at once, on any gateway.
    refused = other_device.post("/boite-de-reception/nouveau", data={
        "structure": "1", "objet": "Bonjour", "message": "Test", "csrf_token": token})
    assert refused.status_code == 302 and "/connexion" in refused.headers["Location"]
    # Nor does a page: sessions are not kept by the page cache (gateway/session_trust.py
    # reuses them, only while it hears of their ends: tests/gateway/test_session_trust.py).
    ended = elsewhere.get("/accueil")
    assert ended.status_code == 302 and "/connexion" in ended.headers["Location"]


def test_logout_is_not_undone_by_the_cache(gateways, family):
    client = gateways[0].test_client()
    login(client, family["identifiant"], family["password"])
    assert client.get("/accueil").status_code == 200
    cookie = client.get_cookie(COOKIE).value
    client.post("/deconnexion", data={"csrf_token": csrf_token(client, "/accueil")})
    replay = gateways[0].test_client()
    replay.set_cookie(COOKIE, cookie)  # the cookie from before logout, replayed at once
    answer = replay.get("/accueil")
    assert answer.status_code == 302 and "/connexion" in answer.headers["Location"]
