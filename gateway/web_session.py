"""The parent's web session: a signed cookie holding the accounts session token.

The accounts service owns sessions (it ends them at logout and password change); the gateway
checks the token on every page. The cookie also keeps who is logged in, so that a page can
still be drawn, degraded, while the accounts service does not answer.

A page (GET) checks the session in the same parallel fan-out as its own calls (one round trip,
not two) and is thrown away if the check fails. Anything else — a form, a download, any call
a view makes through `rpc()` — checks the session first. A check accounts answered a few
minutes ago is reused, by pages and forms, while this gateway hears of the sessions that end
(gateway/session_trust.py); a page may reuse its other answers of the last few seconds
(gateway/page_cache.py).
"""
import functools
import secrets
import time

from flask import abort, current_app, g, redirect, request, session, url_for
from werkzeug.exceptions import HTTPException

from gateway.page_cache import call_key
from services.common.crypto import session_token_hash
from services.common.rpc import Call

COOKIE_MAX_AGE = 12 * 3600  # same absolute limit as the accounts session


def rpc():
    """The RPC client, for a view's own calls: the session is checked before any of them.
    Such a call may change something: the pages that follow do not reuse older answers."""
    if g.get("session_pending"):
        check_session()
    g.wrote = True
    return current_app.extensions["rpc"]


def _page_cache():
    return current_app.extensions["page_cache"]


def _trust():
    return current_app.extensions["session_trust"]


def mark_written(response):
    """after_request: a request that may have changed something gives the cookie a new mark,
    so that the pages after it find none of the answers kept before (gateway/page_cache.py)."""
    if g.get("wrote") and "token" in session:
        session["ecrit"] = secrets.token_urlsafe(6)
    return response


def start(auth, asked_at):
    """After a successful login (`asked_at`: time.monotonic() before accounts was asked): a
    fresh cookie (never reuse the one from before login)."""
    session.clear()
    session["token"] = auth["session_token"]
    session["started"] = time.time()
    session["account"] = auth["account"]
    _trust().put(auth["session_token"], auth["account"], asked_at)


def end():
    token = session.get("token")
    session.clear()
    if token:
        _trust().forget_session(session_token_hash(token))
    return token


def forget_sessions_of(family_id):
    """After a password change: this gateway stops reusing the family's session checks."""
    _trust().forget_family(family_id)


def _session_call():
    """accounts' check of the session, or the one it answered a moment ago
    (gateway/session_trust.py)."""
    call = Call("accounts", "get_session", session["token"])
    call.asked_at = time.monotonic()
    call.result = _trust().get(session["token"])
    call.reused = call.result is not None
    return call


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
    if not call.reused:
        _trust().put(session["token"], call.result, call.asked_at)
    if session.get("account") != call.result:
        session["account"] = call.result
    g.account = call.result
    _require_password_change()


def _require_password_change():
    if g.account.get("must_change_password") and request.endpoint != "auth.change_password":
        abort(redirect(url_for("auth.change_password")))


def check_session():
    call = _session_call()
    if not call.reused:
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


def gather_page(*calls):
    """The page's own calls, the session check and the header's unread-message count, fanned
    out together (those answered a moment ago reused: gateway/page_cache.py); returns the
    calls, each with its result or error."""
    family_id = g.account["family_id"]
    unread = Call("messaging", "unread_count", family_id)
    check = _session_call() if g.get("session_pending") else None
    cache = _page_cache()
    # After this request's own call (it may have changed something), nothing is reused, and
    # what it gets is kept under the cookie's next mark only by the next pages.
    keep = not g.get("wrote")
    mark = session.get("ecrit", "")
    to_ask = [check] if check and not check.reused else []
    for call in (unread, *calls):
        hit, call.result = cache.get(call_key(family_id, mark, call)) if keep else (False, None)
        if not hit:
            to_ask.append(call)
    sent_at = time.time()
    current_app.extensions["rpc"].gather(to_ask)
    if check:
        _apply_check(check)
    for call in to_ask:
        if keep and call.ok and call is not check:
            cache.put(call_key(family_id, mark, call), call.result, sent_at)
    g.unread_messages = unread.result if unread.ok else None
    return calls
