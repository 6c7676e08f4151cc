"""The "Accueil" tab: welcome message, Responsable panel, billing's "Opérations en cours"
and "Factures impayées" panels, the children with their registration forms (each left out
alone when its service does not answer)."""
from flask import Blueprint, g, render_template

from gateway.web_session import gather_page, login_required
from services.common.rpc import Call

bp = Blueprint("accueil", __name__)


@bp.get("/accueil")
@login_required
def home():
    # The Responsable panel shows the session's account (g.account), the welcome message the
    # collectivity's settings every page has (gateway/collectivity.py): no call for them.
    billing = Call("billing", "accueil_panels", g.account["family_id"])
    # The children at the bottom, each with the icon of its pre-filled registration form.
    children = Call("children", "list_children", g.account["family_id"])
    gather_page(billing, children)
    return render_template("accueil.html", billing=billing,
                           children=children)
