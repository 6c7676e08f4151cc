"""Logins, throttling, web sessions and password changes: plain functions over a session."""
import datetime as dt
import secrets

import sqlalchemy as sa

from services.accounts import passwords
from services.accounts.models import (Credential, Family, LoginThrottle, PasswordReset, Person,
                                      WebSession)
from services.common import checks
from services.common.crypto import session_token_hash
from services.common.errors import AccountLocked, AuthenticationFailed, ValidationError

MAX_FAILURES = 10
FAILURE_WINDOW = dt.timedelta(minutes=15)
LOCK_DURATION = dt.timedelta(minutes=15)
SESSION_IDLE = dt.timedelta(minutes=30)
SESSION_MAX = dt.timedelta(hours=12)
# last_seen is written at most this often, not on every page (a write and a commit per
# request otherwise): an active session may then end after 25 rather than 30 idle minutes.
TOUCH_EVERY = dt.timedelta(minutes=5)


def now():
    return dt.datetime.now(dt.timezone.utc)


def _normalise(identifiant):
    return checks.text(identifiant, "L'identifiant")[:100]


def _locked_message(until, at):
    minutes = max(1, int((until - at).total_seconds() + 59) // 60)
    return (f"Suite à {MAX_FAILURES} tentatives de connexion infructueuses, votre compte est "
            f"temporairement bloqué. Veuillez réessayer dans {minutes} minute(s) ou contacter "
            f"votre collectivité.")


def authenticate(session, identifiant, password, at=None):
    """Check credentials; return (family_id, must_change_password) or raise.

    The message of a failure never says whether the identifiant exists.
    """
    at = at or now()
    key = _normalise(identifiant)
    if not key or not password or not isinstance(password, str):
        raise AuthenticationFailed("Veuillez saisir votre identifiant et votre mot de passe.")
    session.execute(sa.dialects.postgresql.insert(LoginThrottle)
                    .values(identifiant=key, failures=0, window_start=at)
                    .on_conflict_do_nothing())
    throttle = session.execute(sa.select(LoginThrottle).where(LoginThrottle.identifiant == key)
                               .with_for_update()).scalar_one()
    if throttle.locked_until and throttle.locked_until > at:
        session.commit()
        raise AccountLocked(_locked_message(throttle.locked_until, at))
    credential = session.execute(sa.select(Credential).where(Credential.identifiant == key)).scalar_one_or_none()
    ok = passwords.verify_password(credential.password_hash if credential else passwords.DUMMY_HASH,
                                   password[:passwords.MAX_LENGTH * 4])
    if credential is None or not ok:
        if at - throttle.window_start > FAILURE_WINDOW:
            throttle.failures, throttle.window_start = 0, at
        throttle.failures += 1
        if throttle.failures >= MAX_FAILURES:
            throttle.locked_until = at + LOCK_DURATION
            throttle.failures, throttle.window_start = 0, at
        session.commit()
        if throttle.locked_until and throttle.locked_until > at:
            raise AccountLocked(_locked_message(throttle.locked_until, at))
        raise AuthenticationFailed()
    session.delete(throttle)
    return credential


def open_session(session, family_id, at=None):
    """A new session token for this family (a new id at every login)."""
    at = at or now()
    token = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=session_token_hash(token), family_id=family_id,
                           created_at=at, last_seen_at=at))
    return token


# Runs on every form and most pages (profiled): columns, not entities, and a statement built
# once (bound parameter), not per call.
_SESSION_INFO = (
    sa.select(WebSession.family_id, WebSession.created_at, WebSession.last_seen_at,
              WebSession.revoked_at, Credential.identifiant, Credential.must_change_password,
              Family.numero, Person.civilite, Person.prenom, Person.nom)
    .join(Credential, Credential.family_id == WebSession.family_id)
    .join(Family, Family.id == WebSession.family_id)
    .join(Person, sa.and_(Person.family_id == WebSession.family_id, Person.role == "responsable"))
    .where(WebSession.token_hash == sa.bindparam("token_hash")))


def session_info(session, token, at=None):
    """Who this session belongs to, or None if it is unknown, ended or expired."""
    if not token:
        return None
    at = at or now()
    token_hash = session_token_hash(token)
    row = session.execute(_SESSION_INFO, {"token_hash": token_hash}).first()
    if row is None:
        return None
    if (row.revoked_at is not None or at - row.last_seen_at > SESSION_IDLE
            or at - row.created_at > SESSION_MAX):
        return None
    if at - row.last_seen_at > TOUCH_EVERY:
        session.execute(sa.update(WebSession).where(WebSession.token_hash == token_hash)
                        .values(last_seen_at=at))
        session.commit()
    # Enough for the header and Accueil's Responsable panel, so that a page needs no other
    # call to accounts.
    return {
        "family_id": row.family_id,
        "identifiant": row.identifiant,
        "numero": row.numero,
        "must_change_password": row.must_change_password,
        "civilite": row.civilite,
        "prenom": row.prenom,
        "nom": row.nom,
    }


def end_session(session, token, at=None):
    """End the session; its family id, or None when it had already ended or never existed."""
    return session.execute(
        sa.update(WebSession).where(WebSession.token_hash == session_token_hash(token or ""),
                                    WebSession.revoked_at.is_(None))
        .values(revoked_at=at or now()).returning(WebSession.family_id)).scalar()


def end_other_sessions(session, family_id, keep_token=None, at=None):
    query = sa.update(WebSession).where(WebSession.family_id == family_id,
                                        WebSession.revoked_at.is_(None))
    if keep_token:
        query = query.where(WebSession.token_hash != session_token_hash(keep_token))
    session.execute(query.values(revoked_at=at or now()))


def set_password(session, credential, new_password, confirmation, at=None):
    """Apply the policy and store the new hash; the caller ends the sessions it must."""
    errors = passwords.policy_errors(new_password)
    if new_password != confirmation:
        errors.append("La confirmation ne correspond pas au nouveau mot de passe.")
    if not errors and passwords.verify_password(credential.password_hash, new_password):
        errors.append("Le nouveau mot de passe doit être différent de l'ancien.")
    if errors:
        raise ValidationError(*errors)
    credential.password_hash = passwords.hash_password(new_password)
    credential.must_change_password = False
    credential.password_changed_at = at or now()


def change_password(session, family_id, token, current_password, new_password, confirmation):
    credential = session.get(Credential, family_id)
    if credential is None or not passwords.verify_password(credential.password_hash,
                                                           current_password or ""):
        raise ValidationError("Le mot de passe actuel est incorrect.")
    set_password(session, credential, new_password or "", confirmation or "")
    end_other_sessions(session, family_id, keep_token=token)


# --- "Mot de passe oublié ?" ---------------------------------------------------------------

RESET_VALID = dt.timedelta(hours=1)
RESETS_PER_HOUR = 3  # per family: the link cannot be used to flood a mailbox


def request_password_reset(session, identifiant_or_email, at=None):
    """New single-use links for the family (or families) matching an identifiant or an email.

    Returns [(family_id, email, token)], possibly empty: the caller answers the same either way.
    """
    at = at or now()
    key = _normalise(identifiant_or_email)
    if not key:
        raise ValidationError("Veuillez saisir votre identifiant ou votre adresse email.")
    query = sa.select(Person.family_id, Person.email).where(Person.role == "responsable",
                                                            Person.email != "")
    if "@" in key:
        query = query.where(sa.func.lower(Person.email) == key.lower())
    else:
        query = query.join(Credential, Credential.family_id == Person.family_id).where(
            Credential.identifiant == key)
    links = []
    for family_id, email in session.execute(query).all():
        recent = session.scalar(sa.select(sa.func.count()).select_from(PasswordReset).where(
            PasswordReset.family_id == family_id, PasswordReset.created_at > at - dt.timedelta(hours=1)))
        if recent >= RESETS_PER_HOUR:
            continue
        token = secrets.token_urlsafe(32)
        session.add(PasswordReset(token_hash=session_token_hash(token), family_id=family_id,
                                  created_at=at, expires_at=at + RESET_VALID))
        links.append((family_id, email, token))
    return links


def _usable_reset(session, token, at):
    reset = session.get(PasswordReset, session_token_hash(token or ""), with_for_update=True)
    if reset is None or reset.used_at is not None or reset.expires_at <= at:
        raise ValidationError("Ce lien de réinitialisation n'est plus valable. "
                              "Veuillez refaire une demande.")
    return reset


def check_reset_token(session, token, at=None):
    _usable_reset(session, token, at or now())
    return True


def reset_password(session, token, new_password, confirmation, at=None):
    """Set the new password through a link; the link is spent and every session ends."""
    at = at or now()
    reset = _usable_reset(session, token, at)
    credential = session.get(Credential, reset.family_id)
    set_password(session, credential, new_password or "", confirmation or "", at=at)
    # Every link of the family is spent, not only this one.
    session.execute(sa.update(PasswordReset).where(PasswordReset.family_id == reset.family_id,
                                                   PasswordReset.used_at.is_(None))
                    .values(used_at=at))
    end_other_sessions(session, reset.family_id, at=at)
    return reset.family_id
