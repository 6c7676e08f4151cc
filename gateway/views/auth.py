"""Login, logout, password change: the "COMPTE FAMILLE" box and the padlock."""
import time

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from gateway import web_session
from gateway.web_session import login_required
from services.common.errors import PortailError, ServiceUnavailable
from services.common.rpc import Call

bp = Blueprint("auth", __name__)

PASSWORD_RULES = ("8 caractères minimum", "Au moins 1 majuscule", "Au moins 1 minuscule",
                  "Au moins 1 caractère numérique")


def _safe_next(target):
    # Only a path of this site, never another host.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("accueil.home")


@bp.get("/")
def index():
    if web_session.current_account():
        return redirect(url_for("accueil.home"))
    return redirect(url_for("auth.login"))


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    error, status = None, 200
    identifiant = ""
    if request.method == "POST":
        identifiant = request.form.get("identifiant", "").strip()[:100]
        password = request.form.get("mot_de_passe", "")
        asked_at = time.monotonic()
        try:
            auth = web_session.rpc().call("accounts", "authenticate", identifiant, password)
        except ServiceUnavailable as exc:
            error, status = str(exc), 503
        except PortailError as exc:
            error, status = str(exc), 401
        else:
            web_session.start(auth, asked_at)
            if auth["account"]["must_change_password"]:
                return redirect(url_for("auth.change_password"))
            return redirect(_safe_next(request.args.get("suivant")))
    return render_template("login.html", error=error, identifiant=identifiant), status


@bp.post("/deconnexion")
def logout():
    """End the session and go back to the collectivity's site, as the guide says."""
    token = web_session.end()
    end_call = Call("accounts", "end_session", token)
    site = Call("accounts", "get_collectivity")
    web_session.rpc().gather([end_call, site] if token else [site])
    if site.ok and site.result.get("site_url"):
        return redirect(site.result["site_url"])
    return redirect(url_for("auth.login"))


@bp.route("/changer-mot-de-passe", methods=["GET", "POST"])
@login_required
def change_password():
    errors = []
    if request.method == "POST":
        try:
            web_session.rpc().call("accounts", "change_password", session["token"],
                                   request.form.get("mot_de_passe_actuel", ""),
                                   request.form.get("nouveau_mot_de_passe", ""),
                                   request.form.get("confirmation", ""))
        except PortailError as exc:
            errors = exc.messages
        else:
            session["account"] = {**session["account"], "must_change_password": False}
            web_session.forget_sessions_of(g.account["family_id"])  # the others have ended
            flash("Votre mot de passe a été modifié.")
            return redirect(url_for("accueil.home"))
    web_session.gather_page()
    return render_template("changer_mot_de_passe.html", errors=errors, rules=PASSWORD_RULES,
                           forced=g.account.get("must_change_password")), 400 if errors else 200


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
def forgotten_password():
    """Ask for a reset link; the answer never says whether an account exists."""
    sent, errors, status = False, [], 200
    if request.method == "POST":
        try:
            web_session.rpc().call("accounts", "request_password_reset",
                                   request.form.get("identifiant", "")[:254])
        except ServiceUnavailable as exc:
            errors, status = exc.messages, 503
        except PortailError as exc:
            errors, status = exc.messages, 400
        else:
            sent = True
    return render_template("mot_de_passe_oublie.html", sent=sent, errors=errors), status


@bp.route("/mot-de-passe-oublie/<token>", methods=["GET", "POST"])
def reset_password(token):
    errors, status = [], 200
    if request.method == "POST":
        try:
            web_session.rpc().call("accounts", "reset_password", token,
                                   request.form.get("nouveau_mot_de_passe", ""),
                                   request.form.get("confirmation", ""))
        except PortailError as exc:
            errors, status = exc.messages, 400
        else:
            session.clear()
            flash("Votre mot de passe a été modifié. Vous pouvez vous connecter.")
            return redirect(url_for("auth.login"))
    else:
        try:
            web_session.rpc().call("accounts", "check_reset_token", token)
        except PortailError as exc:
            return render_template("notice.html", public=True, title="Mot de passe oublié ?",
                                   message=str(exc)), 400
    return render_template("nouveau_mot_de_passe.html", errors=errors, rules=PASSWORD_RULES), status
