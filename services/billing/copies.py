"""billing's copies of other services' state, kept from their events.

accounts' family.created / family.updated give who to invoice (name, address, email, QF);
children's booking.confirmed / booking.cancelled / attendance.recorded give the days to bill.
Each function is what one handler does; the caller commits (the subscribe wrapper, once).
"""
import datetime as dt
from decimal import Decimal

from sqlalchemy.dialects.postgresql import insert

from services.billing.models import Attendance, Booking, Family

STATUSES = ("present", "absent_excuse", "absent_facture", "heure_hors_contrat")


def _quotient(data):
    # The CAF information is not in accounts' family yet: accept it where it will likely be.
    for source in (data, data.get("caf") or {}, data.get("responsable") or {}):
        value = source.get("quotient_familial")
        if value not in (None, ""):
            try:
                return int(Decimal(str(value)))
            except ArithmeticError:
                return None
    return None


def apply_family(session, data):
    """Insert or update the family copy from a family.created / family.updated payload."""
    person = data.get("responsable") or {}
    values = {
        "numero": data["numero"],
        "civilite": person.get("civilite") or "",
        "nom": person.get("nom") or "",
        "prenom": person.get("prenom") or "",
        "adresse": person.get("adresse") or "",
        "code_postal": person.get("code_postal") or "",
        "ville": person.get("ville") or "",
        "email": person.get("email") or "",
        "quotient_familial": _quotient(data),
    }
    session.execute(insert(Family).values(id=data["id"], **values)
                    .on_conflict_do_update(index_elements=[Family.id], set_=values))


def _day(data):
    return dt.date.fromisoformat(data["date"])


# child_name is children's "PRENOM NOM": 100 + 100 characters and a space, cut to 200 here.
def apply_booking_confirmed(session, data):
    values = {"family_id": data["family_id"], "child_id": data["child_id"],
              "child_name": data["child_name"][:200], "prestation_code": data["prestation_code"],
              "prestation": data["prestation"], "day": _day(data)}
    # A cancellation delivered before its confirmation keeps the booking cancelled.
    session.execute(insert(Booking).values(booking_id=data["booking_id"], cancelled=False,
                                           late_cancellation=False, **values)
                    .on_conflict_do_update(index_elements=[Booking.booking_id], set_=values))


def apply_booking_cancelled(session, data):
    values = {"family_id": data["family_id"], "child_id": data["child_id"],
              "child_name": data["child_name"][:200], "prestation_code": data["prestation_code"],
              "prestation": data["prestation"], "day": _day(data), "cancelled": True,
              "late_cancellation": bool(data.get("late"))}
    session.execute(insert(Booking).values(booking_id=data["booking_id"], **values)
                    .on_conflict_do_update(index_elements=[Booking.booking_id], set_=values))


def apply_attendance(session, data, occurred_at):
    """The structure's record for a child, prestation and day; a later record replaces it,
    an older one delivered late does not."""
    status = data["status"]
    if status not in STATUSES:
        raise ValueError(f"unknown attendance status {status!r}")
    values = {"family_id": data["family_id"], "child_name": data["child_name"][:200],
              "prestation": data["prestation"], "status": status,
              "booked": bool(data.get("booked")), "quantity": Decimal(str(data.get("quantity") or "1")),
              "occurred_at": occurred_at}
    statement = insert(Attendance).values(child_id=data["child_id"],
                                          prestation_code=data["prestation_code"],
                                          day=_day(data), **values)
    session.execute(statement.on_conflict_do_update(
        index_elements=[Attendance.child_id, Attendance.prestation_code, Attendance.day],
        set_=values, where=Attendance.occurred_at <= statement.excluded.occurred_at))
