"""A service that crashes: the pages degrade, nothing else fails, and the service catches up
with what happened while it was down once it is restarted."""
import time

from tests.support.families import create_family
from tests.support.messaging import contact_known
from tests.support.web import login, text


def test_a_killed_service_degrades_pages_and_catches_up_when_restarted(
        client, services, backoffice, messaging_db):
    family = create_family(backoffice, nom="PANNE", prenom="LOUIS", password="Famille2026",
                           email="panne-service@example.org", autorisation_courriel=True)
    login(client, family["identifiant"], family["password"])
    services.kill("messaging")
    try:
        started = time.monotonic()
        page = client.get("/accueil")
        assert time.monotonic() - started < 6
        assert page.status_code == 200
        assert "messagerie momentanément indisponible" in text(page)
        assert "N° Famille :" in text(page)  # what the other services give is still there
        inbox = client.get("/boite-de-reception")
        assert inbox.status_code == 200 and "indisponible" in text(inbox)
        # The rest of the portal keeps working: a family created meanwhile…
        newcomer = create_family(backoffice, nom="TARDIVE", prenom="ALICE",
                                 password="Famille2026", email="tardive@example.org",
                                 autorisation_courriel=True)
    finally:
        services.start("messaging")
    # …is known to messaging once it is back: its event waited in messaging's queue.
    contact_known(messaging_db, newcomer["family_id"])
    client.application.extensions["rpc"].open_circuits.clear()
    assert "vous avez 0 Nouveau(x) Message(s)" in text(client.get("/accueil"))
