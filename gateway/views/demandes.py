"""The "Liste des demandes" tab: the family's requests of less than one month — pending,
refused (Date demande, Date refus, Motif refus) and accepted (Date demande, Date acceptation)
— with the "Mon compte" / "Mes enfants" switch and the filter by type."""
from flask import Blueprint, abort, g, render_template, request

from gateway.web_session import gather_page, login_required
from services.common.rpc import Call

bp = Blueprint("demandes", __name__)

VIEWS = (("famille", "Mon compte"), ("enfant", "Mes enfants"))


@bp.get("/liste-des-demandes")
@login_required
def liste():
    vue = request.args.get("vue", "famille")
    code = request.args.get("type") or None
    if vue not in dict(VIEWS):
        abort(404)
    kinds = Call("requests", "request_types")
    found = Call("requests", "family_requests", g.account["family_id"], vue, code)
    gather_page(kinds, found)
    filters = [k for k in kinds.result if k["category"] == vue] if kinds.ok else []
    if code and kinds.ok and code not in {k["code"] for k in filters}:
        abort(404)
    selected = next((k for k in filters if k["code"] == code), None)
    tables = {}
    if found.ok:
        for status in ("en_attente", "refusee", "acceptee"):
            tables[status] = [r for r in found.result if r["status"] == status]
    # The fields of every kind, to read each value of the "Demande" column (choices...).
    kinds_fields = {(k["code"], f["name"]): f for k in (kinds.result if kinds.ok else [])
                    for f in k["fields"]}
    return render_template("liste_des_demandes.html", views=VIEWS, vue=vue, filters=filters,
                           selected=selected, found=found, tables=tables,
                           kinds_fields=kinds_fields)
