"""Bookings, absences and attendance: the parents' requests from the planning, the back
office's decisions, and the capacity guard.

Capacity: each day of a prestation has a `sessions` row whose `reserves` only moves through
`UPDATE … SET reserves = reserves + 1 WHERE reserves < capacite`. PostgreSQL serialises the
concurrent UPDATEs of that row and re-checks the condition for each, so however many parents
book at the same instant, confirmed bookings never exceed the capacity. The unique
child × prestation × day row of `bookings` makes a double booking impossible.
"""
import datetime as dt
import decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from services.children import calendar, catalogue, collectivity
from services.children.calendar import long_date, parse_date, short_date
from services.children.models import (ACTIVE_BOOKING, ATTENDANCE_STATUSES, Absence, Attendance,
                                      Booking, Child, Closure, CollectivitySettings, Enrolment,
                                      Prestation, Session)
from services.children.records import NOT_FOUND, get_child_row
from services.common import checks
from services.common.errors import Conflict, Forbidden, NotFound, ValidationError
from services.common.events import add_event

PARIS = ZoneInfo("Europe/Paris")  # deadlines are the collectivity's local time


def now():
    return dt.datetime.now(PARIS)


# --- rules ---------------------------------------------------------------------------------------

def deadline(prestation, day, kind):
    """The moment before which a booking (kind "reservation") or an absence ("annulation")
    for `day` must be made: N days (working days if so set) before, at the cut-off hour."""
    count = getattr(prestation, f"{kind}_jours")
    limit_day = calendar.days_before(day, count, getattr(prestation, f"{kind}_jours_ouvres"))
    return dt.datetime.combine(limit_day, dt.time(getattr(prestation, f"{kind}_heure")), PARIS)


def deadline_text(moment):
    return f"{short_date(moment.date())} à {moment.hour:02d}h{moment.minute:02d}"


def closed_reason(session, prestation, day, closure=None):
    """Why the prestation does not take children on `day` (French), or None if it does.
    `closure`: the day's closure motif when already read ("" when open)."""
    name = f"« {prestation.nom} »"
    holiday = calendar.public_holiday(day)
    if holiday:
        return f"Le {short_date(day)} est un jour férié ({holiday}) : la prestation {name} n'a pas lieu."
    motif = closure if closure is not None else calendar.closure_motif(
        calendar.closures(session, day, day), prestation.id, day)
    if motif:
        return f"La prestation {name} est fermée le {short_date(day)} ({motif})."
    zone = collectivity.zone(session)
    if not calendar.runs_on(prestation, day, zone):
        school = calendar.school_holiday(day, zone)
        if school and prestation.periode != "vacances":
            return (f"Le {short_date(day)} est pendant les {school[0].lower()} : "
                    f"la prestation {name} n'a pas lieu.")
        return f"La prestation {name} n'a pas lieu le {long_date(day)}."
    return None


def event_data(child, prestation, day, responsable):
    """The common data of booking.* and attendance.recorded (services/common/contracts.py)."""
    return {"family_id": child.family_id, "child_id": child.id,
            "child_name": f"{child.prenom} {child.nom}", "structure": prestation.structure.nom,
            "prestation_code": prestation.code, "prestation": prestation.nom,
            "unit": prestation.unite, "date": day.isoformat(), "responsable": responsable}


def _request_event(session, kind, request_id, status, child, prestation, day, responsable,
                   decided=False, motif="", motif_refus=""):
    """planning_request.submitted / .decided: for the requests service's "Liste des demandes"."""
    add_event(session, "children", "planning_request.decided" if decided else
              "planning_request.submitted",
              {**event_data(child, prestation, day, responsable), "kind": kind,
               "request_id": request_id, "status": status, "motif": motif,
               "motif_refus": motif_refus})


class _Facts(NamedTuple):
    """What a request from the planning decides on, read in one statement (_FACTS)."""
    child: Child
    prestation: Prestation
    day: dt.date
    enrolment: Enrolment | None
    closure: str  # the day's "Fermeture" motif, "" when open
    booking_status: str | None  # the child × prestation × day booking, if any
    day_full: bool | None  # None: no place of the day taken yet (no sessions row)
    absence_status: str | None


def _facts_statement(of_family):
    """The child, prestation, enrolment, closure, booking, places and absence of one day, and
    the collectivity's settings: one round trip instead of seven. Built once (bound
    parameters), so neither the statement nor its cache key is made again per request."""
    day = sa.bindparam("day", type_=sa.Date)
    same_day = {model: sa.and_(model.child_id == Child.id, model.prestation_id == Prestation.id,
                               model.date == day) for model in (Booking, Absence)}
    closure = (sa.select(sa.func.coalesce(sa.func.nullif(Closure.motif, ""), "Fermeture"))
               .where(Closure.date == day, sa.or_(Closure.prestation_id == Prestation.id,
                                                   Closure.prestation_id.is_(None)))
               .order_by(Closure.prestation_id.is_(None)).limit(1).scalar_subquery())
    query = (
        sa.select(Child, Prestation, Enrolment, CollectivitySettings, closure, Booking.status,
                  Session.reserves >= Session.capacite, Absence.status)
        .select_from(Child)
        .join(Prestation, Prestation.id == sa.bindparam("prestation_id"))
        .outerjoin(Enrolment, sa.and_(Enrolment.child_id == Child.id,
                                      Enrolment.prestation_id == Prestation.id,
                                      Enrolment.debut <= day, Enrolment.fin >= day))
        .outerjoin(CollectivitySettings, CollectivitySettings.id == 1)
        .outerjoin(Booking, same_day[Booking])
        .outerjoin(Session, sa.and_(Session.prestation_id == Prestation.id, Session.date == day))
        .outerjoin(Absence, same_day[Absence])
        .where(Child.id == sa.bindparam("child_id"))
        # The prestation is already loaded: no second join for the enrolment's.
        .options(orm.lazyload(Enrolment.prestation)).limit(1))
    if of_family:
        query = query.where(Child.family_id == sa.bindparam("family_id"))
    return query


_FACTS = {of_family: _facts_statement(of_family) for of_family in (True, False)}


def _context(session, family_id, child_id, prestation_id, day):
    """The _Facts of a family's child (family_id None: the back office's, any child) on a
    date; refused when the child is not enrolled in the prestation on that date."""
    ids = {"child_id": checks.record_id(child_id, NOT_FOUND),
           "prestation_id": checks.record_id(prestation_id, "Prestation introuvable."),
           "day": parse_date(day)}
    if family_id is not None:
        ids["family_id"] = checks.record_id(family_id, NOT_FOUND)
    row = session.execute(_FACTS[family_id is not None], ids).first()
    if row is None:  # which of the two is missing, with its own message
        get_child_row(session, family_id, child_id)
        catalogue.get_prestation_row(session, prestation_id)
        raise NotFound(NOT_FOUND)
    child, prestation, enrolment, settings, closure, booking_status, day_full, absence = row
    collectivity.keep(session, settings)
    facts = _Facts(child, prestation, ids["day"], enrolment, closure or "", booking_status,
                   day_full, absence)
    if enrolment is None:
        raise ValidationError(f"{child.prenom} n'est pas inscrit(e) à « {prestation.nom} » "
                              f"le {short_date(facts.day)}.")
    return facts


# --- places ---------------------------------------------------------------------------------------

def take_place(session, prestation, day, known=False):
    """One place of the day, atomically; False when the day is full. `known`: the day's row
    was seen, so it need not be created (rows of days are never deleted)."""
    if not known:
        session.execute(pg_insert(Session).values(prestation_id=prestation.id, date=day,
                                                  capacite=prestation.capacite, reserves=0)
                        .on_conflict_do_nothing(index_elements=["prestation_id", "date"]))
    taken = session.execute(_TAKE_PLACE, {"prestation": prestation.id, "day": day}).first()
    return taken is not None


# The capacity guard (module docstring), built once; on the table, so without the ORM's
# bulk-update bookkeeping.
_DAYS = Session.__table__
_TAKE_PLACE = (sa.update(_DAYS)
               .where(_DAYS.c.prestation_id == sa.bindparam("prestation"),
                      _DAYS.c.date == sa.bindparam("day"), _DAYS.c.reserves < _DAYS.c.capacite)
               .values(reserves=_DAYS.c.reserves + 1).returning(_DAYS.c.id))


def release_place(session, prestation_id, day):
    session.execute(sa.update(Session)
                    .where(Session.prestation_id == prestation_id, Session.date == day,
                           Session.reserves > 0)
                    .values(reserves=Session.reserves - 1))


def waiting_rank(session, booking):
    """Place in the waiting list, 1 = next to get a freed place."""
    return session.scalar(sa.select(sa.func.count()).select_from(Booking).where(
        Booking.prestation_id == booking.prestation_id, Booking.date == booking.date,
        Booking.status == "liste_attente",
        sa.tuple_(Booking.requested_at, Booking.id) <= (booking.requested_at, booking.id)))


def _promote_waiting(session, prestation, day, at):
    """A place was freed: the first of the waiting list gets it."""
    first = session.scalar(sa.select(Booking).where(
        Booking.prestation_id == prestation.id, Booking.date == day,
        Booking.status == "liste_attente")
        .order_by(Booking.requested_at, Booking.id).limit(1).with_for_update(skip_locked=True))
    if first is None or not take_place(session, prestation, day):
        return
    first.status, first.decided_at = "confirmee", at
    child = session.get(Child, first.child_id)
    responsable = catalogue.enrolment_on(session, child.id, prestation.id, day).responsable
    add_event(session, "children", "booking.confirmed",
              {**event_data(child, prestation, day, responsable), "booking_id": first.id})
    _request_event(session, "reservation", first.id, "acceptee", child, prestation, day,
                   responsable, decided=True)


def _cancel(session, booking, prestation, child, responsable, at, late=False):
    """Cancel a confirmed booking: free its place, tell billing, serve the waiting list."""
    booking.status, booking.decided_at = "annulee", at
    release_place(session, prestation.id, booking.date)
    add_event(session, "children", "booking.cancelled",
              {**event_data(child, prestation, booking.date, responsable),
               "booking_id": booking.id, "late": late})
    _promote_waiting(session, prestation, booking.date, at)


def _locked_row(session, model, child_id, prestation_id, day):
    return session.scalar(sa.select(model).where(
        model.child_id == child_id, model.prestation_id == prestation_id, model.date == day)
        .with_for_update())


def _new_row(session, row, duplicate):
    """Insert the child × prestation × day row; a concurrent twin raises `duplicate` (a
    Conflict) after rolling back the transaction PostgreSQL aborted."""
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise duplicate from None
    return row


# --- parents ---------------------------------------------------------------------------------------

def _planning_requests_open(session):
    """The guide's optional part: the collectivity may not take requests from the planning."""
    if not collectivity.get(session).planning_requests:
        raise Forbidden("Votre collectivité ne propose pas les demandes de réservation et "
                        "d'absence depuis le planning.")


def _already_booked(what):
    return Conflict(f"Une réservation existe déjà pour {what}.")


def _complet(prestation, day):
    return Conflict(f"Complet : il n'y a plus de place à « {prestation.nom} » "
                    f"le {short_date(day)}.")


class _DayFull(Exception):
    """The last place went to another booking between reading the day and taking it."""


def book(session, family_id, child_id, prestation_id, day, at=None):
    """"Demande de Réservation". Returns {booking_id, status, message[, rang]}; a refusal
    raises with a French message (deadline, closed day, complet, already booked)."""
    at = at or now()
    try:
        return _book(session, family_id, child_id, prestation_id, day, at, day_full=False)
    except _DayFull:
        session.rollback()  # nothing of this attempt stays: decide again, knowing it is full
        return _book(session, family_id, child_id, prestation_id, day, at, day_full=True)


def _book(session, family_id, child_id, prestation_id, day, at, day_full):
    facts = _context(session, family_id, child_id, prestation_id, day)
    _planning_requests_open(session)
    child, prestation, day = facts.child, facts.prestation, facts.day
    reason = closed_reason(session, prestation, day, facts.closure)
    if reason:
        raise ValidationError(reason)
    limit = deadline(prestation, day, "reservation")
    if at > limit:
        raise ValidationError(f"Le délai de réservation est dépassé : pour le {short_date(day)}, "
                              f"la réservation devait être faite avant le {deadline_text(limit)}.")
    what = f"{child.prenom} à « {prestation.nom} » le {short_date(day)}"
    # Most requests of a registrations rush arrive once the day is full or booked twice: they
    # are refused from what was read, without writing or locking. Reading an instant before a
    # concurrent change is the same as arriving an instant earlier; a booking that gets a
    # place takes it with the conditional UPDATE (take_place), which decides.
    if facts.booking_status in ACTIVE_BOOKING:
        raise _already_booked(what)
    if not prestation.confirmation_auto:
        status = "en_traitement"
    elif not (day_full or facts.day_full):
        status = "confirmee"
    elif prestation.liste_attente:
        # Only the locked path puts a child on the waiting list: read without the lock, a
        # place freed meanwhile would leave the child waiting beside it.
        status = "liste_attente" if day_full else "confirmee"
    else:
        raise _complet(prestation, day)
    decided_at = at if status == "confirmee" else None
    if facts.booking_status is None:
        booking = _new_row(session, Booking(child_id=child.id, prestation_id=prestation.id,
                                            date=day, status=status, requested_at=at,
                                            decided_at=decided_at, motif_refus=""),
                           _already_booked(what))
    else:  # refused or cancelled before: the same row, booked again
        booking = _locked_row(session, Booking, child.id, prestation.id, day)
        if booking.status in ACTIVE_BOOKING:
            raise _already_booked(what)
        booking.status, booking.requested_at, booking.decided_at = status, at, decided_at
        booking.motif_refus = ""
    if facts.absence_status not in (None, "en_traitement"):
        # Booking again a day declared absent: the child comes after all, the absence is void.
        session.execute(sa.delete(Absence).where(
            Absence.child_id == child.id, Absence.prestation_id == prestation.id,
            Absence.date == day, Absence.status != "en_traitement"))
    responsable = facts.enrolment.responsable
    if status == "confirmee":
        # Everything written first, the place taken last: the day's row, which every booking
        # of that day waits for, then stays locked only for the commit.
        add_event(session, "children", "booking.confirmed",
                  {**event_data(child, prestation, day, responsable), "booking_id": booking.id})
        _request_event(session, "reservation", booking.id, "acceptee", child, prestation, day,
                       responsable)
        if not take_place(session, prestation, day, known=facts.day_full is not None):
            raise _DayFull()
        return {"booking_id": booking.id, "status": status,
                "message": f"Réservation confirmée pour {what}."}
    result = {"booking_id": booking.id, "status": status}
    if status == "en_traitement":
        result["message"] = (f"Votre demande de réservation pour {what} a été transmise à la "
                             "structure. Elle est en cours de traitement.")
    else:
        rank = waiting_rank(session, booking)
        result.update(rang=rank, message=f"Complet : {what} est placé(e) en liste d'attente "
                                         f"(rang {rank}).")
    _request_event(session, "reservation", booking.id, status, child, prestation, day,
                   responsable)
    return result


def declare_absence(session, family_id, child_id, prestation_id, day, motif, confirme, at=None):
    """"Déclarer une absence": a reason and a confirmation are required, and the délai de
    prévenance. Accepted at once when the prestation confirms automatically, else pending."""
    at = at or now()
    facts = _context(session, family_id, child_id, prestation_id, day)
    _planning_requests_open(session)
    motif = checks.text(motif, "La raison de l'absence")[:500]
    errors = []
    if not motif:
        errors.append("Veuillez indiquer la raison de l'absence.")
    if not confirme:
        errors.append("Veuillez confirmer la déclaration d'absence.")
    child, prestation, day, enrolment = facts.child, facts.prestation, facts.day, facts.enrolment
    if errors:
        raise ValidationError(*errors)
    what = f"{child.prenom} à « {prestation.nom} » le {short_date(day)}"
    booking = _locked_row(session, Booking, child.id, prestation.id, day)
    booked = booking is not None and booking.status == "confirmee"
    regular = (day.weekday() in enrolment.jours_reguliers
               and closed_reason(session, prestation, day, facts.closure) is None)
    if not booked and not regular:
        raise ValidationError(f"Aucune réservation confirmée pour {what} : "
                              "il n'y a pas d'absence à déclarer.")
    limit = deadline(prestation, day, "annulation")
    if at > limit:
        raise ValidationError(f"Le délai de prévenance est dépassé : l'absence du {short_date(day)} "
                              f"devait être déclarée avant le {deadline_text(limit)}. "
                              "Veuillez contacter la structure.")
    absence = _locked_row(session, Absence, child.id, prestation.id, day)
    if absence is not None and absence.status != "refusee":
        raise Conflict(f"Une absence est déjà déclarée pour {what}.")
    if absence is None:
        absence = _new_row(session, Absence(child_id=child.id, prestation_id=prestation.id,
                                            date=day, motif=motif, status="en_traitement",
                                            requested_at=at),
                           Conflict(f"Une absence est déjà déclarée pour {what}."))
    absence.motif, absence.requested_at, absence.decided_at = motif, at, None
    absence.status, absence.motif_refus = "en_traitement", ""
    if prestation.confirmation_auto:
        absence.status, absence.decided_at = "acceptee", at
        if booked:
            _cancel(session, booking, prestation, child, enrolment.responsable, at)
        message = f"L'absence de {what} est enregistrée."
    else:
        message = (f"Votre déclaration d'absence pour {what} a été transmise à la structure. "
                   "Elle est en cours de traitement.")
    session.flush()
    _request_event(session, "absence", absence.id, absence.status, child, prestation, day,
                   enrolment.responsable, motif=motif)
    return {"absence_id": absence.id, "status": absence.status, "message": message}


# --- back office -----------------------------------------------------------------------------------

def _booking_or_absence(session, model, request_id, label):
    request_id = checks.record_id(request_id, f"{label} introuvable.")
    row = session.scalar(sa.select(model).where(model.id == request_id).with_for_update())
    if row is None:
        raise NotFound(f"{label} introuvable.")
    if row.status != "en_traitement":
        raise Conflict(f"Cette {label.lower()} a déjà été traitée.")
    child = session.get(Child, row.child_id)
    prestation = session.get(Prestation, row.prestation_id)
    enrolment = catalogue.enrolment_on(session, child.id, prestation.id, row.date)
    return row, child, prestation, enrolment.responsable if enrolment else ""


def _refusal(accept, motif):
    motif = checks.text(motif, "Le motif")[:500]
    if not accept and not motif:
        raise ValidationError("Veuillez indiquer le motif du refus.")
    return "" if accept else motif


def decide_booking(session, booking_id, accept, motif="", at=None):
    """Accept (within capacity: "complet" otherwise) or refuse, with a reason, a pending
    booking."""
    at = at or now()
    motif = _refusal(accept, motif)
    booking, child, prestation, responsable = _booking_or_absence(
        session, Booking, booking_id, "Demande de réservation")
    if accept:
        if not take_place(session, prestation, booking.date):
            raise Conflict(f"Complet : il n'y a plus de place à « {prestation.nom} » "
                           f"le {short_date(booking.date)}.")
        booking.status = "confirmee"
        add_event(session, "children", "booking.confirmed",
                  {**event_data(child, prestation, booking.date, responsable),
                   "booking_id": booking.id})
    else:
        booking.status, booking.motif_refus = "refusee", motif
    booking.decided_at = at
    _request_event(session, "reservation", booking.id, "acceptee" if accept else "refusee",
                   child, prestation, booking.date, responsable, decided=True,
                   motif_refus=motif)
    return {"booking_id": booking.id, "status": booking.status}


def decide_absence(session, absence_id, accept, motif="", at=None):
    at = at or now()
    motif = _refusal(accept, motif)
    absence, child, prestation, responsable = _booking_or_absence(
        session, Absence, absence_id, "Déclaration d'absence")
    if accept:
        booking = _locked_row(session, Booking, child.id, prestation.id, absence.date)
        if booking is not None and booking.status == "confirmee":
            _cancel(session, booking, prestation, child, responsable, at)
        absence.status = "acceptee"
    else:
        absence.status, absence.motif_refus = "refusee", motif
    absence.decided_at = at
    _request_event(session, "absence", absence.id, absence.status, child, prestation,
                   absence.date, responsable, decided=True, motif=absence.motif,
                   motif_refus=motif)
    return {"absence_id": absence.id, "status": absence.status}


def pending_requests(session):
    """Bookings and absences waiting for the back office, oldest first."""
    result = []
    for kind, model in (("reservation", Booking), ("absence", Absence)):
        rows = session.execute(sa.select(model, Child, Prestation)
                               .join(Child, Child.id == model.child_id)
                               .join(Prestation, Prestation.id == model.prestation_id)
                               .where(model.status == "en_traitement")).all()
        for row, child, prestation in rows:
            result.append({"kind": kind, "id": row.id, "child_id": child.id,
                           "family_id": child.family_id,
                           "child_name": f"{child.prenom} {child.nom}",
                           "prestation_id": prestation.id, "prestation": prestation.nom,
                           "date": row.date.isoformat(),
                           "motif": getattr(row, "motif", ""),
                           "requested_at": row.requested_at.isoformat()})
    return sorted(result, key=lambda r: r["requested_at"])


def close_day(session, day, motif="", prestation_id=None, at=None):
    """A "Fermeture": confirmed bookings of that day are cancelled (billing is told, not late),
    pending ones refused."""
    at = at or now()
    closure = catalogue.add_closure(session, day, motif, prestation_id)
    day = dt.date.fromisoformat(closure["date"])
    query = sa.select(Booking).where(Booking.date == day,
                                     Booking.status.in_(ACTIVE_BOOKING)).with_for_update()
    if prestation_id is not None:
        query = query.where(Booking.prestation_id == closure["prestation_id"])
    for booking in session.scalars(query).all():
        child = session.get(Child, booking.child_id)
        prestation = session.get(Prestation, booking.prestation_id)
        enrolment = catalogue.enrolment_on(session, child.id, prestation.id, day)
        responsable = enrolment.responsable if enrolment else ""
        if booking.status == "confirmee":
            booking.status, booking.decided_at = "annulee", at
            release_place(session, prestation.id, day)
            add_event(session, "children", "booking.cancelled",
                      {**event_data(child, prestation, day, responsable),
                       "booking_id": booking.id, "late": False})
        else:  # pending or waiting: refused, and the parent sees why
            booking.status, booking.decided_at = "refusee", at
            booking.motif_refus = f"Fermeture : {closure['motif']}".rstrip(" :")
            _request_event(session, "reservation", booking.id, "refusee", child, prestation,
                           day, responsable, decided=True, motif_refus=booking.motif_refus)
    return closure


def record_attendance(session, child_id, prestation_id, day, status, quantite=None, at=None):
    """The structure records présent, absent excusé, absent facturé or heure hors contrat
    (with its hours); recorded again for the same day, the later one wins."""
    if status not in ATTENDANCE_STATUSES:
        raise ValidationError("Statut de présence inconnu : présent (present), absent excusé "
                              "(absent_excuse), absent facturé (absent_facture) ou heure hors "
                              "contrat (heure_hors_contrat).")
    facts = _context(session, None, child_id, prestation_id, day)
    child, prestation, day, enrolment = facts.child, facts.prestation, facts.day, facts.enrolment
    if status == "heure_hors_contrat":
        try:
            quantite = decimal.Decimal(str(quantite))
        except (decimal.InvalidOperation, ValueError):
            quantite = decimal.Decimal(0)
        if not quantite.is_finite() or quantite <= 0 or quantite > 24:
            raise ValidationError("Indiquez le nombre d'heures hors contrat (par exemple 1.5).")
    else:
        quantite = decimal.Decimal(1)
    quantite = quantite.quantize(decimal.Decimal("0.01"))
    attendance_id = session.execute(
        pg_insert(Attendance)
        .values(child_id=child.id, prestation_id=prestation.id, date=day, status=status,
                quantite=quantite, recorded_at=at or now())
        .on_conflict_do_update(constraint="uq_attendance_child_day",
                               set_={"status": status, "quantite": quantite,
                                     "recorded_at": at or now()})
        .returning(Attendance.id)).scalar_one()
    # A regular contract ("Régulier") books its weekdays: billed at the normal price, as a booking.
    booked = (day.weekday() in enrolment.jours_reguliers
              and closed_reason(session, prestation, day, facts.closure) is None
              ) or facts.booking_status == "confirmee"
    data = {**event_data(child, prestation, day, enrolment.responsable),
            "attendance_id": attendance_id, "status": status, "booked": booked,
            "quantity": str(quantite.normalize() if quantite == 1 else quantite)}
    add_event(session, "children", "attendance.recorded", data)
    return data


def headcount(session, start, end=None, prestation_id=None):
    """Children expected per day and prestation (what the canteen needs each morning):
    confirmed bookings plus regular contracts, less accepted absences."""
    start = parse_date(start, "La date de début")
    end = parse_date(end, "La date de fin") if end else start
    if end < start or (end - start).days > 62:
        raise ValidationError("La période doit aller d'une date à une date postérieure, "
                              "sur 62 jours au plus.")
    query = sa.select(Prestation)
    if prestation_id is not None:
        query = query.where(Prestation.id == catalogue.get_prestation_row(session, prestation_id).id)
    prestations = list(session.scalars(query.order_by(Prestation.position, Prestation.id)))
    closed = calendar.closures(session, start, end)
    zone = collectivity.zone(session)
    booked = dict(((r.prestation_id, r.date), r.n) for r in session.execute(
        sa.select(Booking.prestation_id, Booking.date, sa.func.count().label("n"))
        .where(Booking.date.between(start, end), Booking.status == "confirmee")
        .group_by(Booking.prestation_id, Booking.date)))
    absent = {(r.child_id, r.prestation_id, r.date) for r in session.execute(
        sa.select(Absence.child_id, Absence.prestation_id, Absence.date)
        .where(Absence.date.between(start, end), Absence.status == "acceptee"))}
    regulars = session.scalars(sa.select(Enrolment).where(
        Enrolment.debut <= end, Enrolment.fin >= start,
        sa.func.cardinality(Enrolment.jours_reguliers) > 0)).all()
    rows = []
    day = start
    while day <= end:
        for p in prestations:
            if (not calendar.runs_on(p, day, zone) or calendar.public_holiday(day)
                    or calendar.closure_motif(closed, p.id, day)):
                continue
            regular = sum(1 for e in regulars if e.prestation_id == p.id
                          and e.debut <= day <= e.fin and day.weekday() in e.jours_reguliers
                          and (e.child_id, p.id, day) not in absent)
            reserved = booked.get((p.id, day), 0)
            rows.append({"date": day.isoformat(), "prestation_id": p.id,
                         "structure": p.structure.nom, "prestation": p.nom,
                         "reserves": reserved, "reguliers": regular,
                         "total": reserved + regular, "capacite": p.capacite})
        day += dt.timedelta(days=1)
    return rows


def bookings_of_child(session, child_id, start, end):
    return list(session.scalars(sa.select(Booking).where(
        Booking.child_id == child_id, Booking.date.between(start, end))))

