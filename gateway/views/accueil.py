"""The "Accueil" tab: welcome message, Responsable panel."""
from flask import Blueprint, g, render_template

from gateway.web_session import gather_page, login_required
from services.common.rpc import Call

bp = Blueprint("accueil", __name__)


@bp.get("/accueil")
@login_required
def home():
    family = Call("accounts", "get_family", g.account["family_id"])
    collectivity = Call("accounts", "get_collectivity")
    gather_page(family, collectivity)
    return render_template("accueil.html", family=family, collectivity=collectivity)
