"""Online payment through the bank partner (PayFiP-like flow, DESIGN.md "Payments").

start → the bank gives an idOp → the parent pays on the bank's page → the bank notifies
urlnotif with the idOp only → `settle` asks the bank for the result (never trusting the
browser) and applies it once: the transaction row is locked while it is applied, and
payments.transaction_id is UNIQUE. A result whose reference or amount differs from what we
asked is held for review; so is a second payment of an invoice already paid. `sweep` settles
transactions whose notification never came; an idOp expires after 15 minutes.
"""
import datetime as dt
import re
from decimal import Decimal

import sqlalchemy as sa

from services.billing import tariffs
from services.billing.bank import BankUnavailable
from services.billing.models import Family, Invoice, OnlineTransaction
from services.billing.money import cents, fmt
from services.billing.payments import add_payment, invoice_for_family, paid_amount
from services.billing.statement import titled_invoices
from services.common import checks
from services.common.errors import Conflict, Forbidden, NotFound, ValidationError

LIFETIME = dt.timedelta(minutes=15)
OPEN = ("created", "pending")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
UNAVAILABLE = ("Le paiement en ligne est momentanément indisponible. "
               "Veuillez réessayer plus tard.")


def now():
    return dt.datetime.now(dt.timezone.utc)


def payable_invoice(session, family_id, invoice_id):
    """The invoice and what is left to pay, or a French refusal."""
    if not tariffs.get_settings(session).online_payment:
        raise Forbidden("Le paiement en ligne n'est pas proposé par votre collectivité.")
    invoice = invoice_for_family(session, family_id, invoice_id)
    if titled_invoices(session, [invoice.id]):
        raise Conflict("Cette facture a été transmise à la trésorerie : elle ne peut plus être "
                       "payée sur le portail.")
    remaining = invoice.total - paid_amount(session, invoice.id)
    if remaining <= 0:
        raise Conflict(f"La facture {invoice.numero} est déjà réglée.")
    return invoice, remaining


def payment_form(session, family_id, invoice_id):
    invoice, remaining = payable_invoice(session, family_id, invoice_id)
    family = session.get(Family, family_id)
    return {"invoice_id": invoice.id, "numero": invoice.numero, "amount": fmt(remaining),
            "due_on": invoice.due_on.isoformat(), "email": family.email if family else ""}


def start(session, bank, family_id, invoice_id, email):
    """Open a transaction and get its idOp from the bank. Commits twice: the transaction is
    recorded before the bank is called (a crash leaves a trace, not a lost operation), and no
    row lock is held while waiting on the bank."""
    email = str(email or "").strip()
    if len(email) > 254 or not EMAIL.fullmatch(email):
        raise ValidationError("Veuillez saisir une adresse e-mail valide pour recevoir le reçu "
                              "de paiement.")
    invoice, remaining = payable_invoice(session, family_id, invoice_id)
    settings = bank.settings
    tx = OnlineTransaction(family_id=family_id, invoice_id=invoice.id,
                           refdet=invoice.numero.replace("-", ""), exer=str(invoice.issued_on.year),
                           amount_cents=cents(remaining), email=email, status="created")
    session.add(tx)
    session.commit()
    try:
        idop = bank.create_operation(
            numcli=settings.payfip_numcli, exer=tx.exer, refdet=tx.refdet,
            objet=f"Facture {invoice.numero}", montant=str(tx.amount_cents), mel=email,
            urlnotif=f"{settings.portail_internal_url.rstrip('/')}/paiement/notification",
            urlredirect=f"{settings.portail_url.rstrip('/')}/paiement/retour",
            saisie=settings.payfip_saisie)
    except BankUnavailable:
        tx.status, tx.settled_at, tx.review_reason = "expired", now(), "banque injoignable"
        session.commit()
        raise ValidationError(UNAVAILABLE) from None
    tx.idop, tx.status = idop, "pending"
    session.commit()
    return {"idop": idop, "numero": invoice.numero, "amount": fmt(remaining)}


def _locked(session, tx_id):
    return session.scalar(sa.select(OnlineTransaction).where(OnlineTransaction.id == tx_id)
                          .with_for_update().execution_options(populate_existing=True))


def settle(session, bank, idop, notified=False, at=None):
    """Apply the bank's result for this idOp, once. Unknown idOp: NotFound, nothing recorded.
    The caller commits."""
    at = at or now()
    tx = session.scalar(sa.select(OnlineTransaction).where(
        OnlineTransaction.idop == checks.text(idop, "L'opération de paiement")[:64]))
    if tx is None:
        raise NotFound("Opération de paiement inconnue.")
    if tx.status not in OPEN:
        return tx
    result = bank.result(tx.idop)  # asked before taking the lock: the bank may be slow
    tx = _locked(session, tx.id)
    if notified and tx.notified_at is None:
        tx.notified_at = at
    if tx.status not in OPEN:  # settled meanwhile by a replay or the sweep
        return tx
    if result is None:
        return _review(tx, at, "La banque ne connaît pas cette opération.")
    if not result.get("resultrans"):
        if result.get("etat") == "expiree" or at - tx.created_at > LIFETIME + dt.timedelta(minutes=1):
            tx.status, tx.settled_at = "expired", at
        return tx
    tx.resultrans = str(result["resultrans"])[:1]
    tx.numauto, tx.dattrans, tx.heurtrans = (result.get("numauto"), result.get("dattrans"),
                                             result.get("heurtrans"))
    if str(result.get("refdet")) != tx.refdet or str(result.get("montant")) != str(tx.amount_cents):
        return _review(tx, at, f"Référence ou montant différents : la banque indique "
                               f"{result.get('refdet')} / {result.get('montant')} centimes.")
    if tx.resultrans == "R":
        tx.status, tx.settled_at = "refused", at
    elif tx.resultrans == "A":
        tx.status, tx.settled_at = "cancelled", at
    elif tx.resultrans == "P":
        _record(session, tx, at)
    else:
        _review(tx, at, f"Résultat inconnu : {tx.resultrans}.")
    return tx


def _review(tx, at, reason):
    tx.status, tx.settled_at, tx.review_reason = "review", at, reason[:300]
    return tx


def _record(session, tx, at):
    invoice = session.scalar(sa.select(Invoice).where(Invoice.id == tx.invoice_id)
                            .with_for_update(of=Invoice))
    remaining = invoice.total - paid_amount(session, invoice.id)
    amount = Decimal(tx.amount_cents) / 100
    if remaining < amount:  # paid meanwhile (another attempt, the back office)
        return _review(tx, at, f"La facture {invoice.numero} était déjà réglée : paiement en "
                               f"double, à rembourser.")
    try:
        paid_on = dt.datetime.strptime(tx.dattrans or "", "%d%m%Y").date()
    except ValueError:
        paid_on = at.date()
    add_payment(session, tx.family_id, invoice.regie_id, "carte", amount, paid_on, invoice.id,
                reference=tx.numauto or "", transaction_id=tx.id, email=tx.email,
                numauto=tx.numauto)
    tx.status, tx.settled_at = "paid", at
    return tx


MESSAGES = {
    "paid": "Votre paiement de {amount} € pour la facture {numero} a été enregistré. "
            "Un reçu vous sera envoyé à {email}.",
    "refused": "Votre paiement a été refusé par la banque. La facture {numero} reste à régler.",
    "cancelled": "Vous avez annulé le paiement. La facture {numero} reste à régler.",
    "expired": "L'opération de paiement a expiré. Vous pouvez recommencer le paiement de la "
               "facture {numero}.",
    "review": "Votre paiement de la facture {numero} est en cours de vérification par la régie. "
              "Elle reviendra vers vous si nécessaire.",
    "pending": "Votre paiement de la facture {numero} est en cours de traitement. Il apparaîtra "
               "sur votre relevé dès que la banque l'aura confirmé.",
}


def status_for_family(session, bank, family_id, idop):
    """The return page: the result as the bank gives it (asked now if still open)."""
    family_id = checks.record_id(family_id, "Opération de paiement inconnue.")
    tx = session.scalar(sa.select(OnlineTransaction).where(
        OnlineTransaction.idop == checks.text(idop, "L'opération de paiement")[:64],
        OnlineTransaction.family_id == family_id))
    if tx is None:
        raise NotFound("Opération de paiement inconnue.")
    if tx.status in OPEN:
        try:
            tx = settle(session, bank, tx.idop)
            session.commit()
        except BankUnavailable:
            session.rollback()
    numero = session.scalar(sa.select(Invoice.numero).where(Invoice.id == tx.invoice_id))
    status = "pending" if tx.status in OPEN else tx.status
    return {"status": status, "numero": numero, "amount": fmt(Decimal(tx.amount_cents) / 100),
            "message": MESSAGES[status].format(amount=fmt(Decimal(tx.amount_cents) / 100),
                                               numero=numero, email=tx.email)}


def sweep(session, bank, older_than=dt.timedelta(minutes=2), at=None):
    """Settle open transactions whose notification did not come; expire the dead ones.
    Each transaction is committed on its own: one failing does not hold back the others."""
    at = at or now()
    ids = session.scalars(sa.select(OnlineTransaction.id).where(
        OnlineTransaction.status.in_(OPEN), OnlineTransaction.created_at < at - older_than)
        .order_by(OnlineTransaction.id)).all()
    counts = {}
    for tx_id in ids:
        tx = session.get(OnlineTransaction, tx_id)
        try:
            if tx.idop is None:  # the bank never gave an id
                if at - tx.created_at > LIFETIME:
                    tx.status, tx.settled_at = "expired", at
            else:
                tx = settle(session, bank, tx.idop, at=at)
            session.commit()
        except BankUnavailable:
            session.rollback()
            counts["unreachable"] = counts.get("unreachable", 0) + 1
            continue
        counts[tx.status] = counts.get(tx.status, 0) + 1
    return counts


def transactions_for_review(session):
    rows = session.scalars(sa.select(OnlineTransaction).where(OnlineTransaction.status == "review")
                           .order_by(OnlineTransaction.id)).all()
    return [{"id": t.id, "family_id": t.family_id, "invoice_id": t.invoice_id, "idop": t.idop,
             "amount": fmt(Decimal(t.amount_cents) / 100), "resultrans": t.resultrans,
             "numauto": t.numauto, "reason": t.review_reason} for t in rows]
