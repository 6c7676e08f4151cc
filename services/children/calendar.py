"""The calendar: public holidays, school holidays of the zone, closures, and when a
prestation runs on a given day.

Public holidays come from the `holidays` library (maintained, Easter-based dates included);
school holidays from the official calendars shipped in data/vacances_zone_<a|b|c>.json (the
collectivity's zone is a setting: collectivity.zone(session); C, Toulouse, by default).
Closures ("Fermeture") are rows the back office sets.
"""
import datetime as dt
import functools
import json
from pathlib import Path

import holidays
import sqlalchemy as sa

from services.children.models import Closure

DATA = Path(__file__).parent / "data"
ZONE = "C"

JOURS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
JOURS_COURTS = ("Lu", "Ma", "Me", "Je", "Ve", "Sa", "Di")
MOIS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
        "octobre", "novembre", "décembre")


@functools.lru_cache(maxsize=64)
def public_holidays(year):
    return holidays.France(years=year, language="fr")


def public_holiday(day):
    """The name of the public holiday on `day`, or None."""
    return public_holidays(day.year).get(day)


@functools.lru_cache(maxsize=4)
def school_holiday_periods(zone=ZONE):
    with open(DATA / f"vacances_zone_{zone.lower()}.json", encoding="utf-8") as f:
        doc = json.load(f)
    return tuple((dt.date.fromisoformat(p["debut"]), dt.date.fromisoformat(p["fin"]),
                  p["nom"], p["type"]) for p in doc["periodes"])


@functools.lru_cache(maxsize=8192)  # asked for every cell of every planning grid
def school_holiday(day, zone=ZONE):
    """(name, "petites"|"grandes") when `day` is in the zone's school holidays, else None."""
    for start, end, name, kind in school_holiday_periods(zone):
        if start <= day <= end:
            return name, kind
    return None


def closures(session, start, end):
    """{(prestation_id or None, date): motif} between start and end inclusive."""
    rows = session.execute(sa.select(Closure.prestation_id, Closure.date, Closure.motif)
                           .where(Closure.date.between(start, end))).all()
    return {(r.prestation_id, r.date): r.motif for r in rows}


def closure_motif(closed, prestation_id, day):
    """The closure of this prestation (or of all) on `day`, from closures(); None if open."""
    for key in ((prestation_id, day), (None, day)):
        if key in closed:
            return closed[key] or "Fermeture"
    return None


def runs_on(prestation, day, zone=ZONE):
    """Does the prestation run on this day of the week and period (closures and public
    holidays aside)? Mercredi prestations run on Wednesdays of school weeks only."""
    if day.weekday() not in prestation.jours_semaine:
        return False
    in_holidays = school_holiday(day, zone) is not None
    return in_holidays if prestation.periode == "vacances" else not in_holidays


def is_working_day(day):
    return day.weekday() < 5 and public_holiday(day) is None


def days_before(day, count, working_days):
    """The day `count` days (working days if asked) before `day`."""
    if not working_days:
        return day - dt.timedelta(days=count)
    while count > 0:
        day -= dt.timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def short_date(day):
    return day.strftime("%d/%m/%Y")


def long_date(day):
    return f"{JOURS[day.weekday()]} {day.day} {MOIS[day.month - 1]} {day.year}"


def parse_date(value, label="La date"):
    """A date from "YYYY-MM-DD"; anything else is refused in French."""
    from services.common.errors import ValidationError

    try:
        return dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise ValidationError(f"{label} « {str(value)[:20]} » n'est pas une date valide "
                              "(format attendu : AAAA-MM-JJ).") from None
