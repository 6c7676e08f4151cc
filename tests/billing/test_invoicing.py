"""Tariffs and the monthly invoicing run: the billing rules, QF brackets, out-of-commune rate,
surcharge, numbering per régie, idempotent re-runs, invoice.issued events, the command line."""
import datetime as dt
import subprocess
import sys
from decimal import Decimal

import pytest
import sqlalchemy as sa

from services.billing import copies, invoicing, tariffs
from services.billing.models import Invoice, InvoicePdf, Tariff, TariffBracket
from services.billing.money import money
from services.common.events import outbox_events
from tests.billing.conftest import ROOT, billing_family, unique_id
from tests.support.waiting import wait_for

ISSUED = dt.date(2031, 2, 5)


def _tariff():
    t = Tariff(prestation_code="X", hors_commune_price=Decimal("9.00"), surcharge=Decimal("1"))
    t.brackets = [TariffBracket(qf_max=600, price=Decimal("1.60")),
                  TariffBracket(qf_max=1000, price=Decimal("2.40")),
                  TariffBracket(qf_max=None, price=Decimal("3.20"))]
    return t


@pytest.mark.parametrize("qf, hors_commune, price", [
    (0, False, "1.60"), (600, False, "1.60"), (601, False, "2.40"), (1000, False, "2.40"),
    (5000, False, "3.20"), (None, False, "3.20"), (300, True, "9.00"), (None, True, "9.00")])
def test_unit_price_by_qf_bracket_missing_qf_and_out_of_commune(qf, hors_commune, price):
    assert tariffs.unit_price(_tariff(), qf, hors_commune) == Decimal(price)


def test_money_is_decimal_never_float():
    assert money("0.1") + money("0.2") == Decimal("0.30")
    with pytest.raises(TypeError):
        money(0.1)


def _book(db, family_id, child_id, day, code="RESTAURATION", cancelled=None):
    data = {"family_id": family_id, "child_id": child_id, "child_name": "EMMA TEST",
            "structure": "S", "prestation_code": code, "prestation": f"Presta {code}",
            "unit": "repas", "date": day, "responsable": "TEST", "booking_id": unique_id()}
    copies.apply_booking_confirmed(db, data)
    if cancelled is not None:
        copies.apply_booking_cancelled(db, {**data, "late": cancelled == "late"})


def _attend(db, family_id, child_id, day, status, booked, code="RESTAURATION", quantity="1",
            at="2031-01-31T10:00:00+00:00"):
    copies.apply_attendance(db, {
        "family_id": family_id, "child_id": child_id, "child_name": "EMMA TEST", "structure": "S",
        "prestation_code": code, "prestation": f"Presta {code}", "unit": "repas", "date": day,
        "responsable": "TEST", "attendance_id": unique_id(), "status": status, "booked": booked,
        "quantity": quantity}, at)


def test_the_billing_rules_of_a_month(db, demo_billing):
    family = billing_family(db, 900001, qf=500)  # first bracket: RESTAURATION 1.60, surcharge 1.50
    child = unique_id()
    _book(db, family.id, child, "2031-01-06"); _attend(db, family.id, child, "2031-01-06", "present", True)
    _book(db, family.id, child, "2031-01-07"); _attend(db, family.id, child, "2031-01-07", "absent_facture", True)
    _book(db, family.id, child, "2031-01-08"); _attend(db, family.id, child, "2031-01-08", "absent_excuse", True)
    _attend(db, family.id, child, "2031-01-09", "present", False)  # no booking: surcharge
    _book(db, family.id, child, "2031-01-13")  # booked, nothing recorded: due
    _book(db, family.id, child, "2031-01-14", cancelled="late")
    _book(db, family.id, child, "2031-01-15", cancelled="in time")
    # Recorded twice: the later record wins, even when the older one is delivered last.
    _book(db, family.id, child, "2031-01-16")
    _attend(db, family.id, child, "2031-01-16", "present", True, at="2031-01-31T12:00:00+00:00")
    _attend(db, family.id, child, "2031-01-16", "absent_excuse", True, at="2031-01-31T11:00:00+00:00")
    # Hours outside the contract, at the surcharged price: 1.5 h × (1.20 + 1.00).
    _attend(db, family.id, child, "2031-01-20", "heure_hors_contrat", False, code="GARDERIE_HEURE",
            quantity="1.5")
    db.commit()

    summary = invoicing.run_period(db, "2031-01", issued_on=ISSUED)
    assert summary["created"] == 1
    invoice = db.get(Invoice, summary["invoice_ids"][0])
    lines = {line.label: (line.quantity, line.unit_price, line.amount) for line in invoice.lines}
    # Each line is named by the régie's tariff, whatever the structure called the prestation.
    canteen, daycare = "Garderie périscolaire Restauration scolaire", "Garderie périscolaire (à l'heure)"
    assert lines == {
        canteen: (3, Decimal("1.60"), Decimal("4.80")),  # 06, 13, 16
        canteen + " (absence facturée)": (1, Decimal("1.60"), Decimal("1.60")),
        canteen + " (annulation tardive)": (1, Decimal("1.60"), Decimal("1.60")),
        canteen + " (présence sans réservation)": (1, Decimal("3.10"), Decimal("3.10")),
        daycare + " (heure hors contrat)": (Decimal("1.5"), Decimal("2.20"), Decimal("3.30")),
    }
    assert invoice.total == Decimal("14.40")
    assert invoice.numero == f"AL-{invoice.number}" and invoice.number > 36  # after the guide's
    assert (invoice.period_start, invoice.period_end) == (dt.date(2031, 1, 1), dt.date(2031, 1, 31))
    assert invoice.issued_on == ISSUED
    assert invoice.due_on == ISSUED + dt.timedelta(days=tariffs.get_settings(db).due_days)

    again = invoicing.run_period(db, "2031-01", issued_on=ISSUED)
    assert again["created"] == 0 and again["existing"] == 1
    assert db.scalar(sa.select(sa.func.count()).select_from(Invoice)
                     .where(Invoice.family_id == family.id)) == 1


def test_missing_qf_pays_the_highest_bracket_and_out_of_commune_its_rate(db, demo_billing):
    unknown = billing_family(db, 900002, qf=None)
    elsewhere = billing_family(db, 900003, qf=300, code_postal="75011")
    for family in (unknown, elsewhere):
        _book(db, family.id, unique_id(), "2031-02-03")
    db.commit()
    summary = invoicing.run_period(db, "2031-02", issued_on=ISSUED)
    totals = dict(db.execute(sa.select(Invoice.family_id, Invoice.total)
                             .where(Invoice.id.in_(summary["invoice_ids"]))).all())
    assert totals == {unknown.id: Decimal("3.20"), elsewhere.id: Decimal("4.50")}


def test_invoices_are_numbered_in_sequence_per_regie(db, demo_billing):
    families = [billing_family(db, 900010 + i, qf=800) for i in range(3)]
    for family in families:
        _book(db, family.id, unique_id(), "2031-03-03")
    db.commit()
    summary = invoicing.run_period(db, "2031-03", issued_on=ISSUED)
    numbers = sorted(db.scalars(sa.select(Invoice.number).where(Invoice.id.in_(summary["invoice_ids"]))))
    assert len(numbers) == 3 and numbers == list(range(numbers[0], numbers[0] + 3))


def test_a_prestation_without_tariff_is_reported_not_billed(db, demo_billing):
    family = billing_family(db, 900020)
    _book(db, family.id, unique_id(), "2031-04-07", code="INCONNUE")
    db.commit()
    summary = invoicing.run_period(db, "2031-04", issued_on=ISSUED)
    assert summary["created"] == 0 and summary["without_tariff"] == ["INCONNUE"]


def test_a_bad_period_is_refused_in_french(bo, demo_billing):
    from services.common.errors import ValidationError

    with pytest.raises(ValidationError) as exc:
        bo.call("billing", "run_invoicing", "novembre")
    assert "AAAA-MM" in str(exc.value)


def test_rpc_run_publishes_invoice_issued_once(settings, bo, db, billing_engine, demo_billing):
    family = billing_family(db, 900030, qf=None)
    _book(db, family.id, unique_id(), "2031-05-05")
    db.commit()
    first = bo.call("billing", "run_invoicing", "2031-05", "2031-06-02")
    second = bo.call("billing", "run_invoicing", "2031-05", "2031-06-02")
    assert first["created"] == 1 and second["created"] == 0 and second["existing"] == 1

    def published():
        with billing_engine.connect() as conn:
            return conn.execute(sa.select(outbox_events.c.payload, outbox_events.c.published_at)
                                .where(outbox_events.c.event_type == "invoice.issued",
                                       outbox_events.c.payload["data"]["family_id"].as_integer() == family.id)).all()
    rows = wait_for(lambda: [r for r in published() if r.published_at is not None])
    assert len(published()) == 1 and rows
    data = rows[0].payload["data"]
    assert data["total"] == "3.20" and data["numero"].startswith("AL-")
    assert data["period_start"] == "2031-05-01" and data["due_on"] == "2031-06-24"


def test_command_line_run_renders_every_pdf_and_is_idempotent(settings, db, demo_billing):
    families = [billing_family(db, 900040 + i) for i in range(3)]
    for family in families:
        _book(db, family.id, unique_id(), "2031-07-07")
    db.commit()
    command = [sys.executable, "-m", "services.billing.invoicing_cli", "--period", "2031-07",
               "--issued-on", "2031-08-01", "--workers", "2"]
    first = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "3 facture(s) émise(s)" in first.stdout
    ids = db.scalars(sa.select(Invoice.id).where(Invoice.period_start == dt.date(2031, 7, 1))).all()
    assert len(ids) == 3
    assert db.scalar(sa.select(sa.func.count()).select_from(InvoicePdf)
                     .where(InvoicePdf.invoice_id.in_(ids))) == 3
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "0 facture(s) émise(s), 3 déjà émise(s)" in again.stdout
    bad = subprocess.run([*command[:4], "2031-13"], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and "AAAA-MM" in bad.stderr
