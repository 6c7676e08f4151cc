"""The Boîte de réception pages and "Mot de passe oublié ?", as a parent uses them."""
import datetime as dt
import re

import pytest

from services.accounts import logins
from services.common.db import make_engine, make_sessionmaker
from services.common.errors import ValidationError
from tests.support.web import csrf_token, login, text
from tests.support.messaging import contact_known
from tests.support.families import create_family

ALSH = {"id": 1, "nom": "Accueil de Loisirs"}


def parent(backoffice, messaging_db, email, **extra):
    family = create_family(backoffice, nom="GIRARD", prenom="HUGO", password="Famille2026",
                           email=email, autorisation_courriel=True, **extra)
    contact_known(messaging_db, family["family_id"])
    return family


def test_unread_count_in_the_header_drops_when_read(client, backoffice, messaging_db):
    family = parent(backoffice, messaging_db, "entete@example.org")
    sent = backoffice.call("messaging", "send_to_family", family["family_id"], ALSH,
                           "Piscine", "<script>alert('x')</script> Maillot obligatoire")
    login(client, family["identifiant"], family["password"])
    assert "vous avez 1 Nouveau(x) Message(s)" in text(client.get("/accueil"))
    listing = client.get("/boite-de-reception")
    assert "Piscine" in text(listing) and "1 non lu" in text(listing)
    page = client.get(f"/boite-de-reception/{sent['thread_id']}")
    assert "vous avez 0 Nouveau(x) Message(s)" in text(page)
    # Whatever a message holds is shown as text, never run.
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text


def test_reply_delete_and_restore_from_the_pages(client, backoffice, messaging_db):
    family = parent(backoffice, messaging_db, "pages@example.org")
    sent = backoffice.call("messaging", "send_to_family", family["family_id"], ALSH,
                             "Sortie", "Prévoir un pique-nique")
    thread_id = sent["thread_id"]
    login(client, family["identifiant"], family["password"])
    token = csrf_token(client, f"/boite-de-reception/{thread_id}")
    empty = client.post(f"/boite-de-reception/{thread_id}/repondre",
                        data={"csrf_token": token, "message": "  "})
    assert empty.status_code == 400 and "Le message est obligatoire." in text(empty)
    done = client.post(f"/boite-de-reception/{thread_id}/repondre",
                       data={"csrf_token": token, "message": "Bien noté, merci."},
                       follow_redirects=True)
    assert "Votre réponse a été envoyée." in text(done) and "Bien noté, merci." in text(done)
    structure_side = backoffice.call("messaging", "structure_thread", ALSH["id"], thread_id)
    assert structure_side["messages"][-1]["body"] == "Bien noté, merci."

    client.post(f"/boite-de-reception/{thread_id}/supprimer", data={"csrf_token": token})
    assert "Sortie" not in text(client.get("/boite-de-reception"))
    assert "Sortie" in text(client.get("/boite-de-reception?dossier=supprimes"))
    client.post(f"/boite-de-reception/{thread_id}/restaurer", data={"csrf_token": token})
    assert "Sortie" in text(client.get("/boite-de-reception"))


def test_another_familys_thread_is_not_found(client, backoffice, messaging_db):
    owner = parent(backoffice, messaging_db, "a@example.org")
    intruder = parent(backoffice, messaging_db, "b@example.org")
    sent = backoffice.call("messaging", "send_to_family", owner["family_id"], ALSH,
                             "Confidentiel", "Texte")
    login(client, intruder["identifiant"], intruder["password"])
    assert client.get(f"/boite-de-reception/{sent['thread_id']}").status_code == 404
    token = csrf_token(client, "/boite-de-reception")
    refused = client.post(f"/boite-de-reception/{sent['thread_id']}/repondre",
                          data={"csrf_token": token, "message": "Intrusion"})
    assert refused.status_code == 404
    thread = backoffice.call("messaging", "get_thread", owner["family_id"], sent["thread_id"])
    assert len(thread["messages"]) == 1


def _reset_link(mail_sink, email):
    [mail] = mail_sink.wait_for(email)
    return re.search(r"https?://\S+/mot-de-passe-oublie/(\S+)", mail.get_content()).group(1)


def test_password_reset_flow(client, app, backoffice, messaging_db, mail_sink):
    family = parent(backoffice, messaging_db, "oubli@example.org")
    other_session = app.test_client()
    login(other_session, family["identifiant"], family["password"])
    assert other_session.get("/accueil").status_code == 200

    token = csrf_token(client, "/mot-de-passe-oublie")
    known = client.post("/mot-de-passe-oublie", data={"csrf_token": token,
                                                      "identifiant": family["identifiant"]})
    unknown = client.post("/mot-de-passe-oublie", data={"csrf_token": token,
                                                        "identifiant": "99999999999"})
    assert known.status_code == unknown.status_code == 200
    assert text(known) == text(unknown)  # nothing says whether the account exists

    link = _reset_link(mail_sink, "oubli@example.org")
    assert "Choisir un nouveau mot de passe" in text(client.get(f"/mot-de-passe-oublie/{link}"))
    token = csrf_token(client, f"/mot-de-passe-oublie/{link}")
    weak = client.post(f"/mot-de-passe-oublie/{link}", data={
        "csrf_token": token, "nouveau_mot_de_passe": "faible", "confirmation": "faible"})
    assert weak.status_code == 400 and "8 caractères minimum" in text(weak)
    done = client.post(f"/mot-de-passe-oublie/{link}", data={
        "csrf_token": token, "nouveau_mot_de_passe": "Retrouve2026", "confirmation": "Retrouve2026"})
    assert done.status_code == 302 and done.headers["Location"].startswith("/connexion")

    assert other_session.get("/accueil").status_code == 302  # the old sessions ended
    assert login(app.test_client(), family["identifiant"], family["password"]).status_code == 401
    assert login(app.test_client(), family["identifiant"], "Retrouve2026").status_code == 302
    reused = client.get(f"/mot-de-passe-oublie/{link}")
    assert reused.status_code == 400 and "n'est plus valable" in text(reused)


def test_an_expired_reset_link_is_refused(settings, backoffice, messaging_db):
    family = parent(backoffice, messaging_db, "expire@example.org")
    engine = make_engine(settings.service_database_url("accounts"), pool_size=1)
    session = make_sessionmaker(engine)()
    try:
        [(_, _, token)] = logins.request_password_reset(session, family["identifiant"])
        session.commit()
        later = logins.now() + logins.RESET_VALID + dt.timedelta(seconds=1)
        with pytest.raises(ValidationError, match="n'est plus valable"):
            logins.reset_password(session, token, "Tardif2026", "Tardif2026", at=later)
        session.rollback()
        # Nothing changed: the old password still opens the account.
        assert logins.authenticate(session, family["identifiant"], family["password"])
        session.rollback()
    finally:
        session.close()
        engine.dispose()
