"""The parent's web session: a signed cookie holding the accounts session token.

The accounts service owns sessions (it ends them at logout and password change); the gateway
checks the token on every page. The cookie also keeps who is logged in, so that a page can
still be drawn, degraded, while the accounts service does not answer.
"""
import functools
import time

from flask import current_app, g, redirect, request, session, url_for

from services.common.rpc import Call

COOKIE_MAX_AGE = 12 * 3600  # same absolute limit as the accounts session


def rpc():
    return current_app.extensions["rpc"]


def start(auth):
    """After a successful login: a fresh cookie (never reuse the one from before login)."""
    session.clear()
    session["token"] = auth["session_token"]
    session["started"] = time.time()
    session["account"] = auth["account"]


def end():
    token = session.get("token")
    session.clear()
    return token


def current_account():
    """The logged-in account ({family_id, prenom, nom, must_change_password…}) or None."""
    if "account" in g:
        return g.account
    g.account, g.accounts_unavailable = None, False
    token = session.get("token")
    if not token or time.time() - session.get("started", 0) > COOKIE_MAX_AGE:
        return None
    call = rpc().gather([Call("accounts", "get_session", token)])[0]
    if call.ok:
        if call.result is None:  # ended elsewhere or expired
            session.clear()
            return None
        session["account"] = call.result
        g.account = call.result
    elif "account" in session:  # accounts unavailable: trust our signed cookie for now
        g.account = session["account"]
        g.accounts_unavailable = True
    return g.account


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        account = current_account()
        if account is None:
            return redirect(url_for("auth.login", suivant=request.path))
        if account.get("must_change_password") and request.endpoint != "auth.change_password":
            return redirect(url_for("auth.change_password"))
        return view(*args, **kwargs)
    return wrapped


def gather_page(*calls):
    """The page's own calls plus the header's unread-message count, fanned out together."""
    unread = Call("messaging", "unread_count", g.account["family_id"])
    rpc().gather([*calls, unread])
    g.unread_messages = unread.result if unread.ok else None
    return calls
