"""The "Accueil" tab: welcome message, Responsable panel, billing's "Opérations en cours"
and "Factures impayées" panels, the children with their registration forms (each left out
alone when its service does not answer)."""
from flask import Blueprint, g, render_template

from gateway.web_session import cached, gather_page, login_required
from services.common.rpc import Call

bp = Blueprint("accueil", __name__)


@bp.get("/accueil")
@login_required
def home():
    # The Responsable panel shows the session's account (g.account): no call for it.
    collectivity = cached(Call("accounts", "get_collectivity"))
    billing = Call("billing", "accueil_panels", g.account["family_id"])
    # The children at the bottom, each with the icon of its pre-filled registration form.
    children = Call("children", "list_children", g.account["family_id"])
    gather_page(collectivity, billing, children)
    return render_template("accueil.html", collectivity=collectivity, billing=billing,
                           children=children)
