"""Demo data of the guide (idempotent): the structures and prestations of "Mes enfants", the
DUPONT children, LUCAS's planning of April 2015 as the guide shows it, and EMMA's enrolments
in the current school year so that booking works today.

The guide's April 2015 table lost its empty cells when it was turned into text, so its ✓ are
not all under their day (a "Mercredi" prestation ticked on a Tuesday). The demo keeps what the
guide says and puts each mark on a day the prestation runs: Easter Monday 6 April is F on
every row; the spring holidays of zone C (18 April - 3 May 2015) are P on the rows that do not
run in the holidays; the holiday centre is booked and attended the first week of the holidays;
and the three marks of the legend (réservé, présent, présent et réservé) all appear.
"""
import datetime as dt

import sqlalchemy as sa

from services.children import bookings, catalogue, records
from services.children.models import Attendance, Booking, Child, Enrolment, Prestation, Structure
from services.common.db import make_engine, make_sessionmaker

SCHOOL_WEEK = [0, 1, 3, 4]  # lundi, mardi, jeudi, vendredi
WEEKDAYS = [0, 1, 2, 3, 4]

STRUCTURES = (("Accueil de Loisirs", 1), ("Garderie périscolaire", 2))

# (structure, code, nom, periode, jours, capacité, unité, options): the guide's seven rows.
PRESTATIONS = (
    ("Accueil de Loisirs", "ALSH_MER_PM", "ALSH Mercredi après-midi", "mercredi", [2], 40,
     "demi-journee", {}),
    ("Accueil de Loisirs", "ALSH_MER_J", "ALSH Mercredi journée", "mercredi", [2], 40, "jour", {}),
    ("Accueil de Loisirs", "ALSH_VAC_PM", "ALSH Vacances après-midi", "vacances", WEEKDAYS, 30,
     "demi-journee", {"liste_attente": True}),
    ("Accueil de Loisirs", "ALSH_VAC_J", "ALSH Vacances journée", "vacances", WEEKDAYS, 60, "jour",
     # holiday places are booked a week ahead, calendar days
     {"liste_attente": True, "reservation_jours": 7, "reservation_jours_ouvres": False}),
    ("Accueil de Loisirs", "ALSH_VAC_AM", "ALSH Vacances matin", "vacances", WEEKDAYS, 30,
     "demi-journee", {"liste_attente": True}),
    # the morning daycare's requests are checked by the structure
    ("Garderie périscolaire", "GARDERIE_MATIN", "Garderie matin", "scolaire", SCHOOL_WEEK, 50,
     "heure", {"confirmation_auto": False}),
    ("Garderie périscolaire", "RESTAURATION", "Restauration scolaire", "scolaire", SCHOOL_WEEK, 120,
     "repas", {"reservation_jours": 1, "reservation_heure": 10, "annulation_jours": 1,
               "annulation_heure": 10}),
)

RESPONSABLE = "DUPONT JEAN"

LUCAS = {
    "nom": "DUPONT", "prenom": "LUCAS", "date_naissance": "2008-05-14", "sexe": "M",
    "ecole": "École élémentaire Jules Ferry", "classe": "CE1", "lunettes": True,
    "sante": {"allergies": "Arachide", "regime_alimentaire": "Sans porc", "pai": "Oui (allergie)",
              "medecin_traitant": "Dr MARTIN, 05.61.00.00.00", "vaccinations": "À jour (DTP 2014)"},
    "autorisations": {"photos": True, "sorties": True, "transport": True, "rentrer_seul": False},
    "personnes_autorisees": [{"nom": "DUPONT JEANNE", "lien": "Mère", "telephone": "06.11.22.33.44"},
                             {"nom": "DURAND MARIE", "lien": "Grand-mère",
                              "telephone": "05.61.22.33.44"}],
}
EMMA = {
    "nom": "DUPONT", "prenom": "EMMA", "date_naissance": "2017-09-03", "sexe": "F",
    "ecole": "École élémentaire Jules Ferry", "classe": "CM2", "lunettes": False,
    "sante": {"allergies": "", "regime_alimentaire": "", "pai": "Non",
              "medecin_traitant": "Dr MARTIN, 05.61.00.00.00", "vaccinations": "À jour"},
    "autorisations": {"photos": True, "sorties": True, "transport": True, "rentrer_seul": False},
    "personnes_autorisees": [{"nom": "DUPONT JEANNE", "lien": "Mère",
                              "telephone": "06.11.22.33.44"}],
}

# LUCAS, April 2015: {prestation code: {day: mark}}; "present_reserve" = booked and attended,
# "reserve" = booked, "present" = attended without a booking.
APRIL_2015 = {
    "ALSH_MER_PM": {8: "present_reserve", 15: "present_reserve"},
    "ALSH_MER_J": {1: "present_reserve"},
    "ALSH_VAC_J": {d: "present_reserve" for d in (20, 21, 22, 23, 24)},
    "RESTAURATION": {7: "present_reserve", 9: "present_reserve", 14: "present",
                     16: "reserve"},
}
SCHOOL_YEAR_2014 = ("2014-09-02", "2015-07-03")
HOLIDAYS_2015 = ("2014-10-18", "2015-08-31")  # the holiday centre: Toussaint to summer


def current_school_year(today):
    """(first day, last day) of the school year containing `today` (September to August)."""
    start_year = today.year if today.month >= 9 else today.year - 1
    return dt.date(start_year, 9, 1), dt.date(start_year + 1, 8, 31)


def seed_catalogue(session):
    """The guide's structures and prestations; returns {code: prestation row}."""
    for nom, position in STRUCTURES:
        if not session.scalar(sa.select(Structure.id).where(Structure.nom == nom)):
            catalogue.create_structure(session, nom, position)
    structures = {s.nom: s.id for s in session.scalars(sa.select(Structure))}
    for position, (structure, code, nom, periode, jours, capacite, unite, options) in \
            enumerate(PRESTATIONS, start=1):
        if not session.scalar(sa.select(Prestation.id).where(Prestation.code == code)):
            catalogue.create_prestation(session, structures[structure], code=code, nom=nom,
                                        position=position, periode=periode, jours_semaine=jours,
                                        capacite=capacite, unite=unite, **options)
    # Only the guide's own prestations: the back office may have created others.
    codes = [entry[1] for entry in PRESTATIONS]
    return {p.code: p for p in session.scalars(sa.select(Prestation)
                                                .where(Prestation.code.in_(codes)))}


def _child(session, family_id, data):
    child = session.scalar(sa.select(Child).where(Child.family_id == family_id,
                                                  Child.prenom == data["prenom"]))
    if child is None:
        child = session.get(Child, records.create_child(session, family_id, data)["id"])
    return child


def _enrol(session, child, prestation, start, end, regular=()):
    exists = session.scalar(sa.select(Enrolment.id).where(
        Enrolment.child_id == child.id, Enrolment.prestation_id == prestation.id,
        Enrolment.debut <= end, Enrolment.fin >= start))
    if not exists:
        catalogue.enrol(session, child.id, prestation.id, start.isoformat(), end.isoformat(),
                        RESPONSABLE, regular)


def _past_day(session, child, prestation, day, mark):
    """A booking and/or attendance in the past, as the structure would have recorded them
    (past days are beyond every deadline, so the parents' rules don't apply)."""
    if session.scalar(sa.select(Booking.id).where(Booking.child_id == child.id,
                                                  Booking.prestation_id == prestation.id,
                                                  Booking.date == day)):
        return
    if mark in ("reserve", "present_reserve"):
        assert bookings.take_place(session, prestation, day)
        booking = Booking(child_id=child.id, prestation_id=prestation.id, date=day,
                          status="confirmee", requested_at=dt.datetime.combine(
                              day - dt.timedelta(days=10), dt.time(9), bookings.PARIS),
                          decided_at=dt.datetime.combine(day - dt.timedelta(days=10),
                                                         dt.time(9), bookings.PARIS))
        session.add(booking)
        session.flush()
        bookings.add_event(session, "children", "booking.confirmed",
                           {**bookings.event_data(child, prestation, day, RESPONSABLE),
                            "booking_id": booking.id})
    if mark in ("present", "present_reserve"):
        bookings.record_attendance(session, child.id, prestation.id, day.isoformat(), "present",
                                   at=dt.datetime.combine(day, dt.time(18), bookings.PARIS))


def seed_session(session, family, today=None):
    today = today or dt.date.today()
    prestations = seed_catalogue(session)
    family_id = family["id"]
    lucas, emma = _child(session, family_id, LUCAS), _child(session, family_id, EMMA)

    start, end = (dt.date.fromisoformat(d) for d in SCHOOL_YEAR_2014)
    hol_start, hol_end = (dt.date.fromisoformat(d) for d in HOLIDAYS_2015)
    for code, prestation in prestations.items():
        if code.startswith("ALSH_VAC"):
            _enrol(session, lucas, prestation, hol_start, hol_end)
        else:
            _enrol(session, lucas, prestation, start, end)
    for code, days in APRIL_2015.items():
        for day, mark in days.items():
            _past_day(session, lucas, prestations[code], dt.date(2015, 4, day), mark)

    # EMMA: this school year; the canteen as a regular contract, the rest day by day.
    year_start, year_end = current_school_year(today)
    for code, prestation in prestations.items():
        _enrol(session, emma, prestation, year_start, year_end,
               SCHOOL_WEEK if code == "RESTAURATION" else ())
    _emma_past_days(session, emma, prestations, year_start, today)
    return {"lucas": lucas.id, "emma": emma.id, "prestations": {c: p.id for c, p in prestations.items()}}


def _emma_past_days(session, emma, prestations, year_start, today):
    """What the structures recorded for EMMA from the start of the school year to yesterday,
    so that billing has this year's months to invoice: the canteen of her regular contract
    (present, an excused absence every third week), the Wednesday afternoon centre every
    other week (booked and attended), the morning daycare on Mondays (attended, no booking)."""
    day = year_start
    while day < today:
        week = day.isocalendar().week
        for code, mark in (("RESTAURATION", "absent_excuse" if week % 3 == 0 and day.weekday() == 0
                            else "present"),
                           ("ALSH_MER_PM", "present_reserve" if week % 2 == 0 else None),
                           ("GARDERIE_MATIN", "present" if day.weekday() == 0 else None)):
            prestation = prestations[code]
            if (mark is None or bookings.closed_reason(session, prestation, day) is not None
                    or _attendance_recorded(session, emma, prestation, day)):  # a re-run adds nothing
                continue
            if mark == "absent_excuse":
                bookings.record_attendance(session, emma.id, prestation.id, day.isoformat(), mark,
                                           at=dt.datetime.combine(day, dt.time(18), bookings.PARIS))
            else:
                _past_day(session, emma, prestation, day, mark)
        day += dt.timedelta(days=1)


def _attendance_recorded(session, child, prestation, day):
    return session.scalar(sa.select(Attendance.id).where(
        Attendance.child_id == child.id, Attendance.prestation_id == prestation.id,
        Attendance.date == day)) is not None


def seed(settings, family, today=None):
    """`family`: the DUPONT family as services.accounts.demo.seed returns it. Idempotent."""
    engine = make_engine(settings.service_database_url("children"), pool_size=1)
    session = make_sessionmaker(engine)()
    try:
        result = seed_session(session, family, today)
        session.commit()
        return result
    finally:
        session.close()
        engine.dispose()
