"""The collectivity's settings for every page (header name and logo, contact, optional parts).

Every template gets `collectivite` (the settings, or None while accounts does not answer). They
change rarely, so each gateway process keeps them for a few seconds instead of asking accounts
on every page; a change made by the back office shows within CACHE_SECONDS.
"""
import threading
import time

from flask import current_app

from services.common.rpc import Call

CACHE_SECONDS = 30
_lock = threading.Lock()
_cached = {"until": 0.0, "value": None}


def settings():
    now = time.monotonic()
    if _cached["until"] > now:
        return _cached["value"]
    with _lock:  # one call for the threads that all find it stale at once
        if _cached["until"] > now:
            return _cached["value"]
        call = current_app.extensions["rpc"].gather([Call("accounts", "get_collectivity")])[0]
        if call.ok:
            _cached.update(until=now + CACHE_SECONDS, value=call.result)
            return call.result
        # Unavailable: keep what we had (if anything) and ask again on a later page.
        return _cached["value"]


def forget():
    """Drop the kept settings (tests, after changing them)."""
    _cached.update(until=0.0, value=None)


def option(name, default=True):
    """One of the guide's optional parts: on, off, or `default` while unknown."""
    value = settings()
    return default if value is None else bool(value.get(name, default))


def init_app(app):
    @app.context_processor
    def inject():
        return {"collectivite": settings(), "option": option}
