"""Demo data of the guide (idempotent): the régie, tariffs, and the DUPONT family's 2014-2015
statement exactly as the "Relevé de compte" page of the guide shows it:

    AL-36   08/04/2015  Facture : 01/04/2015 - 30/04/2015  Régie garderie ALSH  120.60
    AL-228  08/04/2015  Règlement : Chèque                 Régie garderie ALSH          243.20
    AL-12   08/04/2015  Facture : 01/02/2015 - 31/03/2015  Régie garderie ALSH  243.20
    Ancien Solde 0.00 — totals 363.80 / 243.20 — Solde 120.60; AL-36 unpaid (due 30/04/2015).

Plus the current school year's invoices from what children published (the closed months).
"""
import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from services.billing import copies, invoicing, tariffs
from services.billing.models import Booking, Invoice, InvoiceLine, Payment, Regie
from services.billing.statement import school_year_of
from services.common.db import make_engine, make_sessionmaker

REGIE = ("AL", "Régie garderie ALSH")
SETTINGS = {
    "collectivity_name": "Mairie de Saint-Jean",
    "collectivity_address": "Place de la Mairie, 31400 SAINT - JEAN",
    "show_balance": True, "online_payment": True, "treasury_collects": False,
    "commune_postal_codes": "31400", "due_days": 22,
    "payment_instructions": "Règlement auprès de la Régie garderie ALSH (Mairie de Saint-Jean) "
                            "par chèque à l'ordre du Trésor Public, en espèces, par CESU ou "
                            "par virement ; ou par carte bancaire sur le Portail Famille.",
}
# Prices by quotient familial: up to 600, up to 1000, above (and unknown QF). The codes are
# the children service's prestation codes (its demo catalogue).
TARIFFS = (
    # code, label, unit, (≤600, ≤1000, above), hors commune, surcharge
    ("GARDERIE_MATIN", "Garderie périscolaire Garderie matin", "heure", ("1.60", "2.40", "3.20"), "4.00", "1.00"),
    ("GARDERIE_SOIR", "Garderie périscolaire Garderie soir", "jour", ("1.80", "2.60", "3.40"), "4.20", "1.00"),
    ("RESTAURATION", "Garderie périscolaire Restauration scolaire", "repas", ("1.60", "2.40", "3.20"), "4.50", "1.50"),
    ("ALSH_MER_PM", "Accueil de Loisirs ALSH Mercredi après-midi", "demi-journee", ("3.50", "5.00", "6.50"), "9.00", "2.00"),
    ("ALSH_MER_J", "Accueil de Loisirs ALSH Mercredi journée", "jour", ("4.00", "5.50", "7.00"), "12.00", "3.00"),
    ("ALSH_VAC_AM", "Accueil de Loisirs ALSH Vacances matin", "demi-journee", ("4.00", "6.00", "7.50"), "9.50", "2.00"),
    ("ALSH_VAC_PM", "Accueil de Loisirs ALSH Vacances après-midi", "demi-journee", ("4.00", "6.00", "7.50"), "9.50", "2.00"),
    ("ALSH_VAC_J", "Accueil de Loisirs ALSH Vacances journée", "jour", ("8.00", "11.50", "15.00"), "20.00", "3.00"),
    ("GARDERIE_HEURE", "Garderie périscolaire (à l'heure)", "heure", ("1.20", "1.60", "2.00"), "2.50", "1.00"),
)

CHILD = "LUCAS DUPONT"
ISSUED = dt.date(2015, 4, 8)
# The guide's invoices: numero, period, due date, lines (prestation, quantity, unit price).
GUIDE_INVOICES = (
    (12, dt.date(2015, 2, 1), dt.date(2015, 3, 31), dt.date(2015, 4, 30), (
        ("Garderie périscolaire Restauration scolaire", 38, "3.20"),
        ("Garderie périscolaire Garderie matin", 38, "3.20"))),  # 243.20
    (36, dt.date(2015, 4, 1), dt.date(2015, 4, 30), dt.date(2015, 4, 30), (
        ("Accueil de Loisirs ALSH Vacances journée", 5, "15.00"),
        ("Garderie périscolaire Restauration scolaire", 8, "3.20"),
        ("Accueil de Loisirs ALSH Mercredi après-midi", 2, "6.50"),
        ("Accueil de Loisirs ALSH Mercredi journée", 1, "7.00"))),  # 120.60
)
GUIDE_PAYMENT = (228, "cheque", "243.20", 12)  # numero, mode, amount, invoice paid


def configure(session):
    """Settings, régie and tariffs (also used by the tests and the benchmark)."""
    tariffs.update_settings(session, **SETTINGS)
    tariffs.save_regie(session, *REGIE)
    for code, label, unit, (low, mid, high), hors_commune, surcharge in TARIFFS:
        tariffs.save_tariff(session, code, REGIE[0], label, unit,
                            [{"qf_max": 600, "price": low}, {"qf_max": 1000, "price": mid},
                             {"qf_max": None, "price": high}], hors_commune, surcharge)


def _guide_statement(session, family_id):
    regie = session.scalar(sa.select(Regie).where(Regie.code == REGIE[0]))
    if session.scalar(sa.select(Invoice.id).where(Invoice.numero == f"{REGIE[0]}-12")):
        return
    ids = {}
    # Inserted in the guide's order of recording: AL-12, then its cheque AL-228, then AL-36.
    for number, start, end, due, lines in GUIDE_INVOICES:
        invoice = Invoice(regie_id=regie.id, number=number, numero=f"{REGIE[0]}-{number}",
                          family_id=family_id, period_start=start, period_end=end,
                          issued_on=ISSUED, due_on=due,
                          total=sum(Decimal(price) * qty for _, qty, price in lines))
        invoice.lines = [InvoiceLine(child_name=CHILD, label=label, quantity=qty,
                                     unit_price=Decimal(price), amount=Decimal(price) * qty)
                         for label, qty, price in lines]
        session.add(invoice)
        session.flush()
        ids[number] = invoice.id
        if number == GUIDE_PAYMENT[3]:
            number_p, mode, amount, _ = GUIDE_PAYMENT
            session.add(Payment(regie_id=regie.id, number=number_p, numero=f"{REGIE[0]}-{number_p}",
                                family_id=family_id, invoice_id=invoice.id, paid_on=ISSUED,
                                mode=mode, amount=Decimal(amount)))
            session.flush()
    # Later numbers follow the guide's.
    regie.last_invoice_number = max(regie.last_invoice_number, 36)
    regie.last_payment_number = max(regie.last_payment_number, 228)


def invoice_closed_months(session, today=None):
    """Invoice each closed month of the current school year from the bookings and attendance
    children has published (idempotent: months already invoiced create nothing)."""
    today = today or dt.date.today()
    month = dt.date(school_year_of(today), 9, 1)
    created = 0
    while month < today.replace(day=1):
        nxt = (month + dt.timedelta(days=32)).replace(day=1)
        if session.scalar(sa.select(Booking.booking_id).where(
                Booking.day >= month, Booking.day < nxt).limit(1)):
            # Issued a week after the month, as a régie does, but never after today: an
            # invoice dated in the future would be unpaid without counting in the balance.
            issued_on = min(nxt + dt.timedelta(days=7), today)
            created += invoicing.run_period(session, f"{month:%Y-%m}",
                                            issued_on=issued_on)["created"]
        month = nxt
    return created


def seed(settings, family):
    """`family`: the demo family as accounts' seed returns it ({id, numero, responsable…})."""
    engine = make_engine(settings.service_database_url("billing"), pool_size=1)
    session = make_sessionmaker(engine)()
    try:
        if session.scalar(sa.select(Regie.id).where(Regie.code == REGIE[0])) is None:
            configure(session)  # once: later changes by the back office are kept
        copies.apply_family(session, family)  # not waiting for the family.created event
        _guide_statement(session, family["id"])
        session.commit()
        invoice_closed_months(session)
        session.commit()
    finally:
        session.close()
        engine.dispose()
