"""The planning grid of the "Mes enfants" tab: one child, one month.

Rows: structure + prestation the child is enrolled in, with the responsable; columns: the
days, headed "Lu 06", "Ma 07"…; each cell a state of the guide's legend (with its label for
screen readers) and the présent / réservé marks.
"""
import calendar as std_calendar
import datetime as dt

import sqlalchemy as sa

from services.children import calendar, catalogue, collectivity
from services.children.bookings import now
from services.children.models import Absence, Attendance, Booking
from services.children.records import get_child_row
from services.common.errors import ValidationError

# The legend, in the guide's order: (state, text shown in the cell, label).
LEGEND = (
    ("reserve", "", "Réservé"),
    ("erreur", "!", "Erreur"),
    ("conge", "", "Congé"),
    ("heure_hors_contrat", "", "Heure hors contrat"),
    ("regulier", "", "Régulier"),
    ("fermeture", "", "Fermeture"),
    ("absent_facture", "", "Absent facturé"),
    ("demande_attente", "", "Demande en attente"),
    ("absent_excuse", "", "Absent excusé"),
    ("reservation_traitement", "", "Réservation en cours de traitement"),
    ("reservation_refusee", "", "Réservation refusée"),
    ("absence_traitement", "", "Absence en cours de traitement"),
    ("petites_vacances", "P", "Petites vacances"),
    ("grandes_vacances", "P", "Grandes vacances"),
    ("ferie", "F", "Jour férié"),
)
# States outside the legend: an open day with nothing booked, a day without this prestation.
OTHER_STATES = (("libre", "", "Aucune réservation"), ("sans_objet", "", "Pas d'accueil"))
STATES = {code: (text, label) for code, text, label in LEGEND + OTHER_STATES}

MARKS = (
    ("reserve", "✓", "Indique que vous avez réservé la journée."),
    ("present", "●", "Indique que votre enfant était présent sur la journée."),
    ("present_reserve", "✓●",
     "Indique que votre enfant était présent sur la journée que vous aviez réservée."),
)
MARK_LABELS = {"reserve": "réservé", "present": "présent", "present_reserve": "présent et réservé"}
MARK_TEXT = {code: text for code, text, _ in MARKS}

BOOKING_STATES = {"confirmee": "reserve", "en_traitement": "reservation_traitement",
                  "liste_attente": "demande_attente", "refusee": "reservation_refusee"}
ATTENDANCE_STATES = {"absent_excuse": "absent_excuse", "absent_facture": "absent_facture",
                     "heure_hors_contrat": "heure_hors_contrat"}
# Cells where the parent may ask something (the server still checks every rule).
ACTIONABLE = {"libre", "reserve", "regulier", "reservation_refusee", "conge"}


def parse_month(year, month):
    try:
        year, month = int(year), int(month)
        if not (1 <= month <= 12 and 2000 <= year <= 2100):
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise ValidationError("Mois invalide : choisissez un mois entre janvier 2000 et "
                              "décembre 2100.") from None
    return year, month


def _month_key(day):
    return f"{day.year:04d}-{day.month:02d}"


def _cell_state(prestation, day, enrolment, booking, absence, attendance, regular_days,
                closed, zone):
    """(state, mark) of one cell. Calendar facts first (F, Fermeture, P), then what the
    structure recorded, then the family's requests, then the contract."""
    activity = attendance is not None or (booking is not None and booking.status == "confirmee")
    if calendar.public_holiday(day):
        return ("erreur" if activity else "ferie"), None
    if calendar.closure_motif(closed, prestation.id, day):
        return ("erreur" if activity else "fermeture"), None
    if not calendar.runs_on(prestation, day, zone):
        if activity:
            return "erreur", None
        school = calendar.school_holiday(day, zone)
        if school and prestation.periode != "vacances":
            return ("grandes_vacances" if school[1] == "grandes" else "petites_vacances"), None
        return "sans_objet", None
    if enrolment is None:
        return "sans_objet", None
    booked = booking is not None and booking.status == "confirmee"
    if attendance is not None:
        if attendance.status == "present":
            return ("reserve" if booked else "libre"), ("present_reserve" if booked else "present")
        mark = "present" if attendance.status == "heure_hors_contrat" else None
        return ATTENDANCE_STATES[attendance.status], mark
    if absence is not None and absence.status == "en_traitement":
        return "absence_traitement", ("reserve" if booked else None)
    if absence is not None and absence.status == "acceptee":
        return "conge", None
    if booking is not None and booking.status in BOOKING_STATES:
        state = BOOKING_STATES[booking.status]
        return state, ("reserve" if state == "reserve" else None)
    if day.weekday() in regular_days:
        return "regulier", None
    return "libre", None


def month_grid(session, family_id, child_id, year, month, today=None):
    year, month = parse_month(year, month)
    child = get_child_row(session, family_id, child_id)
    today = today or now().date()
    first = dt.date(year, month, 1)
    last = dt.date(year, month, std_calendar.monthrange(year, month)[1])
    days = [first + dt.timedelta(days=i) for i in range(last.day)]

    enrolments = catalogue.enrolments_of(session, child.id, first, last)
    by_prestation = {}
    for e in enrolments:
        by_prestation.setdefault(e.prestation_id, []).append(e)

    def rows_of(model):
        return {(r.prestation_id, r.date): r for r in session.scalars(sa.select(model).where(
            model.child_id == child.id, model.date.between(first, last)))}

    bookings, absences, attendances = rows_of(Booking), rows_of(Absence), rows_of(Attendance)
    closed = calendar.closures(session, first, last)
    settings = collectivity.get(session)

    rows = []
    prestations = sorted({e.prestation.id: e.prestation for e in enrolments}.values(),
                         key=lambda p: (p.structure.position, p.structure_id, p.position, p.id))
    for prestation in prestations:
        cells = []
        for day in days:
            enrolment = next((e for e in by_prestation[prestation.id]
                              if e.debut <= day <= e.fin), None)
            key = (prestation.id, day)
            state, mark = _cell_state(prestation, day, enrolment, bookings.get(key),
                                      absences.get(key), attendances.get(key),
                                      enrolment.jours_reguliers if enrolment else (), closed,
                                      settings.school_holiday_zone)
            text, label = STATES[state]
            spoken = f"{calendar.long_date(day)} : {label}"
            if mark:
                spoken += f", {MARK_LABELS[mark]}"
            cells.append({"date": day.isoformat(), "state": state, "text": text,
                          "label": label, "mark": mark, "mark_text": MARK_TEXT.get(mark, ""),
                          "spoken": spoken,
                          "actionable": (settings.planning_requests and state in ACTIONABLE
                                         and day >= today)})
        rows.append({"prestation_id": prestation.id, "structure": prestation.structure.nom,
                     "prestation": prestation.nom,
                     "responsable": by_prestation[prestation.id][0].responsable,
                     "cells": cells})

    previous = first - dt.timedelta(days=1)
    following = last + dt.timedelta(days=1)
    return {
        "child": {"id": child.id, "prenom": child.prenom, "nom": child.nom},
        "year": year, "month": month,
        "title": f"{calendar.MOIS[month - 1].capitalize()} {year}",
        "previous": _month_key(previous), "next": _month_key(following),
        "previous_title": f"{calendar.MOIS[previous.month - 1].capitalize()} {previous.year}",
        "next_title": f"{calendar.MOIS[following.month - 1].capitalize()} {following.year}",
        "days": [{"date": d.isoformat(), "header": f"{calendar.JOURS_COURTS[d.weekday()]} {d.day:02d}",
                  "long": calendar.long_date(d), "weekend": d.weekday() >= 5} for d in days],
        "rows": rows,
        "requests_open": settings.planning_requests,
        "legend": [{"state": code, "text": text, "label": label} for code, text, label in LEGEND],
        "marks": [{"mark": code, "text": text, "label": label} for code, text, label in MARKS],
    }
