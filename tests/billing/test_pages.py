"""The parent's pages: "Relevé de compte" (the guide's statement), "Mes factures", "Mes
règlements", the invoice PDF, and the Accueil panels "Opérations en cours" and "Factures
impayées" — each billing panel degrading alone when billing does not answer."""
import datetime as dt
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from gateway import dates
from services.accounts import demo
from services.billing.models import Invoice
from tests.support.web import login, text
from tests.support.families import create_family


@pytest.fixture
def dupont(client, demo_billing, bo):
    bo.call("billing", "update_settings", online_payment=True, show_balance=True,
            treasury_collects=False)
    login(client, demo.DEMO_NUMERO, demo.DEMO_PASSWORD)
    return client


@pytest.fixture
def invoice_ids(db, demo_billing):
    return dict(db.execute(sa.select(Invoice.numero, Invoice.id)
                           .where(Invoice.numero.in_(["AL-12", "AL-36"]))).all())


def test_releve_de_compte_shows_the_guide_statement(dupont, invoice_ids):
    response = dupont.get("/releve-de-compte?annee=2014")
    page = text(response)
    assert "Année scolaire:" in page and '<option value="2014" selected>2014-2015</option>' in response.text
    assert "Relevé des opérations" in page
    assert "N° Opération Date Description Régie Débit Crédit" in page
    assert ("AL-36 08/04/2015 Facture : 01/04/2015 - 30/04/2015 Régie garderie ALSH 120.60" in page)
    assert "AL-228 08/04/2015 Règlement : Chèque Régie garderie ALSH 243.20" in page
    assert "AL-12 08/04/2015 Facture : 01/02/2015 - 31/03/2015 Régie garderie ALSH 243.20" in page
    assert page.index("AL-36") < page.index("AL-228") < page.index("AL-12")
    assert ("Ancien Solde : Solde du Compte pour l'année scolaire : 363.80 243.20 0.00 120.60"
            in page)
    # PDF icon for both invoices; card icon only for the unpaid one.
    for numero in ("AL-12", "AL-36"):
        assert f"/releve-de-compte/factures/{invoice_ids[numero]}.pdf" in response.text
    assert f"/paiement/facture/{invoice_ids['AL-36']}" in response.text
    assert f"/paiement/facture/{invoice_ids['AL-12']}" not in response.text


def test_the_current_school_year_is_shown_by_default(dupont, bo, demo_billing):
    response = dupont.get("/releve-de-compte")
    year = dt.date.today().year - (dt.date.today().month < 9)
    assert f'<option value="{year}" selected>{year}-{year + 1}</option>' in response.text
    assert '<option value="2014">2014-2015</option>' in response.text
    # This year starts from the guide's solde; its own invoices (the demo planning's) add up.
    st = bo.call("billing", "statement", demo_billing["id"])
    assert st["ancien_solde"] == "120.60"
    assert Decimal(st["solde"]) == Decimal("120.60") + Decimal(st["total_debit"]) - Decimal(st["total_credit"])
    assert ("Ancien Solde : Solde du Compte pour l'année scolaire : "
            f"{st['total_debit']} {st['total_credit']} 120.60 {st['solde']}") in text(response)


def test_mes_factures_and_mes_reglements(dupont):
    factures = text(dupont.get("/releve-de-compte/factures?annee=2014"))
    assert "Mes factures" in factures
    assert "AL-36 08/04/2015 01/04/2015 - 30/04/2015 Régie garderie ALSH 30/04/2015 120.60 120.60" in factures
    assert "AL-12 08/04/2015 01/02/2015 - 31/03/2015 Régie garderie ALSH 30/04/2015 243.20 Réglée" in factures
    reglements = text(dupont.get("/releve-de-compte/reglements?annee=2014"))
    assert "Mes règlements" in reglements
    assert "AL-228 08/04/2015 Chèque Régie garderie ALSH 243.20" in reglements


def test_accueil_shows_the_balance_and_the_unpaid_invoice(dupont, invoice_ids, bo, demo_billing):
    response = dupont.get("/accueil")
    page = text(response)
    assert f"Opérations en cours A la date du {dates.today_long()}" in page
    # The guide's AL-36, and this school year's invoices of the demo planning if it has any.
    unpaid = bo.call("billing", "unpaid_invoices", demo_billing["id"])
    assert f"Votre compte présente un solde de {unpaid['total']} €" in page
    assert f"Vos factures impayées à la date du {dates.today_long()} :" in page
    assert "N° Facture Date Facture Date Echéance Montant" in page
    assert "AL-36 08/04/2015 30/04/2015 120.60" in page
    assert f"Total : FACTURES = {unpaid['total']}" in page
    assert f"/releve-de-compte/factures/{invoice_ids['AL-36']}.pdf" in response.text
    assert f"/paiement/facture/{invoice_ids['AL-36']}" in response.text


def test_balance_hidden_or_followed_by_the_tresorerie(dupont, bo):
    try:
        bo.call("billing", "update_settings", show_balance=False)
        assert "Votre compte présente un solde" not in text(dupont.get("/accueil"))
        bo.call("billing", "update_settings", show_balance=True, treasury_collects=True)
        accueil = text(dupont.get("/accueil"))
        assert "Votre compte présente un solde" not in accueil and "trésorerie" in accueil
        releve = text(dupont.get("/releve-de-compte?annee=2014"))
        assert "Titre émis (ORMC n°X)" in releve and "auprès de votre trésorerie" in releve
    finally:
        bo.call("billing", "update_settings", show_balance=True, treasury_collects=False)


def test_the_invoice_pdf_is_served_to_its_family_only(dupont, client, bo, invoice_ids, app):
    response = dupont.get(f"/releve-de-compte/factures/{invoice_ids['AL-36']}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "facture-AL-36.pdf" in response.headers["Content-Disposition"]
    pdf_text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "FACTURE N° AL-36" in pdf_text and "Total à payer : 120.60 €" in pdf_text

    other = app.test_client()
    family = create_family(bo, nom="AUTRE", prenom="ALICE", password="Famille2026")
    login(other, family["identifiant"], family["password"])
    refused = other.get(f"/releve-de-compte/factures/{invoice_ids['AL-36']}.pdf")
    assert refused.status_code == 404 and refused.mimetype == "text/html"
    assert "AL-36" not in text(other.get("/releve-de-compte?annee=2014"))
    anonymous = app.test_client().get(f"/releve-de-compte/factures/{invoice_ids['AL-36']}.pdf")
    assert anonymous.status_code == 302


def test_billing_down_leaves_the_rest_of_accueil(dupont, services):
    with services.down("billing"):
        accueil = dupont.get("/accueil")
        releve = dupont.get("/releve-de-compte")
    assert accueil.status_code == 200 and releve.status_code == 200
    page = text(accueil)
    assert "N° Famille : 10010018331" in page  # accounts' panel is there
    assert page.count("Informations momentanément indisponibles") == 2
    assert "Opérations en cours" in page and "Factures Impayées" in page
    assert "Informations momentanément indisponibles" in text(releve)
