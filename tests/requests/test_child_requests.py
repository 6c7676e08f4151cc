"""Child requests from a child's page, auto-acceptance, the pré-inscription, and
what another family may not do."""
import sqlalchemy as sa

from tests.requests.conftest import post_request, wait_page
from tests.support.web import csrf_token, login, text


def test_personnes_autorisees_and_health_data_end_to_end(parent, backoffice, family, child,
                                                          requests_db):
    family_id, child_id = family["family_id"], child["id"]
    page = parent.get(f"/mes-enfants/{child_id}")
    assert f'href="/mes-enfants/{child_id}/demande/personnes_autorisees"' in page.text
    form = parent.get(f"/mes-enfants/{child_id}/demande/personnes_autorisees")
    assert form.status_code == 200 and 'value="ROUX PAUL"' in form.text

    sent = post_request(parent, f"/mes-enfants/{child_id}/demande/personnes_autorisees",
                        backoffice, family_id, "personnes_autorisees", child_id,
                        personnes_autorisees=[
                            {"nom": "ROUX PAUL", "lien": "Oncle", "telephone": "06.00.00.00.01"},
                            {"nom": "BLANC LUCIE", "lien": "Voisine", "telephone": "0611223344"}])
    assert sent.status_code == 302, text(sent)
    assert "BLANC LUCIE" not in text(parent.get(f"/mes-enfants/{child_id}"))  # not yet
    [pending] = [r for r in backoffice.call("requests", "pending_requests", "personnes_autorisees")
                 if r["family_id"] == family_id]
    assert pending["subject"] == "TOM ROUX" and pending["child_id"] == child_id
    backoffice.call("requests", "accept_request", pending["id"])
    wait_page(parent, f"/mes-enfants/{child_id}", ["BLANC LUCIE Voisine 06.11.22.33.44",
                                                    "ROUX PAUL Oncle"])

    # Health data: kept encrypted in requests, masked on screen once saved.
    sent = post_request(parent, f"/mes-enfants/{child_id}/demande/sante", backoffice,
                        family_id, "sante", child_id, allergies="Arachide et kiwi")
    assert sent.status_code == 302, text(sent)
    listed = text(parent.get("/liste-des-demandes?vue=enfant&type=sante"))
    assert "Allergies" in listed and "••••kiwi" in listed and "Arachide et kiwi" not in listed
    with requests_db.connect() as conn:
        dump = " ".join(str(r) for r in conn.execute(sa.text("SELECT * FROM change_requests")))
    assert "Arachide et kiwi" not in dump and "Dr PETIT" not in dump
    [health] = [r for r in backoffice.call("requests", "pending_requests", "sante")
                if r["family_id"] == family_id]
    backoffice.call("requests", "accept_request", health["id"])
    wait_page(parent, f"/mes-enfants/{child_id}", ["Allergies : Arachide et kiwi",
                                                    "Médecin traitant : Dr PETIT"])


def test_auto_accepted_kind_is_applied_at_once(parent, backoffice, family, child):
    backoffice.call("requests", "update_settings", ["autorisations", "lunettes"])
    try:
        sent = post_request(parent, f"/mes-enfants/{child['id']}/demande/lunettes", backoffice,
                            family["family_id"], "lunettes", child["id"], lunettes=True)
        assert sent.status_code == 302
        assert "a été acceptée" in text(parent.get(sent.headers["Location"]))
        wait_page(parent, f"/mes-enfants/{child['id']}", ["Port de lunettes : Oui"])
    finally:
        backoffice.call("requests", "update_settings", [])
    sent = post_request(parent, f"/mes-enfants/{child['id']}/demande/autorisations", backoffice,
                        family["family_id"], "autorisations", child["id"], sorties=True)
    assert "transmise à la collectivité" in text(parent.get(sent.headers["Location"]))


def test_preinscription_and_planning_requests_are_listed(parent, backoffice, family):
    token = csrf_token(parent, "/mes-enfants/ajouter")
    added = parent.post("/mes-enfants/ajouter", data={
        "csrf_token": token, "nom": "Roux", "prenom": "Léo", "date_naissance": "2024-01-15",
        "sexe": "M", "accueil": "Crèche", "commentaire": ""})
    assert added.status_code == 302
    listed = wait_page(parent, "/liste-des-demandes?vue=enfant&type=preinscription",
                       ["LÉO ROUX", "15/01/2024", "Crèche"])
    assert "En attente de traitement" in listed
    # The back office decides it from the requests API too (children applies it).
    [pre] = [r for r in backoffice.call("requests", "pending_requests", "preinscription")
             if r["family_id"] == family["family_id"]]
    assert backoffice.call("requests", "refuse_request", pre["id"], "Dossier incomplet")["transmise"]
    wait_page(parent, "/liste-des-demandes?vue=enfant&type=preinscription",
              ["Date refus", "Dossier incomplet"])


def test_another_family_s_child_and_requests_are_refused(client, backoffice, family, child,
                                                         other_family):
    own = backoffice.call("requests", "submit_request", family["family_id"], "lunettes",
                          {"lunettes": True}, child["id"])
    login(client, other_family["identifiant"], other_family["password"])
    token = csrf_token(client, "/mon-compte")
    for code in ("autorisations", "personnes_autorisees", "lunettes", "sante"):
        path = f"/mes-enfants/{child['id']}/demande/{code}"
        assert client.get(path).status_code == 404
        refused = client.post(path, data={"csrf_token": token, "lunettes": "1"})
        assert refused.status_code == 404 and "TOM" not in refused.text
    for call in (("submit_request", other_family["family_id"], "lunettes", {"lunettes": True},
                  child["id"]),
                 ("family_request", other_family["family_id"], own["id"]),
                 ("request_form", other_family["family_id"], "sante", child["id"])):
        try:
            backoffice.call("requests", *call)
        except Exception as exc:
            assert type(exc).__name__ == "NotFound", call
        else:
            raise AssertionError(f"{call[0]} answered for another family")
    listed = text(client.get("/liste-des-demandes?vue=enfant"))
    assert "TOM ROUX" not in listed
    assert client.get("/mon-compte/demande/inconnu").status_code == 404
    # Nothing was stored for the other family.
    assert backoffice.call("requests", "family_requests", other_family["family_id"]) == []
