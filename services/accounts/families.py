"""Families, their responsable and conjoint, and the collectivity profile."""
import re

import sqlalchemy as sa

from services.accounts import passwords
from services.accounts.models import PERSON_FIELDS, Collectivity, Credential, Family, Person
from services.common.errors import Conflict, NotFound, ValidationError
from services.common.events import add_event

BOOLEAN_FIELDS = {"autorisation_sms", "autorisation_courriel"}
COLLECTIVITY_FIELDS = ("name", "site_url", "welcome_message", "force_password_change")


def person_dict(person):
    if person is None:
        return None
    return {field: getattr(person, field) for field in PERSON_FIELDS}


def family_dict(family):
    by_role = {p.role: p for p in family.persons}
    return {
        "id": family.id,
        "numero": family.numero,
        "responsable": person_dict(by_role.get("responsable")),
        "conjoint": person_dict(by_role.get("conjoint")),
    }


def get_family(session, family_id):
    family = session.get(Family, family_id)
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
            clean[field] = str(value or "").strip()
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


def get_collectivity_row(session):
    row = session.get(Collectivity, 1)
    if row is None:
        raise NotFound("Le profil de la collectivité n'est pas encore renseigné.")
    return row


def collectivity_dict(row):
    return {field: getattr(row, field) for field in COLLECTIVITY_FIELDS}


def update_collectivity(session, **fields):
    unknown = set(fields) - set(COLLECTIVITY_FIELDS)
    if unknown:
        raise ValidationError(f"Paramètre(s) inconnu(s) : {', '.join(sorted(unknown))}.")
    site_url = fields.get("site_url")
    if site_url is not None and not re.match(r"^https?://\S+$", site_url):
        raise ValidationError("L'adresse du site doit commencer par http:// ou https://.")
    row = session.get(Collectivity, 1)
    if row is None:
        if not fields.get("name") or not site_url:
            raise ValidationError("Le nom et l'adresse du site de la collectivité sont obligatoires.")
        row = Collectivity(id=1, welcome_message="", force_password_change=True)
        session.add(row)
    for field, value in fields.items():
        setattr(row, field, bool(value) if field == "force_password_change" else str(value).strip())
    return collectivity_dict(row)
