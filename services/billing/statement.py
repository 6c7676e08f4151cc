"""The family's account: "Relevé de compte" by school year, balance, unpaid invoices."""
import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm

from services.billing import tariffs
from services.billing.models import Invoice, Payment
from services.billing.money import ZERO, fmt
from services.billing.payments import payment_dict
from services.common import checks


def school_year_of(day):
    """The school year a day belongs to, by its first calendar year (Sept → Aug)."""
    return day.year if day.month >= 9 else day.year - 1


def school_year_bounds(year):
    return dt.date(year, 9, 1), dt.date(year + 1, 8, 31)


def year_label(year):
    return f"{year}-{year + 1}"


def _sum(session, column, *where):
    return session.scalar(sa.select(sa.func.coalesce(sa.func.sum(column), ZERO)).where(*where))


def balance(session, family_id, at):
    """What the family owes at this date: invoices issued minus payments received."""
    return (_sum(session, Invoice.total, Invoice.family_id == family_id, Invoice.issued_on <= at)
            - _sum(session, Payment.amount, Payment.family_id == family_id, Payment.paid_on <= at))


def paid_by_invoice(session, invoice_ids):
    if not invoice_ids:
        return {}
    return dict(session.execute(sa.select(Payment.invoice_id, sa.func.sum(Payment.amount))
                                .where(Payment.invoice_id.in_(invoice_ids))
                                .group_by(Payment.invoice_id)).all())


def titled_invoices(session, invoice_ids):
    """Invoices handed to the trésorerie (a titre émis): no longer paid on the portal."""
    if not invoice_ids:
        return set()
    return set(session.scalars(sa.select(Payment.invoice_id).where(
        Payment.invoice_id.in_(invoice_ids), Payment.mode == "titre")))


def invoice_dict(invoice, paid=ZERO, titled=False, online_payment=False):
    remaining = invoice.total - paid
    return {
        "id": invoice.id, "numero": invoice.numero, "date": invoice.issued_on.isoformat(),
        "due_on": invoice.due_on.isoformat(),
        "period_start": invoice.period_start.isoformat(), "period_end": invoice.period_end.isoformat(),
        "description": f"Facture : {invoice.period_start:%d/%m/%Y} - {invoice.period_end:%d/%m/%Y}",
        "regie": invoice.regie.name, "amount": fmt(invoice.total), "remaining": fmt(remaining),
        "paid": remaining <= ZERO, "titled": titled,
        # The card icon: online payment on, something left to pay, not with the trésorerie.
        "payable_online": online_payment and remaining > ZERO and not titled,
    }


def statement(session, family_id, year=None, today=None):
    """The "Relevé des opérations" of one school year (default: the current one)."""
    family_id = checks.record_id(family_id, "Famille introuvable.")
    today = today or dt.date.today()
    current = school_year_of(today)
    year = current if year is None else checks.integer(year, "L'année scolaire", 2000, 2100)
    start, end = school_year_bounds(year)
    settings_row = tariffs.get_settings(session)
    invoices = session.scalars(sa.select(Invoice).where(
        Invoice.family_id == family_id, Invoice.issued_on.between(start, end))).all()
    payments = session.scalars(sa.select(Payment).where(
        Payment.family_id == family_id, Payment.paid_on.between(start, end))).all()
    ids = [i.id for i in invoices]
    paid, titled = paid_by_invoice(session, ids), titled_invoices(session, ids)
    invoice_rows = [invoice_dict(i, paid.get(i.id, ZERO), i.id in titled,
                                 settings_row.online_payment) for i in invoices]
    payment_rows = [payment_dict(p) for p in payments]
    operations = sorted(
        [({**row, "kind": "facture", "debit": row["amount"], "credit": None}, i.issued_on, i.recorded_at)
         for row, i in zip(invoice_rows, invoices)]
        + [({**row, "kind": "reglement", "debit": None, "credit": row["amount"]}, p.paid_on, p.recorded_at)
           for row, p in zip(payment_rows, payments)],
        key=lambda op: (op[1], op[2]), reverse=True)  # the newest first, as in the guide
    before = start - dt.timedelta(days=1)
    ancien = balance(session, family_id, before)
    debit = sum((i.total for i in invoices), ZERO)
    credit = sum((p.amount for p in payments), ZERO)
    years = {current, year}
    first = session.scalar(sa.select(sa.func.least(
        sa.select(sa.func.min(Invoice.issued_on)).where(Invoice.family_id == family_id).scalar_subquery(),
        sa.select(sa.func.min(Payment.paid_on)).where(Payment.family_id == family_id).scalar_subquery())))
    if first is not None:
        years |= set(range(school_year_of(first), current + 1))
    return {
        "year": year, "year_label": year_label(year),
        "years": [{"year": y, "label": year_label(y)} for y in sorted(years, reverse=True)],
        "operations": [op[0] for op in operations],
        "invoices": sorted(invoice_rows, key=lambda r: r["date"], reverse=True),
        "payments": sorted(payment_rows, key=lambda r: r["date"], reverse=True),
        "ancien_solde": fmt(ancien), "total_debit": fmt(debit), "total_credit": fmt(credit),
        "solde": fmt(ancien + debit - credit),
        "online_payment": settings_row.online_payment,
        "treasury_collects": settings_row.treasury_collects or bool(titled)
        or any(p.mode == "titre" for p in payments),
    }


def account_summary(session, family_id, today=None):
    """"Opérations en cours" of Accueil: the balance at today's date, if the collectivity
    shows it (and not when the trésorerie follows the payments)."""
    family_id = checks.record_id(family_id, "Famille introuvable.")
    today = today or dt.date.today()
    settings_row = tariffs.get_settings(session)
    return {"date": today.isoformat(), "show_balance": settings_row.show_balance,
            "treasury_collects": settings_row.treasury_collects,
            "balance": fmt(balance(session, family_id, today))}


def _unpaid(invoices_paid_titled, online_payment):
    rows = [invoice_dict(i, paid, titled, online_payment) for i, paid, titled in invoices_paid_titled]
    rows = [r for r in rows if not r["paid"] and not r["titled"]]
    total = sum((Decimal(r["remaining"]) for r in rows), ZERO)
    return {"invoices": rows, "total": fmt(total), "online_payment": online_payment}


def _invoices_with_payments(session, family_id):
    """[(invoice, paid, titled)] of the family, oldest first, in one query (Accueil's)."""
    payments = (sa.select(Payment.invoice_id,
                          sa.func.sum(Payment.amount).label("paid"),
                          sa.func.bool_or(Payment.mode == "titre").label("titled"))
                .where(Payment.family_id == family_id, Payment.invoice_id.is_not(None))
                .group_by(Payment.invoice_id).subquery())
    rows = session.execute(
        sa.select(Invoice, sa.func.coalesce(payments.c.paid, ZERO),
                  sa.func.coalesce(payments.c.titled, False))
        .outerjoin(payments, payments.c.invoice_id == Invoice.id)
        # Only the header is shown: the lines are not loaded.
        .options(orm.noload(Invoice.lines))
        .where(Invoice.family_id == family_id).order_by(Invoice.issued_on, Invoice.id)).all()
    return [tuple(row) for row in rows]


def unpaid_invoices(session, family_id, settings_row=None):
    """"Factures impayées": what is left to pay on each invoice, oldest first."""
    family_id = checks.record_id(family_id, "Famille introuvable.")
    settings_row = settings_row or tariffs.get_settings(session)
    return _unpaid(_invoices_with_payments(session, family_id), settings_row.online_payment)


def accueil_panels(session, family_id, today=None):
    """Accueil's two billing panels in one answer, from three queries (the page's busiest
    call): the settings, the invoices with what was paid on each, the payments up to today."""
    family_id = checks.record_id(family_id, "Famille introuvable.")
    today = today or dt.date.today()
    settings_row = tariffs.get_settings(session)
    invoices = _invoices_with_payments(session, family_id)
    issued = sum((i.total for i, _, _ in invoices if i.issued_on <= today), ZERO)
    received = _sum(session, Payment.amount, Payment.family_id == family_id, Payment.paid_on <= today)
    return {"summary": {"date": today.isoformat(), "show_balance": settings_row.show_balance,
                        "treasury_collects": settings_row.treasury_collects,
                        "balance": fmt(issued - received)},
            "unpaid": _unpaid(invoices, settings_row.online_payment)}
