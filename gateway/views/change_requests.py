"""Change requests from "Mon compte" (Infos Responsable, Informations Conjoint, Informations
Fiscales, Informations Caf, Coordonnées Bancaires) and from a child's page (autorisations,
personnes autorisées, port de lunettes, données sanitaires): a form pre-filled with today's
values and an "Enregistrer" button. The requests service checks and keeps the request; the
record itself changes only once the collectivity accepts it."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from gateway.views.mes_enfants import CHANGE_REQUESTS
from gateway.views.mon_compte import REQUEST_LINKS
from gateway.web_session import gather_page, login_required, rpc
from services.common.errors import NotFound, PortailError, ServiceUnavailable
from services.common.rpc import Call

bp = Blueprint("change_requests", __name__)

FAMILY_KINDS = ("responsable", "conjoint", "fiscales", "caf", "bancaires")
CHILD_KINDS = ("autorisations", "personnes_autorisees", "lunettes", "sante")
PERSON_ROWS = 5  # empty lines offered under the current personnes autorisées
PERSON_LINES_MAX = 50  # lines read at most, whatever the form says (the service takes 10)


def _values_from_form(kind):
    """What the parent typed, field by field (an unticked checkbox sends nothing)."""
    values = {}
    for field in kind["fields"]:
        name = field["name"]
        if field["kind"] == "bool":
            values[name] = request.form.get(name) == "1"
        elif field["kind"] == "persons":
            rows = []
            lines = request.form.get("personnes_lignes", "")
            count = int(lines) if lines.isascii() and lines.isdigit() else 0
            for index in range(min(count, PERSON_LINES_MAX)):
                rows.append({part: request.form.get(f"personne-{index}-{part}", "")[:100]
                             for part in ("nom", "lien", "telephone")})
            values[name] = rows
        else:
            values[name] = request.form.get(name, "")[:1000]
    return values


def _form_page(code, child_id=None):
    family_id = g.account["family_id"]
    form = Call("requests", "request_form", family_id, code, child_id)
    record = Call("children", "get_child", family_id, child_id) if child_id else None
    gather_page(*filter(None, (form, record)))
    if not form.ok and isinstance(form.error, NotFound):
        abort(404)  # a child of another family, as a page that does not exist
    errors, values = [], form.result["values"] if form.ok else {}
    status = 200 if form.ok else 503  # the page says the service is unavailable
    if request.method == "POST" and form.ok:
        values = _values_from_form(form.result["kind"])
        try:
            saved = rpc().call("requests", "submit_request", family_id, code, values, child_id)
        except PortailError as exc:
            errors = exc.messages
            status = 503 if isinstance(exc, ServiceUnavailable) else 400
        else:
            flash(f"Votre demande « {saved['label']} » a été "
                  + ("acceptée." if saved["status"] == "acceptee" else
                     "transmise à la collectivité. Elle pourra l'accepter ou la refuser."))
            return redirect(url_for("demandes.liste", vue=saved["category"], type=code))
    if form.ok and form.result["kind"]["fields"][0]["kind"] == "persons":
        rows = list(values.get("personnes_autorisees") or [])
        values = {**values, "personnes_autorisees": rows + [{}] * PERSON_ROWS}
    return render_template("demande_modification.html", form=form, values=values,
                           errors=errors, child_id=child_id, record=record, code=code,
                           request_links=REQUEST_LINKS, change_requests=CHANGE_REQUESTS), status


@bp.route("/mon-compte/demande/<code>", methods=["GET", "POST"])
@login_required
def family_request(code):
    if code not in FAMILY_KINDS:
        abort(404)
    return _form_page(code)


@bp.route("/mes-enfants/<int:child_id>/demande/<code>", methods=["GET", "POST"])
@login_required
def child_request(child_id, code):
    if code not in CHILD_KINDS:
        abort(404)
    return _form_page(code, child_id)
