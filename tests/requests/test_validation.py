"""Invalid input for each checked field: a French message, the form again, nothing stored."""
import pytest

from services.common.errors import ValidationError
from services.requests import kinds, validation
from tests.requests.conftest import post_request, stored_requests
from tests.support.web import text


@pytest.mark.parametrize("iban,valid", [
    ("FR7630006000011234567890189", True), ("FR1420041010050500013M02606", True),
    ("DE89370400440532013000", True), ("FR7630006000011234567890188", False),  # checksum
    ("FR76300060000112345678901", False), ("XX", False), ("FR76 3000 6000", False)])
def test_iban_checksum_and_length(iban, valid):
    assert validation.iban_valid(iban.replace(" ", "")) is valid


@pytest.mark.parametrize("typed,expected", [
    ("0102030405", "01.02.03.04.05"), ("06 12 34 56 78", "06.12.34.56.78"),
    ("+33 6 12 34 56 78", "06.12.34.56.78"), ("0033612345678", "06.12.34.56.78"),
    ("06-12-34-56-78", "06.12.34.56.78"), ("612345678", None), ("0012345678", None),
    ("06 12 34 56", None), ("+44 20 7946 0958", None)])
def test_french_phone_numbers(typed, expected):
    assert validation.phone(typed) == expected


# (kind, changes, the message shown)
INVALID = [
    ("responsable", {"code_postal": "3140"}, "Code postal : le code postal doit comporter 5 chiffres"),
    ("responsable", {"mobile": "12345"}, "Mobile : le numéro doit être un numéro français"),
    ("responsable", {"telephone_domicile": "+44 20 7946 0958"}, "Téléphone domicile : le numéro"),
    ("responsable", {"email": "jean.dupont@"}, "Email : l'adresse email n'est pas valide"),
    ("responsable", {"adresse": ""}, "Adresse : ce champ est obligatoire."),
    ("conjoint", {"nom": "ROUX", "prenom": "", "adresse": "1 RUE", "code_postal": "31400",
                  "ville": "X"}, "Prénom : ce champ est obligatoire."),
    ("fiscales", {"revenu_fiscal_reference": "12k", "nombre_parts": "2"},
     "Revenu fiscal de référence (€) : indiquez un nombre entier positif"),
    ("fiscales", {"revenu_fiscal_reference": "1000", "nombre_parts": "2,3"},
     "Nombre de parts : indiquez un nombre de parts entre 0,5 et 20"),
    ("caf", {"regime_caf": "general", "numero_allocataire": ""},
     "Numéro d'allocataire : obligatoire pour le régime général et la MSA."),
    ("caf", {"regime_caf": "msa", "numero_allocataire": "AB12"},
     "Numéro d'allocataire : le numéro d'allocataire doit comporter de 4 à 13 chiffres."),
    ("caf", {"regime_caf": "inconnu"}, "Régime : choisissez une valeur de la liste."),
    ("bancaires", {"titulaire_compte": "ROUX NINA", "iban": "FR7630006000011234567890188",
                   "bic": "BNPAFRPP"}, "IBAN : l'IBAN n'est pas valide"),
    ("bancaires", {"titulaire_compte": "ROUX NINA", "iban": "FR7630006000011234567890189",
                   "bic": "BNP"}, "BIC : le BIC doit comporter 8 ou 11"),
    ("bancaires", {"titulaire_compte": "", "iban": "", "bic": "BNPAFRPP"},
     "IBAN : ce champ est obligatoire."),
]


@pytest.mark.parametrize("code,changes,message", INVALID, ids=lambda v: str(v)[:30])
def test_invalid_family_request_is_refused_with_a_french_message(code, changes, message, parent,
                                                                 backoffice, family, requests_db):
    response = post_request(parent, f"/mon-compte/demande/{code}", backoffice,
                            family["family_id"], code, **changes)
    assert response.status_code == 400
    shown = text(response)
    assert message in shown, shown
    assert "Enregistrer" in shown and "Traceback" not in response.text
    assert stored_requests(requests_db, family["family_id"]) == []


def test_invalid_child_requests_and_an_unchanged_form(parent, backoffice, family, child,
                                                      requests_db):
    path = f"/mes-enfants/{child['id']}/demande/personnes_autorisees"
    bad = post_request(parent, path, backoffice, family["family_id"], "personnes_autorisees",
                       child["id"], personnes_autorisees=[{"nom": "", "lien": "Tante",
                                                           "telephone": "06"}])
    assert bad.status_code == 400
    assert "Personne 1 : le nom est obligatoire." in text(bad)
    assert "Personne 1 : le téléphone doit être un numéro français" in text(bad)
    same = post_request(parent, f"/mes-enfants/{child['id']}/demande/lunettes", backoffice,
                        family["family_id"], "lunettes", child["id"])
    assert same.status_code == 400 and "Aucune modification" in text(same)
    assert stored_requests(requests_db, family["family_id"]) == []


def test_every_message_at_once_and_values_normalised():
    kind = kinds.get("responsable")
    with pytest.raises(ValidationError) as error:
        validation.clean(kind, {"adresse": "", "code_postal": "ABCDE", "ville": "X",
                                "email": "x@y", "mobile": "07"})
    assert len(error.value.messages) == 4
    clean = validation.clean(kinds.get("bancaires"), {
        "titulaire_compte": " ROUX ", "iban": "fr76 3000 6000 0112 3456 7890 189",
        "bic": "bnpa fr pp", "prelevement_automatique": "1"})
    assert clean == {"titulaire_compte": "ROUX", "nom_banque": "",
                     "iban": "FR7630006000011234567890189", "bic": "BNPAFRPP",
                     "prelevement_automatique": True}
