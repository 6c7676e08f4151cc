"""The password policy of the guide, and argon2id hashing."""
import secrets
import string

import eventlet.patcher
import eventlet.tpool
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's minimum for argon2id: 19 MiB, 2 iterations, 1 lane (about 45 ms here).
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

RULES = (
    (lambda p: len(p) >= 8, "Le mot de passe doit contenir 8 caractères minimum."),
    (lambda p: any(c.isupper() for c in p), "Le mot de passe doit contenir au moins 1 majuscule."),
    (lambda p: any(c.islower() for c in p), "Le mot de passe doit contenir au moins 1 minuscule."),
    (lambda p: any(c.isdigit() for c in p),
     "Le mot de passe doit contenir au moins 1 caractère numérique."),
)
MAX_LENGTH = 128


def policy_errors(password):
    """Each unmet rule, named in French; empty when the password is acceptable."""
    password = password if isinstance(password, str) else ""
    errors = [message for rule, message in RULES if not rule(password)]
    if len(password) > MAX_LENGTH:
        errors.append(f"Le mot de passe doit contenir {MAX_LENGTH} caractères maximum.")
    return errors


def _blocking(fn, *args):
    # argon2 is CPU work: inside an eventlet service it would stall every other worker.
    if eventlet.patcher.is_monkey_patched("thread"):
        return eventlet.tpool.execute(fn, *args)
    return fn(*args)


def hash_password(password):
    return _blocking(HASHER.hash, password)


def verify_password(password_hash, password):
    if not isinstance(password, str):
        return False

    def verify():
        try:
            return HASHER.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
    return _blocking(verify)


# Compared against when the identifiant is unknown, so both cases take the same time.
DUMMY_HASH = HASHER.hash("Inexistant-0")


def generate_initial_password(length=10):
    """A password the collectivity hands out; it satisfies the policy."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if not policy_errors(candidate):
            return candidate
