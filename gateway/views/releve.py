"""The "Relevé de compte" tab: by school year, the operations (invoices and payments), "Mes
factures", "Mes règlements", and each invoice's PDF (only to the invoice's family)."""
import base64
import datetime as dt

from flask import Blueprint, Response, abort, g, render_template, request

from gateway import dates
from gateway.web_session import gather_page, login_required, rpc
from services.common.errors import NotFound, PortailError
from services.common.rpc import Call

bp = Blueprint("releve", __name__)
VIEWS = {"operations": "Relevé des opérations", "factures": "Mes factures",
         "reglements": "Mes règlements"}


@bp.app_template_filter("date_fr")
def date_fr(iso):
    """"2015-04-08" → "08/04/2015"."""
    return dates.short_date(dt.date.fromisoformat(iso)) if iso else ""


@bp.app_template_filter("date_longue")
def date_longue(iso):
    """"2026-11-29" → "Dimanche 29 Novembre 2026"."""
    return dates.long_date(dt.date.fromisoformat(iso)) if iso else ""


def _year():
    """The school year asked for (its first calendar year), or None for the current one."""
    value = request.args.get("annee", "")
    # isdigit() alone takes "²" or "١٢", which int() refuses or reads
    return int(value) if value.isascii() and value.isdigit() and 2000 <= int(value) <= 2100 \
        else None


def _page(view):
    statement = Call("billing", "statement", g.account["family_id"], _year())
    gather_page(statement)
    year = statement.result["year"] if statement.ok else _year()
    return render_template("releve.html", statement=statement, view=view, title=VIEWS[view],
                           year=year)


@bp.get("/releve-de-compte")
@login_required
def statement():
    return _page("operations")


@bp.get("/releve-de-compte/factures")
@login_required
def invoices():
    return _page("factures")


@bp.get("/releve-de-compte/reglements")
@login_required
def payments():
    return _page("reglements")


@bp.get("/releve-de-compte/factures/<int:invoice_id>.pdf")
@login_required
def invoice_pdf(invoice_id):
    try:
        result = rpc().call("billing", "invoice_pdf", g.account["family_id"], invoice_id)
    except NotFound:
        abort(404)  # another family's invoice: the same answer as a missing one
    except PortailError as exc:
        gather_page()
        return render_template("error.html", title="Facture indisponible", message=str(exc)), 503
    return Response(base64.b64decode(result["pdf"]), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="facture-{result["numero"]}.pdf"',
        "Cache-Control": "private, no-store"})
