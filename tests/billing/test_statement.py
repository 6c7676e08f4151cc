"""The account: the guide's 2014-2015 statement, unpaid invoices, balance, payments recorded
by the back office (every mode, the titre émis and its trésorerie wording)."""
import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from services.billing import invoicing
from services.billing.models import Invoice
from services.common.errors import NotFound, ValidationError
from tests.billing.conftest import billing_family, unique_id
from tests.billing.test_invoicing import _book


def test_the_guide_statement_of_2014_2015(bo, demo_billing):
    st = bo.call("billing", "statement", demo_billing["id"], 2014)
    assert st["year_label"] == "2014-2015"
    assert [(op["numero"], op["date"], op["description"], op["regie"], op["debit"], op["credit"])
            for op in st["operations"]] == [
        ("AL-36", "2015-04-08", "Facture : 01/04/2015 - 30/04/2015", "Régie garderie ALSH", "120.60", None),
        ("AL-228", "2015-04-08", "Règlement : Chèque", "Régie garderie ALSH", None, "243.20"),
        ("AL-12", "2015-04-08", "Facture : 01/02/2015 - 31/03/2015", "Régie garderie ALSH", "243.20", None),
    ]
    assert (st["ancien_solde"], st["total_debit"], st["total_credit"], st["solde"]) == \
        ("0.00", "363.80", "243.20", "120.60")
    assert {"year": 2014, "label": "2014-2015"} in st["years"]
    # The next year starts from the 2014-2015 solde.
    nxt = bo.call("billing", "statement", demo_billing["id"], 2015)
    assert nxt["ancien_solde"] == "120.60" and nxt["operations"] == [] and nxt["solde"] == "120.60"


def test_the_guide_unpaid_invoice_and_balance(bo, demo_billing):
    unpaid = bo.call("billing", "unpaid_invoices", demo_billing["id"])
    invoices = [(i["numero"], i["date"], i["due_on"], i["remaining"]) for i in unpaid["invoices"]]
    assert invoices[0] == ("AL-36", "2015-04-08", "2015-04-30", "120.60")
    # Then this school year's, when the demo planning has been invoiced (deploy.demo): nothing
    # of them is paid, so the balance is the total of the unpaid invoices.
    this_year = dt.date(dt.date.today().year - (dt.date.today().month < 9), 9, 1).isoformat()
    assert all(i["period_start"] >= this_year for i in unpaid["invoices"][1:])
    total = sum(Decimal(i["remaining"]) for i in unpaid["invoices"])
    assert Decimal(unpaid["total"]) == total
    summary = bo.call("billing", "account_summary", demo_billing["id"])
    assert Decimal(summary["balance"]) == total and summary["date"] == dt.date.today().isoformat()
    assert bo.call("billing", "accueil_panels", demo_billing["id"]) == {
        "summary": summary, "unpaid": unpaid}


@pytest.fixture
def invoice(db, demo_billing):
    """A 16.00 invoice (5 meals at the highest bracket) of a new family."""
    family = billing_family(db, 910000 + unique_id() % 10000)
    child = unique_id()
    for day in range(5, 10):
        _book(db, family.id, child, f"2030-09-{day:02d}")
    db.commit()
    invoicing.run_period(db, "2030-09", issued_on=dt.date(2030, 10, 2))
    return db.scalar(sa.select(Invoice).where(Invoice.family_id == family.id))


def test_back_office_payments_in_every_mode_settle_the_invoice(bo, invoice):
    family_id = invoice.family_id
    modes = [("cheque", "4.00", "Chèque"), ("especes", "3.00", "Espèces"),
             ("virement", "3.00", "Virement"), ("cesu", "3.00", "CESU"),
             ("prelevement", "3.00", "Prélèvement")]
    numbers = []
    for mode, amount, label in modes:
        payment = bo.call("billing", "record_payment", family_id, mode, amount, "2030-10-10",
                          invoice.id)
        assert payment["description"] == f"Règlement : {label}" and payment["amount"] == amount
        numbers.append(int(payment["numero"].split("-")[1]))
    assert numbers == list(range(numbers[0], numbers[0] + 5))  # numbered in sequence per régie
    assert bo.call("billing", "unpaid_invoices", family_id)["invoices"] == []
    st = bo.call("billing", "statement", family_id, 2030)
    assert (st["total_debit"], st["total_credit"], st["solde"]) == ("16.00", "16.00", "0.00")
    reglements = {p["mode_label"] for p in st["payments"]}
    assert reglements == {label for _, _, label in modes}


def test_bad_payments_are_refused_in_french_and_change_nothing(bo, invoice):
    family_id = invoice.family_id
    cases = [("bitcoin", "1.00", "Mode de règlement inconnu"),
             ("cheque", "-5", "doit être positif"),
             ("cheque", "abc", "n'est pas un nombre valide"),
             ("cheque", "16.01", "dépasse le reste à payer"),
             ("titre", "16.00", "n° d'ORMC")]
    for mode, amount, message in cases:
        with pytest.raises(ValidationError) as exc:
            bo.call("billing", "record_payment", family_id, mode, amount, None, invoice.id)
        assert message in str(exc.value)
    with pytest.raises(NotFound):  # another family's invoice
        bo.call("billing", "record_payment", family_id + 1, "cheque", "1.00", None, invoice.id)
    assert bo.call("billing", "unpaid_invoices", family_id)["total"] == "16.00"


def test_titre_emis_hands_the_invoice_to_the_tresorerie(bo, invoice):
    family_id = invoice.family_id
    payment = bo.call("billing", "record_payment", family_id, "titre", "16.00", "2030-10-20",
                      invoice.id, None, "1234")
    assert payment["description"] == "Règlement : Titre émis (ORMC n°1234)"
    st = bo.call("billing", "statement", family_id, 2030)
    assert st["treasury_collects"] is True
    assert st["invoices"][0]["titled"] and not st["invoices"][0]["payable_online"]
    assert bo.call("billing", "unpaid_invoices", family_id)["invoices"] == []


def test_settings_are_changed_by_the_back_office(bo, demo_billing):
    before = bo.call("billing", "get_settings")
    try:
        after = bo.call("billing", "update_settings", show_balance=False, treasury_collects=True)
        assert after["show_balance"] is False and after["treasury_collects"] is True
        summary = bo.call("billing", "account_summary", demo_billing["id"])
        assert summary["show_balance"] is False and summary["treasury_collects"] is True
        with pytest.raises(ValidationError):
            bo.call("billing", "update_settings", couleur="rouge")
    finally:
        bo.call("billing", "update_settings", show_balance=before["show_balance"],
                treasury_collects=before["treasury_collects"])
