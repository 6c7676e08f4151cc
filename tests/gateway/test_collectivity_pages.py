"""Issue 7 in the gateway: Infos./Documents and its "Formulaire", the registration forms, and
the collectivity's settings (set in accounts, copied by billing and children) honoured by the
pages."""
import base64
import datetime as dt
import io

import pypdf
import pytest

from gateway import collectivity as gateway_collectivity
from services.children import calendar
from tests.children.conftest import make_child, make_prestation, unique_code
from tests.support.families import create_family
from tests.support.web import login, text
from tests.support.waiting import wait_for

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def pdf_text(response):
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.data)).pages)


@pytest.fixture
def settings_changed(backoffice):
    """Change the collectivity's settings for one test; they are put back afterwards and the
    gateway's kept copies forgotten."""
    before = backoffice.call("accounts", "get_collectivity")
    changed = set()

    def change(**fields):
        changed.update(fields)
        result = backoffice.call("accounts", "update_collectivity", **fields)
        gateway_collectivity.forget()
        return result
    yield change
    restore = {k: before[k] for k in changed if k in before}
    if "logo_base64" in changed:
        restore["logo_base64"] = ""
    backoffice.call("accounts", "update_collectivity", **restore)
    gateway_collectivity.forget()


@pytest.fixture
def other_family(backoffice):
    return create_family(backoffice, nom="AUTRE", prenom="ALICE", password="Autre2026x")


@pytest.fixture
def family_with_child(backoffice, family):
    structure = backoffice.call("children", "create_structure", unique_code("Accueil test"))
    prestation = make_prestation(backoffice, structure)
    child = make_child(backoffice, family["family_id"], [prestation], prenom="ZOÉ")
    return {**family, "child": child, "prestation": prestation}


def test_infos_documents_message_link_and_formulaire(client, backoffice, family, settings_changed):
    settings_changed(infos_message="Inscriptions ouvertes jusqu'au 30 juin.",
                     infos_url="https://www.example.org/periscolaire")
    document = backoffice.call("accounts", "publish_document", "Règlement intérieur 2026",
                               "reglement.pdf", base64.b64encode(b"%PDF-1.4 test").decode())
    try:
        assert client.get("/infos-documents").status_code == 302  # login first
        login(client, family["identifiant"], family["password"])
        page = client.get("/infos-documents")
        shown = text(page)
        assert "Inscriptions ouvertes jusqu'au 30 juin." in shown and "Formulaire" in shown
        assert 'href="https://www.example.org/periscolaire"' in page.text
        listing = client.get("/infos-documents/formulaire")
        assert "Règlement intérieur 2026" in text(listing)
        download = client.get(f"/infos-documents/documents/{document['id']}")
        assert download.data == b"%PDF-1.4 test" and download.mimetype == "application/pdf"
        assert download.headers["Content-Disposition"] == 'attachment; filename="reglement.pdf"'
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert client.get("/infos-documents/documents/999999").status_code == 404
    finally:
        backoffice.call("accounts", "remove_document", document["id"])


def test_registration_forms_blank_and_prefilled(client, backoffice, family_with_child, other_family):
    login(client, family_with_child["identifiant"], family_with_child["password"])
    child = family_with_child["child"]
    home = client.get("/accueil")
    assert "ZOÉ BERNARD" in text(home)
    assert f'/fiche-inscription/enfant/{child["id"]}.pdf' in home.text
    assert "Fiche d'inscription pré-remplie de ZOÉ" in home.text
    year = dt.date.today().year
    blank = pdf_text(client.get("/fiche-inscription/vierge.pdf"))
    assert "FICHE D'INSCRIPTION" in blank and f"Année scolaire {year}-{year + 1}" in blank
    assert "ZOÉ" not in blank and family_with_child["prestation"]["nom"] in blank
    filled = client.get(f"/fiche-inscription/enfant/{child['id']}.pdf")
    assert 'filename="fiche-inscription-zoe-bernard.pdf"' in filled.headers["Content-Disposition"]
    shown = pdf_text(filled)
    for words in ("ZOÉ", "BERNARD", "11/02/2018", "École Jean Jaurès", "Pollen",
                  "BERNARD PAUL", "Oncle", "LUC"):
        assert words in shown, words
    # Another family's child: the same answer as a missing one.
    other = make_child(backoffice, other_family["family_id"])
    assert client.get(f"/fiche-inscription/enfant/{other['id']}.pdf").status_code == 404


def test_name_logo_and_contact_on_every_page(client, family, settings_changed):
    settings_changed(name="Ville de Test", contact="Service Enfance — 05 00 00 00 00",
                     logo_base64=base64.b64encode(PNG).decode())
    login_page = client.get("/connexion")
    assert "Ville de Test" in text(login_page)
    assert "Service Enfance — 05 00 00 00 00" in text(login_page)
    logo_url = login_page.text.split('<img src="')[1].split('"')[0].replace("&amp;", "&")
    logo = client.get(logo_url)
    assert logo.data == PNG and logo.mimetype == "image/png"
    login(client, family["identifiant"], family["password"])
    assert "Ville de Test" in text(client.get("/mon-compte"))


def test_optional_parts_off(client, backoffice, family_with_child, settings_changed, settings):
    child, prestation = family_with_child["child"], family_with_child["prestation"]
    settings_changed(registration_form=False, planning_requests=False, show_balance=False,
                     online_payment=False)
    # billing and children take their copies from collectivity.updated.
    assert wait_for(lambda: not backoffice.call("billing", "get_settings")["show_balance"])
    login(client, family_with_child["identifiant"], family_with_child["password"])
    assert wait_for(lambda: "class=\"case\"" not in client.get(
        f"/mes-enfants/{child['id']}/agenda").text)
    home = client.get("/accueil")
    assert "Fiche d'inscription" not in text(home) and "solde-compte" not in home.text
    assert client.get("/fiche-inscription/vierge.pdf").status_code == 403
    agenda = text(client.get(f"/mes-enfants/{child['id']}/agenda"))
    assert "se font auprès de votre collectivité" in agenda and "Cliquez droit" not in agenda
    from services.common.errors import Forbidden
    day = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    with pytest.raises(Forbidden):
        backoffice.call("children", "book", family_with_child["family_id"], child["id"],
                        prestation["id"], day)
    assert backoffice.call("billing", "get_settings")["online_payment"] is False


def test_school_holiday_zone_changes_the_planning(client, backoffice, family_with_child,
                                                  settings_changed):
    # A school day of zone C that is a holiday in zone A, within the child's enrolment.
    day = dt.date.today() + dt.timedelta(days=1)
    while not (day.weekday() < 5 and calendar.school_holiday(day, "A")
               and not calendar.school_holiday(day, "C") and not calendar.public_holiday(day)):
        day += dt.timedelta(days=1)
    child = family_with_child["child"]
    login(client, family_with_child["identifiant"], family_with_child["password"])
    url = f"/mes-enfants/{child['id']}/agenda?mois={day:%Y-%m}"
    spoken = f"{calendar.long_date(day)} : Petites vacances"
    assert spoken not in text(client.get(url))
    settings_changed(school_holiday_zone="A")
    assert wait_for(lambda: spoken in text(client.get(url)))
