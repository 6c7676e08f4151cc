"""Online payment of an invoice: card icon → the email for the receipt → the bank partner's
page; the bank's server-to-server notification (urlnotif); the page the parent comes back to
(urlredirect). The result is always asked from the bank by billing, never taken from the
browser's return."""
from urllib.parse import urlencode

from flask import Blueprint, current_app, g, redirect, render_template, request

from gateway.web_session import gather_page, login_required, rpc
from services.common.errors import (Conflict, Forbidden, NotFound, PortailError,
                                    ServiceUnavailable, ValidationError)

bp = Blueprint("payments", __name__)

STATUS = {NotFound: 404, Forbidden: 403, Conflict: 409, ValidationError: 400,
          ServiceUnavailable: 503}


@bp.record_once
def _exempt_notification(state):
    # The bank posts the notification server-to-server: no session, no CSRF token.
    state.app.extensions["csrf"].exempt("gateway.views.payments.notification")


def _refusal(exc):
    gather_page()
    return render_template("paiement.html", form=None, errors=exc.messages), \
        STATUS.get(type(exc), 400)


@bp.route("/paiement/facture/<int:invoice_id>", methods=["GET", "POST"])
@login_required
def pay(invoice_id):
    family_id = g.account["family_id"]
    try:
        form = rpc().call("billing", "online_payment_form", family_id, invoice_id)
    except PortailError as exc:
        return _refusal(exc)
    errors = []
    if request.method == "POST":
        email = request.form.get("email", "").strip()[:254]
        try:
            started = rpc().call("billing", "start_online_payment", family_id, invoice_id, email)
        except ValidationError as exc:
            errors, form = exc.messages, {**form, "email": email}
        except PortailError as exc:
            return _refusal(exc)
        else:
            bank = current_app.extensions["settings"].bank_stub_url.rstrip("/")
            return redirect(f"{bank}/paiement?{urlencode({'idop': started['idop']})}", code=303)
    gather_page()
    return render_template("paiement.html", form=form, errors=errors), 400 if errors else 200


@bp.get("/paiement/retour")
@login_required
def back_from_bank():
    try:
        status = rpc().call("billing", "online_payment_status", g.account["family_id"],
                            request.args.get("idop", "")[:64])
    except PortailError as exc:
        return _refusal(exc)
    gather_page()
    return render_template("paiement_retour.html", status=status)


@bp.post("/paiement/notification")
def notification():
    """urlnotif: 200 acknowledges; anything else makes the bank try again later."""
    idop = (request.form.get("idOp") or request.form.get("idop") or "").strip()
    if not idop or len(idop) > 64:
        return "idOp manquant", 400, {"Content-Type": "text/plain; charset=utf-8"}
    if not idop.isprintable():  # a NUL or control character: no bank sends that, never retry
        return "idOp invalide", 400, {"Content-Type": "text/plain; charset=utf-8"}
    try:
        rpc().call("billing", "notify_online_payment", idop)
    except NotFound:
        return "opération inconnue", 404, {"Content-Type": "text/plain; charset=utf-8"}
    except PortailError:
        return "indisponible", 503, {"Content-Type": "text/plain; charset=utf-8"}
    return "OK", 200, {"Content-Type": "text/plain; charset=utf-8"}

