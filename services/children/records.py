"""Children's records (identity, school, health, authorisations, pick-up persons) and the
pré-inscription of a new child.

Health data is encrypted with Fernet under CHILDREN_DATA_KEY: the database holds a token, the
key lives only in the service's environment, and neither key nor clear data is ever logged.
"""
import base64
import datetime as dt
import functools
import hashlib
import json
import secrets

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken

from services.children.calendar import parse_date
from services.children.models import Child, Preinscription
from services.common import checks
from services.common import settings as settings_module
from services.common.errors import Conflict, NotFound, ValidationError
from services.common.events import add_event

HEALTH_FIELDS = ("allergies", "regime_alimentaire", "pai", "medecin_traitant", "vaccinations")
AUTHORISATIONS = ("photos", "sorties", "transport", "rentrer_seul")
IDENTITY_FIELDS = ("nom", "prenom", "date_naissance", "sexe", "ecole", "classe", "lunettes")
NOT_FOUND = "Enfant introuvable."


@functools.lru_cache(maxsize=4)
def _fernet(key):
    # Any passphrase works: Fernet wants 32 url-safe base64 bytes, SHA-256 gives them.
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


def encrypt_health(data, key=None):
    key = key or settings_module.load().children_data_key
    return _fernet(key).encrypt(json.dumps(data, ensure_ascii=False).encode()).decode()


def decrypt_health(token, key=None):
    key = key or settings_module.load().children_data_key
    try:
        return json.loads(_fernet(key).decrypt(token.encode()))
    except InvalidToken:
        # Wrong key in this environment: say so without showing any data.
        raise RuntimeError("children health data cannot be decrypted with CHILDREN_DATA_KEY") from None


def _text(data, field, limit=200):
    return checks.text(data.get(field), field)[:limit]


def _part(data, field):
    """A part of the record given as a dict (sante, autorisations), {} when absent."""
    value = data.get(field) or {}
    if not isinstance(value, dict):
        raise ValidationError(f"{field} : informations illisibles.")
    return value


def _clean_identity(data):
    errors = []
    # Cut after upper(): "ß" becomes "SS".
    nom, prenom = _text(data, "nom", None).upper()[:100], _text(data, "prenom", None).upper()[:100]
    if not nom:
        errors.append("Le nom de l'enfant est obligatoire.")
    if not prenom:
        errors.append("Le prénom de l'enfant est obligatoire.")
    sexe = _text(data, "sexe", 1).upper()
    if sexe not in ("F", "M"):
        errors.append("Le sexe de l'enfant doit être F ou M.")
    birth = None
    try:
        birth = parse_date(data.get("date_naissance"), "La date de naissance")
        if birth > dt.date.today():
            errors.append("La date de naissance ne peut pas être dans le futur.")
    except ValidationError as exc:
        errors.extend(exc.messages)
    if errors:
        raise ValidationError(*errors)
    return {"nom": nom, "prenom": prenom, "sexe": sexe, "date_naissance": birth}


def _clean_persons(persons):
    if not isinstance(persons or [], list):
        raise ValidationError("Les personnes autorisées doivent être données en liste.")
    clean = []
    for person in persons or []:
        if not isinstance(person, dict) or not _text(person, "nom"):
            raise ValidationError("Chaque personne autorisée doit avoir un nom.")
        clean.append({"nom": _text(person, "nom", 100), "lien": _text(person, "lien", 50),
                      "telephone": _text(person, "telephone", 30)})
    return clean


def create_child(session, family_id, data):
    """Back office: a child of `family_id` with every field of its record."""
    if not isinstance(data, dict):
        raise ValidationError("Informations de l'enfant manquantes.")
    family_id = checks.record_id(family_id, "Famille introuvable.")
    identity = _clean_identity(data)
    health = {f: _text(_part(data, "sante"), f, 1000) for f in HEALTH_FIELDS}
    child = Child(
        family_id=family_id, **identity,
        ecole=_text(data, "ecole"), classe=_text(data, "classe", 50),
        lunettes=bool(data.get("lunettes")),
        sante_chiffree=encrypt_health(health),
        autorisations={a: bool(_part(data, "autorisations").get(a)) for a in AUTHORISATIONS},
        personnes_autorisees=_clean_persons(data.get("personnes_autorisees")))
    session.add(child)
    session.flush()
    return child_dict(child, with_health=True)


def child_dict(child, with_health=False):
    data = {
        "id": child.id, "family_id": child.family_id, "nom": child.nom, "prenom": child.prenom,
        "date_naissance": child.date_naissance.isoformat(), "sexe": child.sexe,
        "ecole": child.ecole, "classe": child.classe, "lunettes": child.lunettes,
        "autorisations": dict(child.autorisations),
        "personnes_autorisees": list(child.personnes_autorisees),
        "ical_actif": child.ical_token_hash is not None,
    }
    if with_health:
        data["sante"] = decrypt_health(child.sante_chiffree)
    return data


def get_child_row(session, family_id, child_id, for_update=False):
    """The child, if it belongs to the family; otherwise the same NotFound as a missing id,
    so that ids of other families reveal nothing."""
    child_id = checks.record_id(child_id, NOT_FOUND)
    family_id = None if family_id is None else checks.record_id(family_id, NOT_FOUND)
    query = sa.select(Child).where(Child.id == child_id)
    if family_id is not None:  # None: the back office, which sees every family
        query = query.where(Child.family_id == family_id)
    if for_update:
        query = query.with_for_update()
    child = session.scalar(query)
    if child is None:
        raise NotFound(NOT_FOUND)
    return child


def list_children(session, family_id):
    family_id = checks.record_id(family_id, "Famille introuvable.")
    rows = session.scalars(sa.select(Child).where(Child.family_id == family_id)
                           .order_by(Child.date_naissance, Child.id))
    return [child_dict(c) for c in rows]


def get_child(session, family_id, child_id):
    return child_dict(get_child_row(session, family_id, child_id), with_health=True)


# --- iCal feed token --------------------------------------------------------------------------

def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def renew_ical_token(session, family_id, child_id):
    """A new private token for the child's feed (the old link stops working). Only its hash
    is kept: the parent sees the link once, and can always make a new one."""
    child = get_child_row(session, family_id, child_id)
    token = secrets.token_urlsafe(24)
    child.ical_token_hash = token_hash(token)
    return token


def revoke_ical_token(session, family_id, child_id):
    get_child_row(session, family_id, child_id).ical_token_hash = None


def child_by_ical_token(session, token):
    if not isinstance(token, str) or not token or len(token) > 100:
        raise NotFound("Agenda introuvable.")
    child = session.scalar(sa.select(Child).where(Child.ical_token_hash == token_hash(token)))
    if child is None:
        raise NotFound("Agenda introuvable.")
    return child


# --- pré-inscription ("Ajouter un enfant") ------------------------------------------------------

def preinscription_dict(row):
    return {"id": row.id, "family_id": row.family_id, "nom": row.nom, "prenom": row.prenom,
            "date_naissance": row.date_naissance.isoformat(), "sexe": row.sexe,
            "accueil": row.accueil, "commentaire": row.commentaire, "status": row.status,
            "motif_refus": row.motif_refus, "child_id": row.child_id,
            "requested_at": row.requested_at.isoformat() if row.requested_at else None,
            "decided_at": row.decided_at.isoformat() if row.decided_at else None}


def submit_preinscription(session, family_id, data):
    if not isinstance(data, dict):
        raise ValidationError("Informations de l'enfant manquantes.")
    family_id = checks.record_id(family_id, "Famille introuvable.")
    identity = _clean_identity(data)
    row = Preinscription(family_id=family_id, **identity, accueil=_text(data, "accueil"),
                         commentaire=_text(data, "commentaire", 2000), status="en_traitement")
    session.add(row)
    session.flush()
    session.refresh(row)
    result = preinscription_dict(row)
    add_event(session, "children", "preinscription.submitted", result)
    return result


def list_preinscriptions(session, status="en_traitement"):
    query = sa.select(Preinscription).order_by(Preinscription.id)
    status = checks.text(status, "Le statut")
    if status:
        query = query.where(Preinscription.status == status)
    return [preinscription_dict(r) for r in session.scalars(query)]


def decide_preinscription(session, preinscription_id, accept, motif="", child_data=None):
    """Back office: accept (the child is created, with `child_data` completing the record)
    or refuse with a reason."""
    preinscription_id = checks.record_id(preinscription_id, "Demande introuvable.")
    row = session.scalar(sa.select(Preinscription).where(Preinscription.id == preinscription_id)
                         .with_for_update())
    if row is None:
        raise NotFound("Demande introuvable.")
    if row.status != "en_traitement":
        raise Conflict("Cette demande a déjà été traitée.")
    motif = checks.text(motif, "Le motif")[:500]
    if not accept and not motif:
        raise ValidationError("Veuillez indiquer le motif du refus.")
    if child_data is not None and not isinstance(child_data, dict):
        raise ValidationError("Informations de l'enfant illisibles.")
    if accept:
        base = {"nom": row.nom, "prenom": row.prenom, "sexe": row.sexe,
                "date_naissance": row.date_naissance.isoformat()}
        row.child_id = create_child(session, row.family_id, {**base, **(child_data or {})})["id"]
    row.status = "acceptee" if accept else "refusee"
    row.motif_refus = "" if accept else motif
    row.decided_at = dt.datetime.now(dt.timezone.utc)
    session.flush()
    result = preinscription_dict(row)
    add_event(session, "children", "preinscription.decided", result)
    return result


# --- accepted change requests (requests service's request.accepted) ------------------------------

CHILD_REQUEST_TYPES = ("autorisations", "personnes_autorisees", "lunettes", "sante")


def apply_request(session, request, secrets=None):
    """Apply an accepted request on a child's record; `secrets` holds the health data in
    clear (the event carries it masked). Returns the child dict, or None when the request is
    not about a child's record."""
    kind, values = request["type"], request["new_values"]
    if kind not in CHILD_REQUEST_TYPES:
        return None
    child = get_child_row(session, request["family_id"], request["child_id"], for_update=True)
    if kind == "autorisations":
        child.autorisations = {a: bool(values.get(a, child.autorisations.get(a)))
                               for a in AUTHORISATIONS}
    elif kind == "personnes_autorisees":
        child.personnes_autorisees = _clean_persons(values.get("personnes_autorisees"))
    elif kind == "lunettes":
        child.lunettes = bool(values.get("lunettes"))
    else:  # sante
        health = decrypt_health(child.sante_chiffree)
        health.update({f: _text(secrets or {}, f, 1000) for f in HEALTH_FIELDS
                       if f in (secrets or {})})
        child.sante_chiffree = encrypt_health(health)
    session.flush()
    return child_dict(child)
