"""Family requests from "Mon compte", end to end through the real services: the form
pre-filled with today's values, Enregistrer, pending (nothing changed), accepted by the back
office (accounts applies it, billing and messaging hear of it) or refused with a reason."""
import datetime as dt

import pytest
import sqlalchemy as sa

from tests.requests.conftest import post_request, stored_requests, wait_page
from tests.support.messaging import notifications_of
from tests.support.web import text
from tests.support.waiting import wait_for

IBAN = "FR7630006000011234567890189"

# kind: (what the parent changes, what "Mon compte" then shows, what it showed before,
#        a second change that the back office refuses)
CASES = {
    "responsable": ({"adresse": "3 PLACE DU MARCHÉ", "mobile": "06 12 34 56 78",
                     "profession": "Infirmière", "autorisation_sms": True},
                    ["Adresse : 3 PLACE DU MARCHÉ", "Mobile : 06.12.34.56.78",
                     "Profession : Infirmière", "Autorisation SMS : Oui"],
                    ["Adresse : 12 RUE DES BONBONS"],
                    {"employeur": "Clinique du Parc"}),
    "conjoint": ({"civilite": "Monsieur", "nom": "ROUX", "prenom": "MARC",
                  "adresse": "12 RUE DES BONBONS", "code_postal": "31400",
                  "ville": "SAINT - JEAN", "telephone_prof": "05.61.00.00.00"},
                 ["Prénom : MARC", "Téléphone prof. : 05.61.00.00.00"],
                 ["Aucun conjoint enregistré."],
                 {"profession": "Boulanger"}),
    "fiscales": ({"revenu_fiscal_reference": "32 500", "nombre_parts": "2,5"},
                 ["Revenu fiscal de référence : 32500 €", "Nombre de parts : 2,5"],
                 ["Revenu fiscal de référence : Nombre de parts :"],
                 {"nombre_parts": "3"}),
    "caf": ({"regime_caf": "general", "numero_allocataire": "1234567",
             "quotient_familial": "850"},
            ["Régime : Régime général", "N° allocataire : 1234567", "Quotient familial : 850"],
            ["N° allocataire : Quotient familial :"],
            {"quotient_familial": "1200"}),
    "bancaires": ({"titulaire_compte": "ROUX NINA", "iban": "FR76 3000 6000 0112 3456 7890 189",
                   "bic": "bnpafrppxxx", "prelevement_automatique": True},
                  ["IBAN : ••••0189", "BIC : BNPAFRPPXXX", "Prélèvement automatique : Oui",
                   "Titulaire du compte : ROUX NINA"],
                  ["Prélèvement automatique : Non"],
                  {"iban": "FR1420041010050500013M02606", "bic": "PSSTFRPPTOU"}),
}


@pytest.mark.parametrize("code", list(CASES))
def test_family_request_accepted_then_refused(code, parent, backoffice, family, messaging_db):
    changes, shown_after, shown_before, refused_changes = CASES[code]
    family_id = family["family_id"]
    path = f"/mon-compte/demande/{code}"
    form = parent.get(path)
    assert form.status_code == 200 and "Enregistrer" in text(form)
    if code == "responsable":  # pre-filled with today's values
        assert 'value="12 RUE DES BONBONS"' in form.text and 'value="31400"' in form.text

    sent = post_request(parent, path, backoffice, family_id, code, **changes)
    assert sent.status_code == 302, text(sent)
    assert f"/liste-des-demandes?vue=famille&type={code}" in sent.headers["Location"]
    listed = text(parent.get(sent.headers["Location"]))
    assert "transmise à la collectivité" in listed and "En attente de traitement" in listed
    # Nothing changes in the record before the collectivity accepts.
    account = text(parent.get("/mon-compte"))
    assert all(words in account for words in shown_before), account

    [pending] = [r for r in backoffice.call("requests", "pending_requests", code)
                 if r["family_id"] == family_id]
    changed = {c["field"]: (c["old"], c["new"]) for c in pending["changes"] if c["changed"]}
    assert set(changes) <= set(changed)  # old and new side by side, the changes marked
    if code == "bancaires":  # masked, even for the back office, unless asked in clear
        assert changed["iban"] == ("", "••••0189")
        revealed = backoffice.call("requests", "get_request", pending["id"], True)
        assert {c["field"]: c["new"] for c in revealed["changes"]}["iban"] == IBAN
    backoffice.call("requests", "accept_request", pending["id"])
    wait_page(parent, "/mon-compte", shown_after)
    accepted = text(parent.get(f"/liste-des-demandes?vue=famille&type={code}"))
    today = dt.date.today().strftime("%d/%m/%Y")
    assert f"Date demande Date acceptation {pending['subject']}" in accepted
    assert accepted.count(today) == 2  # Date demande and Date acceptation

    # A second request, refused with a reason: the record keeps the accepted values.
    again = post_request(parent, path, backoffice, family_id, code, **refused_changes)
    assert again.status_code == 302, text(again)
    [second] = [r for r in backoffice.call("requests", "pending_requests", code)
                if r["family_id"] == family_id]
    backoffice.call("requests", "refuse_request", second["id"], "Justificatif manquant")
    refused = text(parent.get(f"/liste-des-demandes?vue=famille&type={code}"))
    assert "Date refus" in refused and "Justificatif manquant" in refused
    account = text(parent.get("/mon-compte"))
    assert all(words in account for words in shown_after), account

    # The family is told of both decisions, once each.
    def told():
        subjects = [n.subject for n in notifications_of(messaging_db, family_id)
                    if n.channel == "courriel"]
        return len(subjects) >= 2 and subjects
    subjects = wait_for(told)
    label = pending["label"]
    assert subjects.count(f"Votre demande a été acceptée : {label}") == 1
    assert subjects.count(f"Votre demande a été refusée : {label}") == 1


def test_quotient_familial_reaches_billing_and_direct_debit_creates_a_mandate(
        parent, backoffice, family, billing_db, accounts_db, requests_db):
    from services.billing.models import Family as BillingFamily

    family_id = family["family_id"]
    post_request(parent, "/mon-compte/demande/caf", backoffice, family_id, "caf",
                 regime_caf="msa", numero_allocataire="987654321", quotient_familial="640")
    [caf] = [r for r in backoffice.call("requests", "pending_requests", "caf")
             if r["family_id"] == family_id]
    backoffice.call("requests", "accept_request", caf["id"])

    def billing_qf():
        with billing_db.connect() as conn:
            return conn.scalar(sa.select(BillingFamily.quotient_familial)
                               .where(BillingFamily.id == family_id))
    assert wait_for(lambda: billing_qf() == 640), billing_qf()

    post_request(parent, "/mon-compte/demande/bancaires", backoffice, family_id, "bancaires",
                 titulaire_compte="ROUX NINA", iban=IBAN, bic="BNPAFRPP",
                 prelevement_automatique=True)
    [bank] = [r for r in backoffice.call("requests", "pending_requests", "bancaires")
              if r["family_id"] == family_id]
    assert backoffice.call("billing", "mandates", family_id) == []  # not before acceptance
    backoffice.call("requests", "accept_request", bank["id"])
    mandates = wait_for(lambda: backoffice.call("billing", "mandates", family_id))
    [mandate] = mandates
    assert mandate["status"] == "actif" and mandate["iban"] == "••••0189"
    assert mandate["bic"] == "BNPAFRPP" and mandate["titulaire"] == "ROUX NINA"
    assert mandate["request_id"] == bank["id"]

    # Stopping the direct debit revokes the mandate.
    post_request(parent, "/mon-compte/demande/bancaires", backoffice, family_id, "bancaires",
                 titulaire_compte="ROUX NINA", iban=IBAN, bic="BNPAFRPP",
                 prelevement_automatique=False)
    [stop] = [r for r in backoffice.call("requests", "pending_requests", "bancaires")
              if r["family_id"] == family_id]
    backoffice.call("requests", "accept_request", stop["id"])
    assert wait_for(lambda: backoffice.call("billing", "mandates", family_id)[0]["status"]
                      == "revoque")

    # The IBAN is nowhere in clear: not in accounts, billing or requests tables.
    for engine, table in ((accounts_db, "families"), (billing_db, "direct_debit_mandates"),
                          (requests_db, "change_requests"), (requests_db, "outbox_events")):
        with engine.connect() as conn:
            dump = " ".join(str(row) for row in conn.execute(sa.text(f"SELECT * FROM {table}")))
        assert IBAN not in dump and "30006000011234567890" not in dump, table
    assert any(r.type == "bancaires" for r in stored_requests(requests_db, family_id))
