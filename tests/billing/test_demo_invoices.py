"""`make run`'s demo: this school year's invoices come from the planning children published
(EMMA's regular canteen contract, Wednesday centre, morning daycare), once billing took it in."""
import datetime as dt
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from deploy import demo as deploy_demo
from services.billing.models import Invoice
from services.children import demo as children_demo
from services.children.models import Attendance, Child, Prestation

ROOT = Path(__file__).resolve().parents[2]
CANTEEN = "Garderie périscolaire Restauration scolaire"


def _closed_months(today):
    month = dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    while month < today.replace(day=1):
        yield month
        month = (month + dt.timedelta(days=32)).replace(day=1)


def _emma_presences(children_db, family_id, month):
    """Canteen days children recorded EMMA present in `month` (the structure's pointage)."""
    end = (month + dt.timedelta(days=32)).replace(day=1)
    with children_db.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(Attendance)
                           .join(Child, Child.id == Attendance.child_id)
                           .join(Prestation, Prestation.id == Attendance.prestation_id)
                           .where(Child.family_id == family_id, Child.prenom == "EMMA",
                                  Prestation.code == "RESTAURATION",
                                  Attendance.status == "present",
                                  Attendance.date >= month, Attendance.date < end))


def test_this_school_years_invoices_follow_the_planning(settings, demo_billing, db, service_db):
    family = demo_billing
    children_demo.seed(settings, family)  # the services run: its events reach billing

    assert deploy_demo.invoice_elapsed_months(settings, timeout=60) == 0

    today = dt.date.today()
    for month in _closed_months(today):
        invoice = db.scalar(sa.select(Invoice).where(Invoice.family_id == family["id"],
                                                     Invoice.period_start == month))
        assert invoice is not None, f"no invoice for {month:%Y-%m}"
        assert invoice.issued_on <= today  # never dated in the future (early in a month)
        lines = {line.label: line for line in invoice.lines if line.child_name == "EMMA DUPONT"}
        # The regular contract books its days: billed at the normal price, never as a
        # presence without booking; an excused absence is not billed.
        presences = _emma_presences(service_db["children"], family["id"], month)
        assert lines[CANTEEN].quantity == presences > 0
        assert CANTEEN + " (présence sans réservation)" not in lines
        assert invoice.total == sum(line.amount for line in invoice.lines)
    # Nothing new the second time, from the command `make run` runs.
    before = db.scalar(sa.select(sa.func.count()).select_from(Invoice))
    again = subprocess.run([sys.executable, "-m", "deploy.demo", "--invoice-elapsed-months"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "demo: 0 invoices of this school year made" in again.stderr
    db.rollback()
    assert db.scalar(sa.select(sa.func.count()).select_from(Invoice)) == before
