"""The "Mes enfants" tab as a parent uses it: list, record, planning, requests, iCal."""
import datetime as dt
import re

from services.accounts import demo as accounts_demo
from tests.children.conftest import make_child, make_prestation, next_day, open_school_day
from tests.support.web import csrf_token, login, text


def fr(day):
    return day.strftime("%d/%m/%Y")


def test_demo_children_list_and_record(client, demo):
    login(client, accounts_demo.DEMO_NUMERO, accounts_demo.DEMO_PASSWORD)
    page = client.get("/mes-enfants")
    assert page.status_code == 200
    shown = text(page)
    assert "LUCAS" in shown and "EMMA" in shown and "Ajouter un enfant" in shown
    assert f'href="/mes-enfants/{demo["lucas"]}"' in page.text
    record = text(client.get(f"/mes-enfants/{demo['lucas']}"))
    for words in ("LUCAS DUPONT", "Date de naissance : 14/05/2008", "Sexe : Masculin",
                  "École : École élémentaire Jules Ferry", "Classe : CE1",
                  "Port de lunettes : Oui", "Allergies : Arachide", "Régime alimentaire : Sans porc",
                  "PAI : Oui (allergie)", "Médecin traitant : Dr MARTIN",
                  "Vaccinations : À jour", "Photos : Oui", "Rentrer seul : Non",
                  "DURAND MARIE Grand-mère 05.61.22.33.44",
                  "Agenda", "Inscriptions en cours", "Personnes autorisées", "Données sanitaires",
                  "Autorisations", "Port de lunettes"):
        assert words in record, words


def test_april_2015_planning_page_with_legend_and_navigation(client, demo):
    login(client, accounts_demo.DEMO_NUMERO, accounts_demo.DEMO_PASSWORD)
    page = client.get(f"/mes-enfants/{demo['lucas']}/agenda?mois=2015-04")
    assert page.status_code == 200
    shown = text(page)
    assert "Avril 2015" in shown
    for header in ("Me 01", "Lu 06", "Ma 07", "Je 30"):
        assert header in shown
    for label in ("Réservé", "Erreur", "Congé", "Heure hors contrat", "Régulier", "Fermeture",
                  "Absent facturé", "Demande en attente", "Absent excusé",
                  "Réservation en cours de traitement", "Réservation refusée",
                  "Absence en cours de traitement", "Petites vacances", "Grandes vacances",
                  "Jour férié"):
        assert label in shown, label
    assert "Accueil de Loisirs ALSH Mercredi après-midi DUPONT JEAN" in shown
    # Colour (class) and text for screen readers in each cell.
    assert shown.count("lundi 6 avril 2015 : Jour férié") == 7
    assert page.text.count('class="etat-ferie"') == 7
    assert "mercredi 8 avril 2015 : Réservé, présent et réservé" in shown
    assert "samedi 18 avril 2015 : Petites vacances" in shown
    assert f'/mes-enfants/{demo["lucas"]}/agenda?mois=2015-03' in page.text
    assert f'/mes-enfants/{demo["lucas"]}/agenda?mois=2015-05' in page.text
    assert "Mois précédent : Mars 2015" in page.text and "Mois suivant : Mai 2015" in page.text
    enrolments = text(client.get(f"/mes-enfants/{demo['lucas']}/inscriptions"))
    assert "Inscriptions en cours" in enrolments


def test_booking_and_absence_from_the_planning(client, backoffice, structure, family):
    prestation = make_prestation(backoffice, structure)
    child = make_child(backoffice, family["family_id"], [prestation])
    login(client, family["identifiant"], family["password"])
    day = next_day(open_school_day)
    month = day.strftime("%Y-%m")
    page = client.get(f"/mes-enfants/{child['id']}/agenda?mois={month}")
    assert page.status_code == 200
    # Each open day is a link to the request forms (works without JavaScript and by keyboard).
    link = (f"/mes-enfants/{child['id']}/agenda?mois={month}&amp;jour={day.isoformat()}"
            f"&amp;prestation={prestation['id']}")
    assert link in page.text and 'aria-haspopup="menu"' in page.text
    assert "Demande de Réservation" in text(page) and "Déclarer une absence" in text(page)
    chosen = client.get(link.replace("&amp;", "&") + "&nom=Atelier")
    assert 'id="demande" class="demande" hidden' not in chosen.text

    token = csrf_token(client, f"/mes-enfants/{child['id']}/agenda?mois={month}")
    form = {"csrf_token": token, "action": "reservation", "date": day.isoformat(),
            "prestation": prestation["id"], "mois": month}
    done = client.post(f"/mes-enfants/{child['id']}/agenda", data=form)
    assert done.status_code == 302
    after = client.get(done.headers["Location"])
    assert f"Réservation confirmée pour ZOÉ à « Atelier » le {fr(day)}." in text(after)
    # The cell's link tells screen readers the prestation, the day and its state.
    assert f'aria-label="Atelier, {_long(day)} : Réservé, réservé"' in after.text

    again = client.post(f"/mes-enfants/{child['id']}/agenda", data=form)
    assert again.status_code == 400 and "Une réservation existe déjà" in text(again)

    absence = {**form, "action": "absence", "motif": "", "confirmation": ""}
    refused = client.post(f"/mes-enfants/{child['id']}/agenda", data=absence)
    assert refused.status_code == 400
    assert "Veuillez indiquer la raison de l'absence." in text(refused)
    assert "Veuillez confirmer la déclaration d'absence." in text(refused)
    absence.update(motif="Rendez-vous chez le dentiste", confirmation="oui")
    accepted = client.post(f"/mes-enfants/{child['id']}/agenda", data=absence)
    assert accepted.status_code == 302
    assert f"Atelier, {_long(day)} : Congé" in client.get(accepted.headers["Location"]).text


def _long(day):
    from services.children.calendar import long_date

    return long_date(day)


def test_refusals_state_the_deadline_and_the_reason(client, backoffice, structure, family):
    prestation = make_prestation(backoffice, structure, reservation_jours=60,
                                 reservation_jours_ouvres=False)
    child = make_child(backoffice, family["family_id"], [prestation])
    login(client, family["identifiant"], family["password"])
    day = next_day(open_school_day)
    token = csrf_token(client, f"/mes-enfants/{child['id']}")
    late = client.post(f"/mes-enfants/{child['id']}/agenda", data={
        "csrf_token": token, "action": "reservation", "date": day.isoformat(),
        "prestation": prestation["id"]})
    assert late.status_code == 400
    assert (f"la réservation devait être faite avant le {fr(day - dt.timedelta(days=60))} à 12h00"
            in text(late))
    saturday = next_day(lambda d: d.weekday() == 5)
    closed = client.post(f"/mes-enfants/{child['id']}/agenda", data={
        "csrf_token": token, "action": "reservation", "date": saturday.isoformat(),
        "prestation": prestation["id"]})
    assert closed.status_code == 400 and "n'a pas lieu" in text(closed)
    bad = client.post(f"/mes-enfants/{child['id']}/agenda", data={
        "csrf_token": token, "action": "reservation", "date": "2026-02-31",
        "prestation": prestation["id"]})
    assert bad.status_code == 400 and "n'est pas une date valide" in text(bad)
    assert "Traceback" not in bad.text
    bad_month = client.get(f"/mes-enfants/{child['id']}/agenda?mois=2015-13")
    assert bad_month.status_code == 400 and "Mois invalide" in text(bad_month)


def test_another_family_s_child_is_refused_on_every_route(client, demo, family):
    login(client, family["identifiant"], family["password"])
    lucas = demo["lucas"]
    token = csrf_token(client, "/mes-enfants")
    for path in (f"/mes-enfants/{lucas}", f"/mes-enfants/{lucas}/agenda?mois=2015-04",
                 f"/mes-enfants/{lucas}/inscriptions"):
        response = client.get(path)
        assert response.status_code == 404 and "LUCAS" not in response.text, path
    for path, data in ((f"/mes-enfants/{lucas}/agenda",
                        {"action": "reservation", "date": "2026-12-14", "prestation": "1"}),
                       (f"/mes-enfants/{lucas}/agenda",
                        {"action": "absence", "date": "2026-12-14", "prestation": "1",
                         "motif": "x", "confirmation": "oui"}),
                       (f"/mes-enfants/{lucas}/ical", {}),
                       (f"/mes-enfants/{lucas}/ical/revoquer", {})):
        response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 404, path
    assert "LUCAS" not in text(client.get("/mes-enfants"))


def test_pages_require_login(client, demo):
    response = client.get(f"/mes-enfants/{demo['lucas']}")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_ical_link_works_without_login_until_revoked(client, backoffice, structure, family):
    prestation = make_prestation(backoffice, structure)
    child = make_child(backoffice, family["family_id"], [prestation])
    day = next_day(open_school_day)
    backoffice.call("children", "book", family["family_id"], child["id"], prestation["id"],
                    day.isoformat())
    login(client, family["identifiant"], family["password"])
    token = csrf_token(client, f"/mes-enfants/{child['id']}")
    created = client.post(f"/mes-enfants/{child['id']}/ical", data={"csrf_token": token})
    assert created.status_code == 302
    page = client.get(f"/mes-enfants/{child['id']}")
    url = re.search(r'value="(http://[^"]+\.ics)"', page.text).group(1)
    path = url.split("localhost", 1)[1]
    anonymous = client.application.test_client()
    feed = anonymous.get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert "BEGIN:VEVENT" in feed.text and f"{day:%Y%m%d}" in feed.text
    client.post(f"/mes-enfants/{child['id']}/ical/revoquer", data={"csrf_token": token})
    assert anonymous.get(path).status_code == 404
    assert anonymous.get("/agenda/inconnu.ics").status_code == 404


def test_add_a_child_sends_a_request(client, family, backoffice):
    login(client, family["identifiant"], family["password"])
    token = csrf_token(client, "/mes-enfants/ajouter")
    bad = client.post("/mes-enfants/ajouter", data={"csrf_token": token, "nom": "BERNARD"})
    assert bad.status_code == 400
    assert "Le prénom de l'enfant est obligatoire." in text(bad)
    sent = client.post("/mes-enfants/ajouter", data={
        "csrf_token": token, "nom": "Bernard", "prenom": "Jade", "date_naissance": "2025-06-01",
        "sexe": "F", "accueil": "Crèche", "commentaire": ""})
    assert sent.status_code == 302
    assert "transmise à la collectivité" in text(client.get("/mes-enfants"))
    pending = backoffice.call("children", "list_preinscriptions")
    assert any(p["prenom"] == "JADE" and p["family_id"] == family["family_id"] for p in pending)


def test_the_agendas_script_gets_a_short_answer(client, backoffice, structure, family):
    """planning.js sends a booking asking for JSON: a refusal is its reasons only (no agenda
    drawn again), an acceptance where to go next; a session that ended is a page as usual."""
    prestation = make_prestation(backoffice, structure, capacite=1)
    child, sibling = (make_child(backoffice, family["family_id"], [prestation], prenom=name)
                      for name in ("ZOÉ", "NOÉ"))
    login(client, family["identifiant"], family["password"])
    day = next_day(open_school_day)
    month = day.strftime("%Y-%m")
    token = csrf_token(client, f"/mes-enfants/{child['id']}/agenda?mois={month}")
    script = {"Accept": "application/json"}

    def book(child_id):
        return client.post(f"/mes-enfants/{child_id}/agenda", headers=script, data={
            "csrf_token": token, "action": "reservation", "date": day.isoformat(),
            "prestation": prestation["id"], "mois": month})

    done = book(child["id"])
    assert done.status_code == 200 and done.is_json
    assert done.json["suivant"] == f"/mes-enfants/{child['id']}/agenda?mois={month}"
    assert done.json["message"] == f"Réservation confirmée pour ZOÉ à « Atelier » le {fr(day)}."
    assert done.json["message"] in text(client.get(done.json["suivant"]))  # shown once there
    full, again = book(sibling["id"]), book(child["id"])
    assert (full.status_code, full.json) == (400, {"erreurs": [
        f"Complet : il n'y a plus de place à « Atelier » le {fr(day)}."]})
    assert again.status_code == 400 and again.json["erreurs"][0].startswith(
        "Une réservation existe déjà pour ZOÉ")
    planning = backoffice.call("children", "planning", family["family_id"], sibling["id"],
                               day.year, day.month)
    assert {c["state"] for c in planning["rows"][0]["cells"] if c["date"] == day.isoformat()} \
        == {"libre"}  # the refusal changed nothing
    # Without "Accept: application/json" (no script), the same refusal is the agenda page.
    assert "text/html" in client.post(f"/mes-enfants/{sibling['id']}/agenda", data={
        "csrf_token": token, "action": "reservation", "date": day.isoformat(),
        "prestation": prestation["id"]}).content_type

    client.post("/deconnexion", data={"csrf_token": token})
    ended = book(sibling["id"])
    assert ended.status_code in (302, 400) and not ended.is_json  # the script sends the page
