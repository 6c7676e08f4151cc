"""The child's bookings as an iCalendar feed, for the parents' phone calendars.

Reached with a private token (records.renew_ical_token), without login: the link is the
secret, so it can be revoked or replaced at any time.
"""
import datetime as dt

import sqlalchemy as sa
from icalendar import Calendar, Event

from services.children.models import Booking, Prestation
from services.children.records import child_by_ical_token

PAST_DAYS, FUTURE_DAYS = 62, 366


def feed(session, token, today=None):
    child = child_by_ical_token(session, token)
    today = today or dt.date.today()
    rows = session.execute(
        sa.select(Booking, Prestation).join(Prestation, Prestation.id == Booking.prestation_id)
        .where(Booking.child_id == child.id,
               Booking.date.between(today - dt.timedelta(days=PAST_DAYS),
                                    today + dt.timedelta(days=FUTURE_DAYS)),
               Booking.status.in_(("confirmee", "en_traitement")))
        .order_by(Booking.date, Prestation.position)).all()
    cal = Calendar()
    cal.add("prodid", "-//Portail Famille//Mes enfants//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{child.prenom} {child.nom} — Portail Famille")
    stamp = dt.datetime.now(dt.timezone.utc)
    for booking, prestation in rows:
        event = Event()
        # Stable per booking row, so a calendar app updates the event instead of duplicating it.
        event.add("uid", f"reservation-{booking.id}@portail-famille")
        event.add("dtstamp", stamp)
        event.add("dtstart", booking.date)
        event.add("dtend", booking.date + dt.timedelta(days=1))
        pending = booking.status == "en_traitement"
        event.add("summary", f"{child.prenom} : {prestation.structure.nom} — {prestation.nom}"
                             + (" (en cours de traitement)" if pending else ""))
        event.add("status", "TENTATIVE" if pending else "CONFIRMED")
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical().decode()
