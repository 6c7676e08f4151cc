"""Encryption at rest of a few sensitive values (IBAN, health data) and their masking on screen.

Each service encrypts under its own key (ACCOUNTS_DATA_KEY, REQUESTS_DATA_KEY, ...), read from
its settings: the database holds a Fernet token, the key lives only in the service's
environment, and neither key nor clear value is ever logged.
"""
import base64
import functools
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken


@functools.lru_cache(maxsize=8)
def _fernet(key):
    # Any passphrase works: Fernet wants 32 url-safe base64 bytes, SHA-256 gives them.
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


def encrypt(key, value):
    """A token for any JSON value (a string, a dict of health fields...)."""
    return _fernet(key).encrypt(json.dumps(value, ensure_ascii=False).encode()).decode()


def decrypt(key, token):
    try:
        return json.loads(_fernet(key).decrypt(token.encode()))
    except InvalidToken:
        # Wrong key in this environment: say so without showing any data.
        raise RuntimeError("data cannot be decrypted with this service's data key") from None


def mask(value, visible=4):
    """What a screen shows of a sensitive value once saved: its last characters only."""
    value = str(value or "").replace(" ", "")
    if not value:
        return ""
    shown = value[-visible:] if len(value) > visible else ""
    return "•" * 4 + shown


def session_token_hash(token):
    """How a web session's token is stored (accounts) and named in events and by the gateway:
    never the token itself. Anything but a text matches nothing (as the empty token)."""
    return hashlib.sha256(token.encode() if isinstance(token, str) else b"").hexdigest()
