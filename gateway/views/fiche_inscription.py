""""Fiche d'inscription" (optional in the guide): the blank registration form of the school
year, and each child's pre-filled form (the icon next to the child's name on Accueil)."""
import base64

from flask import Blueprint, Response, abort, g, render_template

from gateway import collectivity as collectivity_settings
from gateway.web_session import gather_page, login_required, rpc
from services.common.errors import Forbidden, NotFound, PortailError
from services.common.rpc import Call

bp = Blueprint("fiche_inscription", __name__)


@bp.get("/fiche-inscription")
@login_required
def index():
    children = Call("children", "list_children", g.account["family_id"])
    gather_page(children)
    return render_template("fiche_inscription.html", children=children,
                           offered=collectivity_settings.option("registration_form"))


def _pdf(child_id=None):
    family_id = g.account["family_id"]
    try:
        parents = None
        if child_id is not None:  # printed on the pre-filled form; children does not own them
            family = rpc().call("accounts", "get_family", family_id)
            parents = {"responsable": family["responsable"], "conjoint": family["conjoint"]}
        form = rpc().call("children", "registration_form", family_id, child_id, parents)
    except NotFound:
        abort(404)  # another family's child: the same answer as a missing one
    except PortailError as exc:
        gather_page()
        status = 403 if isinstance(exc, Forbidden) else 503
        return render_template("error.html", title="Fiche d'inscription indisponible",
                               message=str(exc)), status
    return Response(base64.b64decode(form["pdf"]), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{form["filename"]}"',
        "Cache-Control": "private, no-store"})


@bp.get("/fiche-inscription/vierge.pdf")
@login_required
def blank():
    return _pdf()


@bp.get("/fiche-inscription/enfant/<int:child_id>.pdf")
@login_required
def child(child_id):
    return _pdf(child_id)
