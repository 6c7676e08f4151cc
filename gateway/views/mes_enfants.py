"""The "Mes enfants" tab: the children, each child's record, planning ("Agenda") and
enrolments ("Inscriptions en cours"), requests from the planning, adding a child, and the
private iCal feed (served without login: its token is the secret)."""
import datetime as dt
import re

from flask import (Blueprint, abort, flash, g, jsonify, redirect, render_template, request,
                   session, url_for)

from gateway.web_session import gather_page, login_required, rpc
from services.common.errors import NotFound, PortailError, ServiceUnavailable
from services.common.rpc import Call

bp = Blueprint("mes_enfants", __name__)

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# The record's fields for which the left menu offers a change request: (label, kind of
# request), forms in change_requests.py (requests service).
CHANGE_REQUESTS = (("Personnes autorisées", "personnes_autorisees"), ("Port de lunettes", "lunettes"),
                   ("Données sanitaires", "sante"), ("Autorisations", "autorisations"))
HEALTH_LABELS = (("allergies", "Allergies"), ("regime_alimentaire", "Régime alimentaire"),
                 ("pai", "PAI"), ("medecin_traitant", "Médecin traitant"),
                 ("vaccinations", "Vaccinations"))
AUTHORISATION_LABELS = (("photos", "Photos"), ("sorties", "Sorties"),
                        ("transport", "Transport"), ("rentrer_seul", "Rentrer seul"))
ACTIONS = {"reservation": "Demande de Réservation", "absence": "Déclarer une absence"}


def _family_id():
    return g.account["family_id"]


def _status(exc):
    if isinstance(exc, ServiceUnavailable):
        return 503
    return 404 if isinstance(exc, NotFound) else 400


def _child_or_404(call):
    """A child of another family (or none) is a 404, as for a page that does not exist."""
    if not call.ok and isinstance(call.error, NotFound):
        abort(404)
    return call


def _month(value):
    """(year, month) from "YYYY-MM", this month when absent; None when malformed."""
    if not value:
        today = dt.date.today()
        return today.year, today.month
    match = MONTH.match(value)
    if not match:
        return None
    return int(match.group(1)), int(match.group(2))


@bp.get("/mes-enfants")
@login_required
def index():
    children = Call("children", "list_children", _family_id())
    gather_page(children)
    return render_template("mes_enfants.html", children=children)


@bp.get("/mes-enfants/<int:child_id>")
@login_required
def child(child_id):
    record = Call("children", "get_child", _family_id(), child_id)
    gather_page(record)
    _child_or_404(record)
    return render_template("mes_enfants_fiche.html", record=record, child_id=child_id,
                           health_labels=HEALTH_LABELS,
                           authorisation_labels=AUTHORISATION_LABELS,
                           change_requests=CHANGE_REQUESTS, ical_url=session.pop("ical_url", None))


def _agenda_page(child_id, month_value, errors=(), status=200, selected=None):
    month = _month(month_value)
    if month is None:
        errors, status, month = [*errors, "Mois invalide : utilisez le format AAAA-MM."], 400, \
            _month(None)
    # The grid names its child: no other call (this page answers every refused booking of a rush).
    grid = Call("children", "planning", _family_id(), child_id, *month)
    gather_page(grid)
    _child_or_404(grid)
    if not grid.ok and not isinstance(grid.error, ServiceUnavailable):
        errors, status = [*errors, *grid.error.messages], 400
    return render_template("mes_enfants_agenda.html", grid=grid,
                           child_id=child_id, errors=errors, selected=selected,
                           actions=ACTIONS, change_requests=CHANGE_REQUESTS), status


@bp.get("/mes-enfants/<int:child_id>/agenda")
@login_required
def agenda(child_id):
    selected = None
    # Without JavaScript a cell is a link to this page with the day chosen: the request
    # forms then appear under the grid.
    if request.args.get("jour") and request.args.get("prestation"):
        selected = {"date": request.args["jour"][:10], "prestation": request.args["prestation"][:10],
                    "nom": request.args.get("nom", "")[:200]}
    return _agenda_page(child_id, request.args.get("mois"), selected=selected)


def _from_script():
    """The agenda's script (planning.js) sends a booking with fetch and asks for JSON: a
    refusal is then shown on the page it is on, without drawing the agenda again (on the
    morning registrations open, most bookings are refused as "complet")."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == \
        "application/json"


@bp.post("/mes-enfants/<int:child_id>/agenda")
@login_required
def request_from_agenda(child_id):
    form = request.form
    action, day, prestation = form.get("action"), form.get("date", "")[:20], form.get("prestation", "")
    month = form.get("mois") or day[:7]
    script = _from_script()

    def refused(messages, status, month_value, selected=None):
        if script:
            return jsonify(erreurs=messages), status
        return _agenda_page(child_id, month_value, messages, status, selected)

    try:
        if action == "reservation":
            result = rpc().call("children", "book", _family_id(), child_id, prestation, day)
        elif action == "absence":
            result = rpc().call("children", "declare_absence", _family_id(), child_id, prestation,
                                day, form.get("motif", "")[:500], form.get("confirmation") == "oui")
        else:
            return refused(["Choisissez une demande : réservation ou absence."], 400, month)
    except PortailError as exc:
        if isinstance(exc, NotFound) and str(exc) == "Enfant introuvable.":
            abort(404)
        return refused(exc.messages, _status(exc) if not isinstance(exc, NotFound) else 400,
                       month if _month(month) else None,
                       {"date": day, "prestation": prestation, "nom": form.get("nom", "")[:200]})
    flash(result["message"])
    following = url_for("mes_enfants.agenda", child_id=child_id, mois=month)
    if script:
        return jsonify(message=result["message"], suivant=following)
    return redirect(following)


@bp.get("/mes-enfants/<int:child_id>/inscriptions")
@login_required
def enrolments(child_id):
    record = Call("children", "get_child", _family_id(), child_id)
    current = Call("children", "current_enrolments", _family_id(), child_id)
    gather_page(record, current)
    _child_or_404(record)
    return render_template("mes_enfants_inscriptions.html", record=record, enrolments=current,
                           child_id=child_id, change_requests=CHANGE_REQUESTS)


@bp.post("/mes-enfants/<int:child_id>/ical")
@login_required
def renew_ical(child_id):
    """A new private link (the old one stops working); shown once on the child's page."""
    try:
        token = rpc().call("children", "renew_ical_token", _family_id(), child_id)
    except NotFound:
        abort(404)
    except PortailError as exc:
        flash(str(exc))
    else:
        session["ical_url"] = url_for("mes_enfants.ical_feed", token=token, _external=True)
    return redirect(url_for("mes_enfants.child", child_id=child_id) + "#agenda-telephone")


@bp.post("/mes-enfants/<int:child_id>/ical/revoquer")
@login_required
def revoke_ical(child_id):
    try:
        rpc().call("children", "revoke_ical_token", _family_id(), child_id)
    except NotFound:
        abort(404)
    except PortailError as exc:
        flash(str(exc))
    else:
        flash("Le lien de l'agenda a été révoqué : il ne fonctionne plus.")
    return redirect(url_for("mes_enfants.child", child_id=child_id) + "#agenda-telephone")


PREINSCRIPTION_FIELDS = ("nom", "prenom", "date_naissance", "sexe", "accueil", "commentaire")


@bp.route("/mes-enfants/ajouter", methods=["GET", "POST"])
@login_required
def add_child():
    errors, values, status = [], {}, 200
    if request.method == "POST":
        values = {f: request.form.get(f, "").strip()[:2000] for f in PREINSCRIPTION_FIELDS}
        try:
            rpc().call("children", "submit_preinscription", _family_id(), values)
        except PortailError as exc:
            errors, status = exc.messages, _status(exc)
        else:
            flash("Votre demande d'ajout d'enfant a été transmise à la collectivité. "
                  "Elle vous contactera pour compléter les fiches d'inscription.")
            return redirect(url_for("mes_enfants.index"))
    gather_page()
    return render_template("mes_enfants_ajouter.html", errors=errors, values=values), status


@bp.get("/agenda/<token>.ics")
def ical_feed(token):
    """No login: calendar apps fetch it on their own. Unknown or revoked token: 404."""
    try:
        body = rpc().call("children", "ical_feed", token[:100])
    except NotFound:
        abort(404)
    except PortailError:
        return "Service momentanément indisponible.", 503, {"Content-Type": "text/plain; charset=utf-8"}
    return body, 200, {"Content-Type": "text/calendar; charset=utf-8",
                       "Cache-Control": "private, max-age=300"}
