"""Application factory of the gateway."""
import logging
import secrets

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from gateway import collectivity, dates, web_session
from gateway.page_cache import PageCache
from gateway.session_trust import SessionTrust
from gateway.views import REGISTERED
from services.common.rpc import RpcClient

log = logging.getLogger(__name__)
csrf = CSRFProtect()


def create_app(settings, rpc=None):
    app = Flask(__name__)
    secret = settings.gateway_secret_key
    if not secret:
        log.warning("GATEWAY_SECRET_KEY is not set: sessions end when the gateway restarts")
        secret = secrets.token_hex(32)
    app.config.update(
        SECRET_KEY=secret,
        SESSION_COOKIE_NAME="portail_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
    )
    app.extensions["settings"] = settings
    app.extensions["rpc"] = rpc or RpcClient(settings, size=settings.gateway_threads)
    app.extensions["page_cache"] = PageCache(settings.page_cache_seconds)
    app.extensions["session_trust"] = SessionTrust(settings.session_trust_seconds,
                                                   settings.amqp_uri)
    app.after_request(web_session.mark_written)
    csrf.init_app(app)
    for blueprint in REGISTERED:
        app.register_blueprint(blueprint)
    app.jinja_env.globals["today_long"] = dates.today_long
    collectivity.init_app(app)  # the collectivity's name, logo, contact and options
    _register_error_pages(app)

    policy = content_security_policy(settings)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # Reset links carry their token in the URL: never send it to another site.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")  # family data: not kept
        return response

    @app.get("/sante")
    def health():
        return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}

    return app


def content_security_policy(settings):
    """Only this site's own scripts, styles and images; forms may lead to the bank's page."""
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
            f"form-action 'self' {settings.bank_stub_url.rstrip('/')}")


ERRORS = {
    400: ("Requête invalide", "La requête n'a pas pu être traitée."),
    403: ("Accès refusé", "Vous n'avez pas accès à cette page."),
    404: ("Page introuvable", "La page demandée n'existe pas."),
    405: ("Action impossible", "Cette action n'est pas possible sur cette page."),
    413: ("Envoi trop volumineux", "Le fichier envoyé dépasse la taille autorisée."),
    500: ("Erreur", "Une erreur est survenue. Veuillez réessayer plus tard."),
}


def _register_error_pages(app):
    def page(code):
        title, message = ERRORS[code]
        return render_template("error.html", title=title, message=message), code

    for code in ERRORS:
        app.register_error_handler(code, lambda exc, code=code: page(code))

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_template(
            "error.html", title="Formulaire expiré",
            message="Le formulaire a expiré ou n'est pas valide. "
                    "Veuillez recharger la page et recommencer."), 400

    @app.errorhandler(Exception)
    def unexpected(exc):  # never a traceback on a page
        log.exception("unexpected error")
        return page(500)
