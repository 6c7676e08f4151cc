"""Payments: recorded by the back office (chèque, espèces, virement, CESU, prélèvement, titre
émis) or settled online (carte bancaire, see online.py). Numbered per régie like invoices."""
import datetime as dt

import sqlalchemy as sa

from services.billing import tariffs
from services.billing.models import Family, Invoice, Payment, Regie
from services.billing.money import ZERO, fmt, parse
from services.common import checks
from services.common.errors import NotFound, ValidationError
from services.common.events import add_event

MODES = {
    "cheque": "Chèque",
    "especes": "Espèces",
    "virement": "Virement",
    "cesu": "CESU",
    "prelevement": "Prélèvement",
    "carte": "Carte bancaire",
    "titre": "Titre émis",
}
BACK_OFFICE_MODES = ("cheque", "especes", "virement", "cesu", "prelevement", "titre")


def mode_label(mode, reference=""):
    if mode == "titre":  # the guide's wording: « Titre émis (ORMC n°X) »
        return f"Titre émis (ORMC n°{reference})"
    return MODES[mode]


def paid_amount(session, invoice_id):
    return session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Payment.amount), ZERO))
                          .where(Payment.invoice_id == invoice_id))


def invoice_for_family(session, family_id, invoice_id, lock=False):
    """The invoice if it is this family's; another family's gets the same answer as a
    missing one, so ids of other families cannot be probed."""
    family_id = checks.record_id(family_id, "Facture introuvable.")
    invoice_id = checks.record_id(invoice_id, "Facture introuvable.")
    query = sa.select(Invoice).where(Invoice.id == invoice_id, Invoice.family_id == family_id)
    if lock:
        query = query.with_for_update(of=Invoice)
    invoice = session.scalar(query)
    if invoice is None:
        raise NotFound("Facture introuvable.")
    return invoice


def add_payment(session, family_id, regie_id, mode, amount, paid_on, invoice_id=None,
                reference="", transaction_id=None, email=None, numauto=None):
    """Write a payment and its payment.recorded event (the caller has checked and commits)."""
    number = tariffs.next_number(session, regie_id, "payment")
    regie = session.get(Regie, regie_id)
    payment = Payment(regie=regie, number=number, numero=f"{regie.code}-{number}",
                      family_id=family_id, invoice_id=invoice_id, paid_on=paid_on, mode=mode,
                      reference=reference, amount=amount, transaction_id=transaction_id)
    session.add(payment)
    session.flush()
    invoice_numero = session.scalar(sa.select(Invoice.numero).where(Invoice.id == invoice_id)) \
        if invoice_id else None
    add_event(session, "billing", "payment.recorded", {
        "payment_id": payment.id, "numero": payment.numero, "family_id": family_id,
        "regie": payment.regie.name, "mode": mode, "mode_label": mode_label(mode, reference),
        "amount": fmt(amount), "paid_on": paid_on.isoformat(), "invoice_numero": invoice_numero,
        "email": email, "numauto": numauto})
    return payment


def record_payment(session, family_id, mode, amount, paid_on=None, invoice_id=None,
                   regie_code=None, reference=""):
    """A payment received by the collectivity (or the titre émis to the trésorerie)."""
    if mode not in BACK_OFFICE_MODES:
        raise ValidationError("Mode de règlement inconnu. Modes possibles : "
                              + ", ".join(MODES[m] for m in BACK_OFFICE_MODES) + ".")
    family_id = checks.record_id(family_id, "Famille introuvable.")
    if session.get(Family, family_id) is None:
        raise NotFound("Famille introuvable.")
    amount = parse(amount)
    if amount <= ZERO:
        raise ValidationError("Le montant du règlement doit être positif.")
    reference = checks.text(reference, "La référence")[:100]
    if mode == "titre" and not reference:
        raise ValidationError("Indiquez le n° d'ORMC du titre émis.")
    paid_on = checks.date(paid_on, "La date du règlement") if paid_on else dt.date.today()
    if invoice_id is not None:
        invoice = invoice_for_family(session, family_id, invoice_id, lock=True)
        remaining = invoice.total - paid_amount(session, invoice.id)
        if amount > remaining:
            raise ValidationError(f"Le règlement ({fmt(amount)} €) dépasse le reste à payer de la "
                                  f"facture {invoice.numero} ({fmt(remaining)} €).")
        regie_id = invoice.regie_id
    else:
        regie_id = tariffs.regie_by_code(session, regie_code).id
    payment = add_payment(session, family_id, regie_id, mode, amount, paid_on, invoice_id, reference)
    return payment_dict(payment)


def payment_dict(payment):
    return {"id": payment.id, "numero": payment.numero, "date": payment.paid_on.isoformat(),
            "mode": payment.mode, "mode_label": mode_label(payment.mode, payment.reference),
            "description": f"Règlement : {mode_label(payment.mode, payment.reference)}",
            "regie": payment.regie.name, "amount": fmt(payment.amount),
            "invoice_id": payment.invoice_id}
