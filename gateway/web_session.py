"""The parent's web session: a signed cookie holding the accounts session token.

The accounts service owns sessions (it ends them at logout and password change); the gateway
checks the token on every page. The cookie also keeps who is logged in, so that a page can
still be drawn, degraded, while the accounts service does not answer.

A page (GET) checks the session in the same parallel fan-out as its own calls (one round trip,
not two) and is thrown away if the check fails. Anything else — a form, a download, any call
a view makes through `rpc()` — checks the session first.
"""
import functools
import time

from flask import abort, current_app, g, redirect, request, session, url_for
from werkzeug.exceptions import HTTPException

from services.common.rpc import Call

COOKIE_MAX_AGE = 12 * 3600  # same absolute limit as the accounts session
_cache = {}  # (service, method, args) -> (expires at, result): see `cached`


def rpc():
    """The RPC client, for a view's own calls: the session is checked before any of them."""
    if g.get("session_pending"):
        check_session()
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


def _session_call():
    return Call("accounts", "get_session", session["token"])


def _apply_check(call):
    """Settle the session from accounts' answer: valid, ended, or accounts unavailable."""
    g.session_pending = False
    if not call.ok:  # accounts unavailable: trust our signed cookie for now
        g.accounts_unavailable = True
        return
    if call.result is None:  # ended elsewhere or expired
        session.clear()
        g.account = None
        abort(redirect(url_for("auth.login", suivant=request.path)))
    if session.get("account") != call.result:
        session["account"] = call.result
    g.account = call.result
    _require_password_change()


def _require_password_change():
    if g.account.get("must_change_password") and request.endpoint != "auth.change_password":
        abort(redirect(url_for("auth.change_password")))


def check_session():
    call = _session_call()
    current_app.extensions["rpc"].gather([call])
    _apply_check(call)


def current_account():
    """The logged-in account ({family_id, prenom, nom, must_change_password…}) or None,
    checked with accounts now."""
    if not _provisional():
        return None
    try:
        check_session()
    except HTTPException:  # the check redirects when the session has ended
        return None
    return g.account


def _provisional():
    """The account our signed cookie names, before accounts confirms it."""
    g.account, g.accounts_unavailable, g.session_pending = None, False, False
    if not session.get("token") or "account" not in session:
        return False
    if time.time() - session.get("started", 0) > COOKIE_MAX_AGE:
        return False
    g.account, g.session_pending = session["account"], True
    return True


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not _provisional():
            return redirect(url_for("auth.login", suivant=request.path))
        if request.method != "GET":
            check_session()  # never act on a form with a session not yet checked
        _require_password_change()
        return view(*args, **kwargs)
    return wrapped


def cached(call, seconds=30):
    """Mark a call whose answer changes rarely (the collectivity's profile): `gather_page`
    reuses it for `seconds` instead of asking again on every page."""
    call.cache_seconds = seconds
    return call


def gather_page(*calls):
    """The page's own calls, the session check and the header's unread-message count, fanned
    out together; returns the calls, each with its result or error."""
    unread = Call("messaging", "unread_count", g.account["family_id"])
    check = _session_call() if g.get("session_pending") else None
    now = time.monotonic()
    to_ask = [unread] + ([check] if check else [])
    for call in calls:
        key = (call.service, call.method, call.args)
        hit = _cache.get(key) if hasattr(call, "cache_seconds") else None
        if hit and hit[0] > now:
            call.result = hit[1]
        else:
            to_ask.append(call)
    current_app.extensions["rpc"].gather(to_ask)
    if check:
        _apply_check(check)
    for call in calls:
        if hasattr(call, "cache_seconds") and call.ok and call in to_ask:
            _cache[(call.service, call.method, call.args)] = (now + call.cache_seconds, call.result)
    g.unread_messages = unread.result if unread.ok else None
    return calls
