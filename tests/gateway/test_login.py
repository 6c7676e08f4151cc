"""Login, Accueil, Mon compte, password change, logout — as a parent uses them."""
import re
import time

from services.accounts import demo
from tests.support.web import csrf_token, login, text
from tests.support.families import create_family


def test_login_page_has_the_guide_fields(client):
    page = text(client.get("/connexion"))
    for words in ("COMPTE FAMILLE", "Afin d'accéder à notre service, veuillez vous identifier.",
                  "Identifiant", "Mot de passe", "Mot de passe oublié ?"):
        assert words in page


def test_demo_login_shows_accueil_with_the_responsable(client):
    response = login(client, demo.DEMO_NUMERO, demo.DEMO_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/accueil")
    page = text(client.get("/accueil"))
    assert "Bienvenue JEAN DUPONT" in page
    assert "N° Famille : 10010018331" in page
    assert "Civilité : Monsieur" in page and "Nom : DUPONT" in page and "Prénom : JEAN" in page
    assert "Bienvenue sur le Portail Famille" in page
    assert "Changer mot de passe" in page
    assert re.search(r"(Lundi|Mardi|Mercredi|Jeudi|Vendredi|Samedi|Dimanche) \d{1,2} "
                     r"(Janvier|Février|Mars|Avril|Mai|Juin|Juillet|Août|Septembre|Octobre|"
                     r"Novembre|Décembre) \d{4}", page)
    for tab in ("Accueil", "Mon compte", "Mes enfants", "Relevé de compte", "Boîte de réception",
                "Liste des demandes", "Déconnexion"):
        assert tab in page


def test_mon_compte_shows_every_field_of_the_guide(client):
    login(client, demo.DEMO_NUMERO, demo.DEMO_PASSWORD)
    page = text(client.get("/mon-compte"))
    for shown in ("Civilité : Monsieur", "N° Famille : 10010018331", "Nom : DUPONT",
                  "Prénom : JEAN", "Qualité : Père", "Situation : Séparé",
                  "Adresse : 12 RUE DES BONBONS", "Code postal : 31400", "Ville : SAINT - JEAN",
                  "Téléphone domicile : 01.02.03.04.05", "Téléphone prof. :", "Mobile :",
                  "Email : jean.dupont@wanadoo.fr", "Nom banque :",
                  "Titulaire du compte : DUPONT JEAN", "CSP :", "Profession :", "Employeur :",
                  "Adresse employeur :", "Autorisation SMS : Non", "Autorisation courriel : Oui",
                  "Organisme rattachement : 0",
                  "Mon conjoint", "Prénom : JEANNE", "Adresse : Lotissement les bons bonbons"):
        assert shown in page, shown
    for link in ("Infos Responsable", "Informations Conjoint", "Informations Fiscales",
                 "Informations Caf", "Coordonnées Bancaires"):
        assert link in page


def test_wrong_password_gives_a_french_message_that_reveals_nothing(client, family):
    wrong = login(client, family["identifiant"], "Mauvais2026")
    unknown = login(client, "00000000000", "Mauvais2026")
    assert wrong.status_code == unknown.status_code == 401
    assert "Identifiant ou mot de passe incorrect." in text(wrong)
    assert text(wrong).replace(family["identifiant"], "X") == text(unknown).replace("00000000000", "X")
    assert client.get("/accueil").status_code == 302


def test_ten_failures_lock_the_account_with_a_clear_message(client, backoffice):
    victim = create_family(backoffice, nom="VERROU", password="Verrou2026")
    for _ in range(9):
        assert "incorrect" in text(login(client, victim["identifiant"], "Mauvais2026"))
    tenth = text(login(client, victim["identifiant"], "Mauvais2026"))
    assert "temporairement bloqué" in tenth
    locked = text(login(client, victim["identifiant"], victim["password"]))
    assert "temporairement bloqué" in locked and "Bienvenue" not in locked


def test_password_change_old_one_stops_working(client, family):
    login(client, family["identifiant"], family["password"])
    token = csrf_token(client, "/changer-mot-de-passe")
    refused = client.post("/changer-mot-de-passe", data={
        "csrf_token": token, "mot_de_passe_actuel": family["password"],
        "nouveau_mot_de_passe": "abc", "confirmation": "abc"})
    assert refused.status_code == 400
    assert "8 caractères minimum" in text(refused) and "au moins 1 majuscule" in text(refused)
    changed = client.post("/changer-mot-de-passe", data={
        "csrf_token": token, "mot_de_passe_actuel": family["password"],
        "nouveau_mot_de_passe": "Nouveau2026", "confirmation": "Nouveau2026"}, follow_redirects=True)
    assert "Votre mot de passe a été modifié." in text(changed)
    other = client.application.test_client()
    assert login(other, family["identifiant"], family["password"]).status_code == 401
    assert login(other, family["identifiant"], "Nouveau2026").status_code == 302


def test_first_login_forces_a_password_change(client, backoffice):
    issued = create_family(backoffice, nom="NOUVEAU")  # the collectivity asks for a change
    response = login(client, issued["identifiant"], issued["password"])
    assert response.headers["Location"].endswith("/changer-mot-de-passe")
    for page in ("/accueil", "/mon-compte", "/mes-enfants"):
        assert client.get(page).headers["Location"].endswith("/changer-mot-de-passe")
    assert "première connexion" in text(client.get("/changer-mot-de-passe"))
    client.post("/changer-mot-de-passe", data={
        "csrf_token": csrf_token(client, "/changer-mot-de-passe"),
        "mot_de_passe_actuel": issued["password"],
        "nouveau_mot_de_passe": "Choisi2026", "confirmation": "Choisi2026"})
    assert client.get("/accueil").status_code == 200


def test_logout_ends_the_session_and_goes_to_the_collectivity_site(client, family):
    login(client, family["identifiant"], family["password"])
    cookie = client.get_cookie("portail_session").value
    response = client.post("/deconnexion", data={"csrf_token": csrf_token(client, "/accueil")})
    assert response.status_code == 302 and response.headers["Location"] == demo.COLLECTIVITY["site_url"]
    assert client.get("/accueil").headers["Location"].startswith("/connexion")
    # The old cookie, replayed, no longer opens the account.
    replay = client.application.test_client()
    replay.set_cookie("portail_session", cookie)
    assert replay.get("/accueil").status_code == 302


def test_a_new_session_at_each_login(client, family):
    client.get("/connexion")
    before = client.get_cookie("portail_session").value  # the anonymous session
    login(client, family["identifiant"], family["password"])
    first = client.get_cookie("portail_session").value
    assert first != before
    login(client, family["identifiant"], family["password"])
    assert client.get_cookie("portail_session").value != first
    # The cookie from before the login never becomes a logged-in one (no fixation).
    replay = client.application.test_client()
    replay.set_cookie("portail_session", before)
    assert replay.get("/accueil").status_code == 302


def test_forms_without_csrf_token_are_refused(client, family):
    refused = client.post("/connexion", data={"identifiant": family["identifiant"],
                                              "mot_de_passe": family["password"]})
    assert refused.status_code == 400 and "Formulaire expiré" in text(refused)
    assert client.get("/accueil").status_code == 302  # not logged in
    login(client, family["identifiant"], family["password"])
    refused = client.post("/changer-mot-de-passe", data={
        "mot_de_passe_actuel": family["password"], "nouveau_mot_de_passe": "Pirate2026",
        "confirmation": "Pirate2026"})
    assert refused.status_code == 400
    other = client.application.test_client()
    assert login(other, family["identifiant"], family["password"]).status_code == 302


def test_session_cookie_is_httponly_and_samesite(client, family):
    response = login(client, family["identifiant"], family["password"])
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header


def test_a_family_sees_only_its_own_data(client, backoffice, family):
    other = create_family(backoffice, nom="VOISIN", prenom="ANNE", password="Voisin2026")
    login(client, family["identifiant"], family["password"])
    page = text(client.get("/mon-compte"))
    assert "BERNARD" in page and "VOISIN" not in page and other["identifiant"] not in page
    # A cookie signed with another key (forged) is ignored.
    forged = client.application.test_client()
    forged.set_cookie("portail_session", client.get_cookie("portail_session").value[:-4] + "AAAA")
    assert forged.get("/mon-compte").status_code == 302
    # No page takes a family id: adding one changes nothing.
    page = text(client.get(f"/mon-compte?famille={other['family_id']}"))
    assert "VOISIN" not in page


def test_a_stopped_accounts_service_gives_a_degraded_page_not_an_error(client, services, family):
    login(client, family["identifiant"], family["password"])
    with services.down("accounts"):
        started = time.monotonic()
        response = client.get("/accueil")
        elapsed = time.monotonic() - started
        assert response.status_code == 200
        assert "indisponible" in text(response)
        assert elapsed < 6
        login_page = login(client.application.test_client(), family["identifiant"],
                           family["password"])
        assert "indisponible" in text(login_page) and login_page.status_code == 503


def test_tabs_of_later_services_show_a_notice(client, family):
    from gateway.views.upcoming import PAGES

    login(client, family["identifiant"], family["password"])
    for slug in PAGES:
        response = client.get(f"/{slug}")
        assert response.status_code == 200 and "pas encore ouvert" in text(response)
    # "Liste des demandes" is open now: its tab leads to the requests service's page.
    response = client.get("/liste-des-demandes")
    assert response.status_code == 200 and "Demandes refusées" in text(response)


def test_unknown_pages_and_errors_are_french_without_traceback(client):
    response = client.get("/nulle-part")
    assert response.status_code == 404 and "Page introuvable" in text(response)
    assert "Traceback" not in response.text
