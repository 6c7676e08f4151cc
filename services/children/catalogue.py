"""What the collectivity offers and who is enrolled: structures, prestations (days, capacity,
unit, deadlines), closures and enrolments ("Inscriptions en cours"). Back-office functions."""
import datetime as dt

import sqlalchemy as sa

from services.children.calendar import parse_date, short_date
from services.children.models import (PERIODES, UNITS, Child, Closure, Enrolment, Prestation,
                                      Session, Structure)
from services.children.records import get_child_row
from services.common import checks
from services.common.errors import Conflict, NotFound, ValidationError

PRESTATION_FIELDS = ("code", "nom", "position", "periode", "jours_semaine", "capacite", "unite",
                     "reservation_jours", "reservation_heure", "reservation_jours_ouvres",
                     "annulation_jours", "annulation_heure", "annulation_jours_ouvres",
                     "confirmation_auto", "liste_attente")


def structure_dict(row):
    return {"id": row.id, "nom": row.nom, "position": row.position}


def create_structure(session, nom, position=0):
    nom = checks.text(nom, "Le nom de la structure")[:200]
    position = checks.integer(position, "La position", 0, checks.MAX_ID)
    if not nom:
        raise ValidationError("Le nom de la structure est obligatoire.")
    if session.scalar(sa.select(Structure.id).where(Structure.nom == nom)):
        raise Conflict(f"La structure « {nom} » existe déjà.")
    row = Structure(nom=nom, position=position)
    session.add(row)
    session.flush()
    return structure_dict(row)


def list_structures(session):
    return [structure_dict(s) for s in session.scalars(sa.select(Structure).order_by(
        Structure.position, Structure.id))]


def prestation_dict(row):
    data = {field: getattr(row, field) for field in PRESTATION_FIELDS}
    data["jours_semaine"] = list(row.jours_semaine)
    return {"id": row.id, "structure_id": row.structure_id, "structure": row.structure.nom, **data}


def get_prestation_row(session, prestation_id, for_update=False):
    prestation_id = checks.record_id(prestation_id, "Prestation introuvable.")
    query = sa.select(Prestation).where(Prestation.id == prestation_id)
    # of=Prestation: the structure is joined in (lazy="joined"), and PostgreSQL cannot lock the
    # nullable side of that outer join.
    row = session.scalar(query.with_for_update(of=Prestation) if for_update else query)
    if row is None:
        raise NotFound("Prestation introuvable.")
    return row


def _clean_prestation(fields, partial):
    unknown = set(fields) - set(PRESTATION_FIELDS)
    if unknown:
        raise ValidationError(f"Paramètre(s) inconnu(s) : {', '.join(sorted(unknown))}.")
    clean, errors = {}, []
    for field, value in fields.items():
        if field in ("code", "nom"):
            clean[field] = checks.text(value, f"Le champ {field}")[:200 if field == "nom" else 50]
            if not clean[field]:
                errors.append(f"Le champ {field} est obligatoire.")
        elif field == "periode":
            if value not in PERIODES:
                errors.append("La période doit être scolaire, mercredi ou vacances.")
            clean[field] = value
        elif field == "unite":
            if value not in UNITS:
                errors.append("L'unité doit être jour, demi-journee, repas ou heure.")
            clean[field] = value
        elif field == "jours_semaine":
            try:
                days = sorted({int(d) for d in value})
            except (TypeError, ValueError, OverflowError):
                days = [-1]
            if not days or any(d < 0 or d > 6 for d in days):
                errors.append("Les jours de la semaine vont de 0 (lundi) à 6 (dimanche).")
            clean[field] = days
        elif field in ("confirmation_auto", "liste_attente", "reservation_jours_ouvres",
                       "annulation_jours_ouvres"):
            clean[field] = bool(value)
        else:  # integers
            try:
                clean[field] = int(value)
            except (TypeError, ValueError, OverflowError):
                errors.append(f"Le champ {field} doit être un nombre entier.")
                continue
            if (clean[field] < 0 or clean[field] > checks.MAX_ID
                    or (field.endswith("_heure") and clean[field] > 23)):
                errors.append(f"Le champ {field} n'est pas valide.")
    if not partial:
        missing = {"code", "nom", "periode", "jours_semaine", "capacite", "unite"} - set(clean)
        if missing:
            errors.append(f"Champ(s) obligatoire(s) manquant(s) : {', '.join(sorted(missing))}.")
    if errors:
        raise ValidationError(*errors)
    return clean


def create_prestation(session, structure_id, **fields):
    structure_id = checks.record_id(structure_id, "Structure introuvable.")
    if session.get(Structure, structure_id) is None:
        raise NotFound("Structure introuvable.")
    clean = _clean_prestation(fields, partial=False)
    if session.scalar(sa.select(Prestation.id).where(Prestation.code == clean["code"])):
        raise Conflict(f"La prestation {clean['code']} existe déjà.")
    row = Prestation(structure_id=structure_id, **clean)
    session.add(row)
    session.flush()
    return prestation_dict(row)


def update_prestation(session, prestation_id, **fields):
    """Capacity, deadlines, days…; a new capacity applies to the days not yet past, and may
    not go below the places already confirmed on one of them."""
    row = get_prestation_row(session, prestation_id, for_update=True)
    clean = _clean_prestation(fields, partial=True)
    if "code" in clean and session.scalar(sa.select(Prestation.id).where(
            Prestation.code == clean["code"], Prestation.id != row.id)):
        raise Conflict(f"La prestation {clean['code']} existe déjà.")
    if "capacite" in clean:
        today = dt.date.today()
        over = session.scalar(sa.select(sa.func.max(Session.reserves)).where(
            Session.prestation_id == row.id, Session.date >= today))
        if over is not None and over > clean["capacite"]:
            raise ValidationError(f"Impossible : {over} places sont déjà réservées un jour à venir.")
        session.execute(sa.update(Session).where(Session.prestation_id == row.id,
                                                 Session.date >= today)
                        .values(capacite=clean["capacite"]))
    for field, value in clean.items():
        setattr(row, field, value)
    session.flush()
    return prestation_dict(row)


def list_prestations(session):
    rows = session.scalars(sa.select(Prestation).join(Structure)
                           .order_by(Structure.position, Structure.id, Prestation.position,
                                     Prestation.id))
    return [prestation_dict(p) for p in rows]


# --- closures ---------------------------------------------------------------------------------

def closure_dict(row):
    return {"id": row.id, "prestation_id": row.prestation_id, "date": row.date.isoformat(),
            "motif": row.motif}


def add_closure(session, day, motif="", prestation_id=None):
    """A "Fermeture" of one prestation or (prestation_id None) of all. The bookings.py caller
    cancels the bookings of that day."""
    day = parse_date(day)
    if prestation_id is not None:
        prestation_id = get_prestation_row(session, prestation_id).id
    row = Closure(date=day, motif=checks.text(motif, "Le motif")[:200], prestation_id=prestation_id)
    session.add(row)
    session.flush()
    return closure_dict(row)


def remove_closure(session, closure_id):
    row = session.get(Closure, checks.record_id(closure_id, "Fermeture introuvable."))
    if row is None:
        raise NotFound("Fermeture introuvable.")
    session.delete(row)


def list_closures(session, start, end):
    start, end = parse_date(start), parse_date(end)
    rows = session.scalars(sa.select(Closure).where(Closure.date.between(start, end))
                           .order_by(Closure.date, Closure.id))
    return [closure_dict(r) for r in rows]


# --- enrolments ---------------------------------------------------------------------------------

def enrolment_dict(row):
    p = row.prestation
    return {"id": row.id, "child_id": row.child_id, "prestation_id": p.id,
            "structure": p.structure.nom, "prestation": p.nom,
            "debut": row.debut.isoformat(), "fin": row.fin.isoformat(),
            "periode": f"du {short_date(row.debut)} au {short_date(row.fin)}",
            "responsable": row.responsable, "jours_reguliers": list(row.jours_reguliers)}


def enrol(session, child_id, prestation_id, debut, fin, responsable, jours_reguliers=()):
    """Back office: child × prestation × period × the responsable who pays."""
    child = get_child_row(session, None, child_id)
    prestation = get_prestation_row(session, prestation_id)
    debut, fin = parse_date(debut, "La date de début"), parse_date(fin, "La date de fin")
    if fin < debut:
        raise ValidationError("La date de fin doit suivre la date de début.")
    responsable = checks.text(responsable, "Le responsable")[:200]
    if not responsable:
        raise ValidationError("Le responsable qui paie est obligatoire.")
    try:
        regular = sorted({int(d) for d in jours_reguliers or ()})
    except (TypeError, ValueError, OverflowError):
        regular = [-1]
    if any(d < 0 or d > 6 for d in regular):
        raise ValidationError("Les jours réguliers vont de 0 (lundi) à 6 (dimanche).")
    overlap = session.scalar(sa.select(Enrolment.id).where(
        Enrolment.child_id == child.id, Enrolment.prestation_id == prestation.id,
        Enrolment.debut <= fin, Enrolment.fin >= debut))
    if overlap:
        raise Conflict("L'enfant est déjà inscrit à cette prestation sur cette période.")
    row = Enrolment(child_id=child.id, prestation_id=prestation.id, debut=debut, fin=fin,
                    responsable=responsable, jours_reguliers=regular)
    session.add(row)
    session.flush()
    return enrolment_dict(row)


def enrolments_of(session, child_id, start=None, end=None):
    query = sa.select(Enrolment).where(Enrolment.child_id == child_id)
    if start and end:
        query = query.where(Enrolment.debut <= end, Enrolment.fin >= start)
    return list(session.scalars(query.order_by(Enrolment.debut, Enrolment.id)))


def enrolment_on(session, child_id, prestation_id, day):
    return session.scalar(sa.select(Enrolment).where(
        Enrolment.child_id == child_id, Enrolment.prestation_id == prestation_id,
        Enrolment.debut <= day, Enrolment.fin >= day))


def current_enrolments(session, family_id, child_id, today=None):
    """"Inscriptions en cours": the child's enrolments not yet ended."""
    child = get_child_row(session, family_id, child_id)
    today = today or dt.date.today()
    rows = session.scalars(sa.select(Enrolment).where(Enrolment.child_id == child.id,
                                                      Enrolment.fin >= today)
                           .order_by(Enrolment.debut, Enrolment.id))
    return [enrolment_dict(r) for r in rows]


def family_structures(session, family_id, today=None):
    """The structures where a child of the family is enrolled now or later: those the family
    may write to from its Boîte de réception."""
    family_id = checks.record_id(family_id, "Famille introuvable.")
    today = today or dt.date.today()
    rows = session.execute(
        sa.select(Structure.id, Structure.nom).distinct()
        .join(Prestation, Prestation.structure_id == Structure.id)
        .join(Enrolment, Enrolment.prestation_id == Prestation.id)
        .join(Child, Child.id == Enrolment.child_id)
        .where(Child.family_id == family_id, Enrolment.fin >= today)
        .order_by(Structure.nom)).all()
    return [{"id": r.id, "nom": r.nom} for r in rows]


def families_enrolled(session, prestation_id, today=None):
    """Families with a child enrolled in the prestation now or later (a broadcast's audience)."""
    prestation_id = get_prestation_row(session, prestation_id).id
    today = today or dt.date.today()
    return list(session.scalars(
        sa.select(Child.family_id).distinct()
        .join(Enrolment, Enrolment.child_id == Child.id)
        .where(Enrolment.prestation_id == prestation_id, Enrolment.fin >= today)
        .order_by(Child.family_id)))
