"""Families, their responsable and conjoint (the collectivity's profile: collectivity.py)."""
import re
from decimal import Decimal

import sqlalchemy as sa

from services.accounts import passwords
from services.accounts.collectivity import get_collectivity_row
from services.accounts.models import PERSON_FIELDS, Credential, Family, Person
from services.common import checks, crypto
from services.common import settings as settings_module
from services.common.errors import Conflict, NotFound, ValidationError
from services.common.events import add_event

BOOLEAN_FIELDS = {"autorisation_sms", "autorisation_courriel"}


def person_dict(person):
    if person is None:
        return None
    return {field: getattr(person, field) for field in PERSON_FIELDS}


def family_dict(family):
    by_role = {p.role: p for p in family.persons}
    responsable = by_role.get("responsable")
    return {
        "id": family.id,
        "numero": family.numero,
        "responsable": person_dict(responsable),
        "conjoint": person_dict(by_role.get("conjoint")),
        "fiscal": {
            "revenu_fiscal_reference": family.revenu_fiscal_reference,
            "nombre_parts": None if family.nombre_parts is None else str(family.nombre_parts),
        },
        # billing reads the quotient familial here (services/billing/copies.py).
        "caf": {
            "regime": family.regime_caf or "",
            "numero_allocataire": family.numero_allocataire or "",
            "quotient_familial": family.quotient_familial,
        },
        # The IBAN leaves this service masked only: events and pages never carry it in clear.
        "banque": {
            "titulaire_compte": responsable.titulaire_compte if responsable else "",
            "nom_banque": responsable.nom_banque if responsable else "",
            "iban": crypto.mask(_iban(family)),
            "bic": family.bic or "",
            "prelevement_automatique": bool(family.prelevement_automatique),
        },
    }


def _iban(family):
    if not family.iban_chiffre:
        return ""
    return crypto.decrypt(settings_module.load().accounts_data_key, family.iban_chiffre)


def get_family(session, family_id):
    family = session.get(Family, checks.record_id(family_id, "Famille introuvable."))
    if family is None:
        raise NotFound("Famille introuvable.")
    return family_dict(family)


def _clean_person(data, label):
    if not isinstance(data, dict):
        raise ValidationError(f"{label} : informations manquantes.")
    unknown = set(data) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationError(f"{label} : champ(s) inconnu(s) : {', '.join(sorted(unknown))}.")
    clean = {}
    for field, value in data.items():
        if field in BOOLEAN_FIELDS:
            clean[field] = bool(value)
        else:
            clean[field] = checks.text(value, f"{label} : {field}",
                                       Person.__table__.c[field].type.length)
    if not clean.get("nom"):
        raise ValidationError(f"{label} : le nom est obligatoire.")
    return clean


def _next_numero(session):
    # N° famille: 11 digits, like the guide's 10010018331.
    highest = session.scalar(sa.select(sa.func.max(Family.numero))
                             .where(Family.numero.op("~")(r"^1001\d{7}$")))
    return str(int(highest) + 1) if highest else "10010000001"


def create_family(session, responsable, conjoint=None, numero=None, password=None):
    """Create a family and its credentials; return the family and the initial password."""
    responsable = _clean_person(responsable, "Responsable")
    conjoint = _clean_person(conjoint, "Conjoint") if conjoint else None
    numero = str(numero).strip() if numero else _next_numero(session)
    if not re.fullmatch(r"\d{6,20}", numero):
        raise ValidationError("Le N° famille doit être composé de 6 à 20 chiffres.")
    if session.scalar(sa.select(Family.id).where(Family.numero == numero)):
        raise Conflict(f"La famille {numero} existe déjà.")
    collectivity = get_collectivity_row(session)
    password = password or passwords.generate_initial_password()
    family = Family(numero=numero)
    family.persons = [Person(role="responsable", **responsable)]
    if conjoint:
        family.persons.append(Person(role="conjoint", **conjoint))
    session.add(family)
    session.flush()
    session.add(Credential(family_id=family.id, identifiant=numero,
                           password_hash=passwords.hash_password(password),
                           must_change_password=collectivity.force_password_change))
    data = family_dict(family)
    add_event(session, "accounts", "family.created", data)
    return data, password


# --- accepted change requests (requests service's request.accepted) --------------------------

FAMILY_REQUEST_TYPES = ("responsable", "conjoint", "fiscales", "caf", "bancaires")


def _optional_int(value):
    return None if value in (None, "") else int(Decimal(str(value)))


def apply_request(session, request, secrets=None):
    """Apply an accepted request of the family record; `secrets` holds the clear values the
    event leaves out (the IBAN). Returns the family dict for family.updated, or None when the
    request is not about the family record."""
    kind, values = request["type"], request["new_values"]
    if kind not in FAMILY_REQUEST_TYPES:
        return None
    family = session.scalar(sa.select(Family).where(Family.id == int(request["family_id"]))
                            .with_for_update())
    if family is None:
        raise NotFound("Famille introuvable.")
    if kind in ("responsable", "conjoint"):
        _apply_person(session, family, kind, values)
    elif kind == "fiscales":
        family.revenu_fiscal_reference = _optional_int(values.get("revenu_fiscal_reference"))
        parts = values.get("nombre_parts")
        family.nombre_parts = None if parts in (None, "") else Decimal(str(parts))
    elif kind == "caf":
        family.regime_caf = str(values.get("regime_caf") or "")
        family.numero_allocataire = str(values.get("numero_allocataire") or "")
        family.quotient_familial = _optional_int(values.get("quotient_familial"))
    else:  # bancaires
        _apply_person(session, family, "responsable",
                      {f: values[f] for f in ("titulaire_compte", "nom_banque") if f in values})
        iban = (secrets or {}).get("iban")
        if iban:  # empty: the parent kept the IBAN already known
            family.iban_chiffre = crypto.encrypt(settings_module.load().accounts_data_key, iban)
        family.bic = str(values.get("bic") or "")
        family.prelevement_automatique = bool(values.get("prelevement_automatique"))
    session.flush()
    session.refresh(family)
    return family_dict(family)


def _apply_person(session, family, role, values):
    fields = {f: (bool(v) if f in BOOLEAN_FIELDS else str(v or "").strip())
              for f, v in values.items() if f in PERSON_FIELDS}
    person = next((p for p in family.persons if p.role == role), None)
    if person is None:  # a first conjoint, declared by the family
        person = Person(role=role, nom=fields.get("nom") or "")
        family.persons.append(person)
    for field, value in fields.items():
        setattr(person, field, value)
