"""Bookings, absences, closures, capacity, back-office decisions and attendance, through the
real children service (RPC), as the gateway and the back office use it."""
import datetime as dt
import threading

import pytest
import sqlalchemy as sa
from nameko.standalone.rpc import ClusterRpcProxy

from services.children import bookings, calendar
from services.children.models import Booking, Child, Session
from services.common.errors import Conflict, NotFound, ValidationError
from services.common.events import outbox_events
from tests.children.conftest import make_child, make_prestation, next_day, open_school_day


def fr(day):
    return day.strftime("%d/%m/%Y")


def cell(backoffice, family_id, child_id, prestation_id, day):
    grid = backoffice.call("children", "planning", family_id, child_id, day.year, day.month)
    row = next(r for r in grid["rows"] if r["prestation_id"] == prestation_id)
    return next(c for c in row["cells"] if c["date"] == day.isoformat())


def events(db, event_type, **match):
    """Outbox rows of this type whose data has these values."""
    db.rollback()  # see what the service committed since
    rows = db.execute(sa.select(outbox_events.c.payload)
                      .where(outbox_events.c.event_type == event_type)).scalars()
    return [r["data"] for r in rows if all(r["data"].get(k) == v for k, v in match.items())]


@pytest.fixture
def setup(backoffice, structure, family):
    """A family's child enrolled in a school-day prestation of 10 places."""
    prestation = make_prestation(backoffice, structure)
    child = make_child(backoffice, family["family_id"], [prestation])
    return family["family_id"], child, prestation


def test_booking_within_the_deadline_is_confirmed_and_published(backoffice, setup, db):
    family_id, child, prestation = setup
    day = next_day(open_school_day)
    result = backoffice.call("children", "book", family_id, child["id"], prestation["id"],
                             day.isoformat())
    assert result["status"] == "confirmee"
    assert result["message"] == f"Réservation confirmée pour ZOÉ à « Atelier » le {fr(day)}."
    shown = cell(backoffice, family_id, child["id"], prestation["id"], day)
    assert shown["state"] == "reserve" and shown["mark"] == "reserve"
    [event] = events(db, "booking.confirmed", booking_id=result["booking_id"])
    assert event == {"family_id": family_id, "child_id": child["id"], "child_name": "ZOÉ BERNARD",
                     "structure": prestation["structure"], "prestation_code": prestation["code"],
                     "prestation": "Atelier", "unit": "jour", "date": day.isoformat(),
                     "responsable": "BERNARD LUC", "booking_id": result["booking_id"]}
    assert events(db, "planning_request.submitted", request_id=result["booking_id"],
                  kind="reservation", status="acceptee")
    # The same day again: refused, never a second booking.
    with pytest.raises(Conflict) as twice:
        backoffice.call("children", "book", family_id, child["id"], prestation["id"],
                        day.isoformat())
    assert "Une réservation existe déjà" in str(twice.value)


def test_booking_past_the_deadline_is_refused_with_the_deadline(backoffice, structure, family):
    prestation = make_prestation(backoffice, structure, reservation_jours=30,
                                 reservation_jours_ouvres=False, reservation_heure=9)
    child = make_child(backoffice, family["family_id"], [prestation])
    day = next_day(open_school_day)
    with pytest.raises(ValidationError) as late:
        backoffice.call("children", "book", family["family_id"], child["id"], prestation["id"],
                        day.isoformat())
    assert str(late.value) == (
        f"Le délai de réservation est dépassé : pour le {fr(day)}, la réservation devait être "
        f"faite avant le {fr(day - dt.timedelta(days=30))} à 09h00.")
    assert cell(backoffice, family["family_id"], child["id"], prestation["id"], day)["state"] == "libre"


def test_cancelling_within_the_deadline_frees_the_place_and_tells_billing(backoffice, setup, db):
    family_id, child, prestation = setup
    day = next_day(open_school_day)
    booking = backoffice.call("children", "book", family_id, child["id"], prestation["id"],
                              day.isoformat())
    result = backoffice.call("children", "declare_absence", family_id, child["id"],
                             prestation["id"], day.isoformat(), "Rendez-vous médical", True)
    assert result["status"] == "acceptee"
    assert cell(backoffice, family_id, child["id"], prestation["id"], day)["state"] == "conge"
    [cancelled] = events(db, "booking.cancelled", booking_id=booking["booking_id"])
    assert cancelled["late"] is False and cancelled["date"] == day.isoformat()
    assert events(db, "planning_request.submitted", kind="absence", request_id=result["absence_id"],
                  motif="Rendez-vous médical")
    [count] = backoffice.call("children", "headcount", day.isoformat(), None, prestation["id"])
    assert count["reserves"] == 0
    # Booked again, the child comes after all.
    again = backoffice.call("children", "book", family_id, child["id"], prestation["id"],
                            day.isoformat())
    assert again["status"] == "confirmee" and again["booking_id"] == booking["booking_id"]
    assert cell(backoffice, family_id, child["id"], prestation["id"], day)["state"] == "reserve"


def test_cancelling_past_the_deadline_is_refused_and_changes_nothing(backoffice, structure, family):
    prestation = make_prestation(backoffice, structure, annulation_jours=30,
                                 annulation_jours_ouvres=False)
    child = make_child(backoffice, family["family_id"], [prestation])
    day = next_day(open_school_day)
    backoffice.call("children", "book", family["family_id"], child["id"], prestation["id"],
                    day.isoformat())
    with pytest.raises(ValidationError) as late:
        backoffice.call("children", "declare_absence", family["family_id"], child["id"],
                        prestation["id"], day.isoformat(), "Vacances en famille", True)
    assert str(late.value) == (
        f"Le délai de prévenance est dépassé : l'absence du {fr(day)} devait être déclarée "
        f"avant le {fr(day - dt.timedelta(days=30))} à 12h00. Veuillez contacter la structure.")
    assert cell(backoffice, family["family_id"], child["id"], prestation["id"], day)["state"] == "reserve"


def test_an_absence_needs_a_reason_and_a_confirmation(backoffice, setup):
    family_id, child, prestation = setup
    day = next_day(open_school_day)
    backoffice.call("children", "book", family_id, child["id"], prestation["id"], day.isoformat())
    with pytest.raises(ValidationError) as refused:
        backoffice.call("children", "declare_absence", family_id, child["id"], prestation["id"],
                        day.isoformat(), "  ", False)
    assert refused.value.messages == ["Veuillez indiquer la raison de l'absence.",
                                      "Veuillez confirmer la déclaration d'absence."]
    assert cell(backoffice, family_id, child["id"], prestation["id"], day)["state"] == "reserve"
    # No booking that day: nothing to declare.
    other = next_day(open_school_day, day + dt.timedelta(days=1))
    with pytest.raises(ValidationError) as nothing:
        backoffice.call("children", "declare_absence", family_id, child["id"], prestation["id"],
                        other.isoformat(), "Malade", True)
    assert "Aucune réservation confirmée" in str(nothing.value)


def test_public_holidays_school_holidays_week_ends_and_closures_are_refused(
        backoffice, structure, family, db):
    prestation = make_prestation(backoffice, structure)
    holiday_centre = make_prestation(backoffice, structure, nom="Centre", periode="vacances")
    child = make_child(backoffice, family["family_id"], [prestation, holiday_centre])
    other = make_child(backoffice, family["family_id"], [prestation], prenom="TOM")

    def refused(day, prestation_id=prestation["id"]):
        with pytest.raises(ValidationError) as exc:
            backoffice.call("children", "book", family["family_id"], child["id"], prestation_id,
                            day.isoformat())
        return str(exc.value)

    ferie = next_day(lambda d: d.weekday() < 5 and calendar.public_holiday(d)
                     and not calendar.school_holiday(d))
    assert refused(ferie) == (f"Le {fr(ferie)} est un jour férié ({calendar.public_holiday(ferie)}) : "
                              "la prestation « Atelier » n'a pas lieu.")
    vacances = next_day(lambda d: d.weekday() < 5 and calendar.school_holiday(d)
                        and not calendar.public_holiday(d))
    assert refused(vacances).startswith(f"Le {fr(vacances)} est pendant les vacances")
    saturday = next_day(lambda d: d.weekday() == 5 and not calendar.school_holiday(d))
    assert refused(saturday) == (f"La prestation « Atelier » n'a pas lieu le "
                                 f"{calendar.long_date(saturday)}.")
    school_day = next_day(open_school_day)
    assert "n'a pas lieu" in refused(school_day, holiday_centre["id"])

    # A closure refuses new bookings and cancels those of the day (billing is told).
    closed = next_day(open_school_day, school_day + dt.timedelta(days=1))
    booked = backoffice.call("children", "book", family["family_id"], other["id"],
                             prestation["id"], closed.isoformat())
    backoffice.call("children", "add_closure", closed.isoformat(), "Journée pédagogique",
                    prestation["id"])
    assert refused(closed) == (f"La prestation « Atelier » est fermée le {fr(closed)} "
                               "(Journée pédagogique).")
    assert cell(backoffice, family["family_id"], other["id"], prestation["id"],
                closed)["state"] == "fermeture"
    assert events(db, "booking.cancelled", booking_id=booked["booking_id"])
    for day, label in ((ferie, "ferie"), (vacances, "petites_vacances")):
        state = cell(backoffice, family["family_id"], child["id"], prestation["id"], day)["state"]
        assert state in (label, "grandes_vacances")


def test_capacity_race_confirms_exactly_the_capacity(settings, backoffice, structure, family, db):
    """40 concurrent attempts (30 children, 10 of them twice) on a 10-place day."""
    prestation = make_prestation(backoffice, structure, capacite=10, nom="Sortie")
    children = [make_child(backoffice, family["family_id"], [prestation], prenom=f"ENFANT{i}")
                for i in range(30)]
    day = next_day(open_school_day)
    attempts = [c["id"] for c in children] + [c["id"] for c in children[:10]]
    barrier = threading.Barrier(len(attempts))
    outcomes = []

    def attempt(child_id):
        cluster = ClusterRpcProxy(settings.nameko_config, timeout=30)
        proxy = cluster.start()
        try:
            barrier.wait()  # all connected: now every request leaves at once
            try:
                result = proxy.children.book(family["family_id"], child_id, prestation["id"],
                                             day.isoformat())
                outcomes.append(("ok", child_id, result["status"]))
            except Conflict as exc:
                outcomes.append(("refused", child_id, str(exc)))
        finally:
            cluster.stop()

    threads = [threading.Thread(target=attempt, args=(child_id,)) for child_id in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(outcomes) == 40
    confirmed = [o for o in outcomes if o[0] == "ok"]
    assert len(confirmed) == 10 and all(o[2] == "confirmee" for o in confirmed)
    assert len({o[1] for o in confirmed}) == 10  # no child twice
    for _, _, message in (o for o in outcomes if o[0] == "refused"):
        assert message.startswith("Complet") or message.startswith("Une réservation existe déjà")
    assert any(o[2].startswith("Complet") for o in outcomes if o[0] == "refused")
    db.rollback()
    assert db.scalar(sa.select(Session.reserves).where(Session.prestation_id == prestation["id"],
                                                       Session.date == day)) == 10
    assert db.scalar(sa.select(sa.func.count()).select_from(Booking).where(
        Booking.prestation_id == prestation["id"], Booking.status == "confirmee")) == 10


def test_the_last_place_lost_after_the_day_was_read_is_complet_and_writes_nothing(
        backoffice, structure, family, db, monkeypatch):
    """Two parents read the day as open; the other one's booking takes the last place first:
    this one's place is refused, what it wrote is rolled back, and it is "Complet"."""
    prestation = make_prestation(backoffice, structure, capacite=1, nom="Dernière place")
    first, second = (make_child(backoffice, family["family_id"], [prestation], prenom=name)
                     for name in ("PREMIER", "SECOND"))
    day = next_day(open_school_day)
    backoffice.call("children", "book", family["family_id"], first["id"], prestation["id"],
                    day.isoformat())
    read = bookings._context  # the day read before that booking took its place
    monkeypatch.setattr(bookings, "_context", lambda *args: read(*args)._replace(day_full=False))
    with pytest.raises(Conflict, match="^Complet : il n'y a plus de place"):
        bookings.book(db, family["family_id"], second["id"], prestation["id"], day.isoformat())
    db.rollback()
    assert db.scalar(sa.select(Session.reserves).where(
        Session.prestation_id == prestation["id"], Session.date == day)) == 1
    assert db.scalar(sa.select(sa.func.count()).select_from(Booking).where(
        Booking.child_id == second["id"])) == 0
    assert db.scalar(sa.select(sa.func.count()).select_from(outbox_events).where(
        outbox_events.c.payload["data"]["child_id"].as_integer() == second["id"])) == 0


def test_a_full_day_with_a_waiting_list_gives_the_rank_then_the_freed_place(backoffice,
                                                                              structure, family):
    prestation = make_prestation(backoffice, structure, capacite=1, liste_attente=True)
    first, second = (make_child(backoffice, family["family_id"], [prestation], prenom=p)
                     for p in ("PREMIER", "SECOND"))
    day = next_day(open_school_day)
    backoffice.call("children", "book", family["family_id"], first["id"], prestation["id"],
                    day.isoformat())
    waiting = backoffice.call("children", "book", family["family_id"], second["id"],
                              prestation["id"], day.isoformat())
    assert waiting["status"] == "liste_attente" and waiting["rang"] == 1
    assert "Complet" in waiting["message"] and "rang 1" in waiting["message"]
    assert cell(backoffice, family["family_id"], second["id"], prestation["id"],
                day)["state"] == "demande_attente"
    backoffice.call("children", "declare_absence", family["family_id"], first["id"],
                    prestation["id"], day.isoformat(), "Malade", True)
    assert cell(backoffice, family["family_id"], second["id"], prestation["id"],
                day)["state"] == "reserve"


def test_back_office_decisions_show_in_the_grid(backoffice, structure, family, db):
    prestation = make_prestation(backoffice, structure, confirmation_auto=False)
    child = make_child(backoffice, family["family_id"], [prestation])
    fid, cid, pid = family["family_id"], child["id"], prestation["id"]
    day1 = next_day(open_school_day)
    day2 = next_day(open_school_day, day1 + dt.timedelta(days=1))
    b1 = backoffice.call("children", "book", fid, cid, pid, day1.isoformat())
    b2 = backoffice.call("children", "book", fid, cid, pid, day2.isoformat())
    assert b1["status"] == "en_traitement" and "en cours de traitement" in b1["message"]
    assert cell(backoffice, fid, cid, pid, day1)["state"] == "reservation_traitement"
    pending = backoffice.call("children", "pending_requests")
    assert {(p["kind"], p["id"]) for p in pending} >= {("reservation", b1["booking_id"]),
                                                       ("reservation", b2["booking_id"])}
    backoffice.call("children", "decide_booking", b1["booking_id"], True)
    with pytest.raises(ValidationError) as no_reason:
        backoffice.call("children", "decide_booking", b2["booking_id"], False, "")
    assert str(no_reason.value) == "Veuillez indiquer le motif du refus."
    backoffice.call("children", "decide_booking", b2["booking_id"], False, "Groupe complet")
    assert cell(backoffice, fid, cid, pid, day1)["state"] == "reserve"
    assert cell(backoffice, fid, cid, pid, day2)["state"] == "reservation_refusee"
    assert events(db, "booking.confirmed", booking_id=b1["booking_id"])
    assert events(db, "planning_request.decided", request_id=b2["booking_id"], status="refusee",
                  motif_refus="Groupe complet")
    with pytest.raises(Conflict):
        backoffice.call("children", "decide_booking", b1["booking_id"], False, "Trop tard")

    absence = backoffice.call("children", "declare_absence", fid, cid, pid, day1.isoformat(),
                              "Sortie scolaire", True)
    assert absence["status"] == "en_traitement"
    assert cell(backoffice, fid, cid, pid, day1)["state"] == "absence_traitement"
    backoffice.call("children", "decide_absence", absence["absence_id"], True)
    assert cell(backoffice, fid, cid, pid, day1)["state"] == "conge"
    assert events(db, "booking.cancelled", booking_id=b1["booking_id"])


def test_attendance_is_recorded_shown_and_published(backoffice, setup, db):
    family_id, child, prestation = setup
    day = next_day(open_school_day)
    backoffice.call("children", "book", family_id, child["id"], prestation["id"], day.isoformat())
    present = backoffice.call("children", "record_attendance", child["id"], prestation["id"],
                              day.isoformat(), "present")
    assert present["booked"] is True and present["quantity"] == "1"
    shown = cell(backoffice, family_id, child["id"], prestation["id"], day)
    assert shown["mark"] == "present_reserve" and shown["spoken"].endswith("présent et réservé")
    billed = backoffice.call("children", "record_attendance", child["id"], prestation["id"],
                             day.isoformat(), "absent_facture")
    assert billed["attendance_id"] == present["attendance_id"]  # recorded again: replaced
    assert cell(backoffice, family_id, child["id"], prestation["id"], day)["state"] == "absent_facture"
    [event] = events(db, "attendance.recorded", attendance_id=present["attendance_id"],
                     status="absent_facture")
    assert event["booked"] is True and event["child_name"] == "ZOÉ BERNARD"
    other = next_day(open_school_day, day + dt.timedelta(days=1))
    extra = backoffice.call("children", "record_attendance", child["id"], prestation["id"],
                            other.isoformat(), "heure_hors_contrat", "1.5")
    assert extra["quantity"] == "1.50" and extra["booked"] is False
    assert cell(backoffice, family_id, child["id"], prestation["id"],
                other)["state"] == "heure_hors_contrat"
    excused = next_day(open_school_day, other + dt.timedelta(days=1))
    backoffice.call("children", "record_attendance", child["id"], prestation["id"],
                    excused.isoformat(), "absent_excuse")
    assert cell(backoffice, family_id, child["id"], prestation["id"],
                excused)["state"] == "absent_excuse"
    with pytest.raises(ValidationError) as unknown:
        backoffice.call("children", "record_attendance", child["id"], prestation["id"],
                        day.isoformat(), "malade")
    assert "Statut de présence inconnu" in str(unknown.value)
    with pytest.raises(ValidationError) as hours:
        backoffice.call("children", "record_attendance", child["id"], prestation["id"],
                        day.isoformat(), "heure_hors_contrat", "beaucoup")
    assert "nombre d'heures" in str(hours.value)


def test_another_family_s_child_is_refused_by_every_method(backoffice, setup, other_family):
    family_id, child, prestation = setup
    day = next_day(open_school_day).isoformat()
    intruder = other_family["family_id"]
    calls = [("get_child", ()), ("planning", (2026, 12)), ("current_enrolments", ()),
             ("book", (prestation["id"], day)),
             ("declare_absence", (prestation["id"], day, "Malade", True)),
             ("renew_ical_token", ()), ("revoke_ical_token", ())]
    for method, args in calls:
        with pytest.raises(NotFound) as refused:
            backoffice.call("children", method, intruder, child["id"], *args)
        assert str(refused.value) == "Enfant introuvable.", method
    assert child["id"] not in [c["id"] for c in backoffice.call("children", "list_children", intruder)]
    assert cell(backoffice, family_id, child["id"], prestation["id"],
                dt.date.fromisoformat(day))["state"] == "libre"


def test_bad_dates_and_ids_give_french_messages_and_change_nothing(backoffice, setup, db):
    family_id, child, prestation = setup
    db.rollback()
    before = (db.scalar(sa.select(sa.func.count()).select_from(outbox_events)),
              db.scalar(sa.select(sa.func.count()).select_from(Booking)))
    bad = [
        ((child["id"], prestation["id"], "2026-02-30"), ValidationError,
         "La date « 2026-02-30 » n'est pas une date valide (format attendu : AAAA-MM-JJ)."),
        ((child["id"], prestation["id"], "demain"), ValidationError,
         "La date « demain » n'est pas une date valide (format attendu : AAAA-MM-JJ)."),
        ((child["id"], "abc", "2026-12-14"), NotFound, "Prestation introuvable."),
        ((child["id"], 99999999, "2026-12-14"), NotFound, "Prestation introuvable."),
        ((99999999, prestation["id"], "2026-12-14"), NotFound, "Enfant introuvable."),
        (("x", prestation["id"], "2026-12-14"), NotFound, "Enfant introuvable."),
    ]
    for args, error, message in bad:
        with pytest.raises(error) as refused:
            backoffice.call("children", "book", family_id, *args)
        assert str(refused.value) == message
    with pytest.raises(ValidationError):
        backoffice.call("children", "declare_absence", family_id, child["id"], prestation["id"],
                        "2026-13-01", "Malade", True)
    with pytest.raises(ValidationError):
        backoffice.call("children", "enrol", child["id"], prestation["id"], "2026-09-01",
                        "2026-08-01", "BERNARD LUC")
    db.rollback()
    after = (db.scalar(sa.select(sa.func.count()).select_from(outbox_events)),
             db.scalar(sa.select(sa.func.count()).select_from(Booking)))
    assert after == before


def test_health_data_is_encrypted_at_rest(backoffice, setup, db):
    family_id, child, _ = setup
    db.rollback()
    stored = db.scalar(sa.select(Child.sante_chiffree).where(Child.id == child["id"]))
    assert "Pollen" not in stored and "Végétarien" not in stored
    record = backoffice.call("children", "get_child", family_id, child["id"])
    assert record["sante"]["allergies"] == "Pollen"
    assert record["sante"]["regime_alimentaire"] == "Végétarien"
    assert record["lunettes"] is True and record["classe"] == "CE2"
    assert record["autorisations"] == {"photos": True, "sorties": False, "transport": True,
                                       "rentrer_seul": False}
    assert record["personnes_autorisees"][0]["lien"] == "Oncle"


def test_preinscription_reaches_the_back_office(backoffice, family, db):
    with pytest.raises(ValidationError) as bad:
        backoffice.call("children", "submit_preinscription", family["family_id"],
                        {"nom": "", "prenom": "LÉO", "date_naissance": "2030-01-01", "sexe": "X"})
    assert bad.value.messages == ["Le nom de l'enfant est obligatoire.",
                                  "Le sexe de l'enfant doit être F ou M.",
                                  "La date de naissance ne peut pas être dans le futur."]
    request = backoffice.call("children", "submit_preinscription", family["family_id"],
                              {"nom": "Bernard", "prenom": "Léo", "date_naissance": "2024-03-01",
                               "sexe": "M", "accueil": "Crèche", "commentaire": "Dès janvier"})
    assert request["status"] == "en_traitement" and request["nom"] == "BERNARD"
    assert request["id"] in [p["id"] for p in backoffice.call("children", "list_preinscriptions")]
    assert events(db, "preinscription.submitted", id=request["id"])
    decided = backoffice.call("children", "decide_preinscription", request["id"], True)
    children = backoffice.call("children", "list_children", family["family_id"])
    assert decided["child_id"] in [c["id"] for c in children]


def test_ical_feed_at_a_private_revocable_url(backoffice, setup):
    family_id, child, prestation = setup
    day = next_day(open_school_day)
    backoffice.call("children", "book", family_id, child["id"], prestation["id"], day.isoformat())
    token = backoffice.call("children", "renew_ical_token", family_id, child["id"])
    feed = backoffice.call("children", "ical_feed", token)
    assert feed.startswith("BEGIN:VCALENDAR")
    assert f"DTSTART;VALUE=DATE:{day:%Y%m%d}" in feed and "ZOÉ" in feed and "Atelier" in feed
    assert "Pollen" not in feed  # no health data in a feed
    newer = backoffice.call("children", "renew_ical_token", family_id, child["id"])
    with pytest.raises(NotFound):
        backoffice.call("children", "ical_feed", token)
    backoffice.call("children", "revoke_ical_token", family_id, child["id"])
    with pytest.raises(NotFound):
        backoffice.call("children", "ical_feed", newer)


def test_headcount_per_day_and_prestation(backoffice, structure, family):
    prestation = make_prestation(backoffice, structure, capacite=25)
    regular = backoffice.call("children", "create_child", family["family_id"],
                              {"nom": "BERNARD", "prenom": "REGULIER", "date_naissance": "2019-01-01",
                               "sexe": "M"})
    today = dt.date.today()
    backoffice.call("children", "enrol", regular["id"], prestation["id"], today.isoformat(),
                    (today + dt.timedelta(days=300)).isoformat(), "BERNARD LUC", [0, 1, 2, 3, 4])
    booked = [make_child(backoffice, family["family_id"], [prestation], prenom=f"B{i}")
              for i in range(2)]
    day = next_day(open_school_day)
    for child in booked:
        backoffice.call("children", "book", family["family_id"], child["id"], prestation["id"],
                        day.isoformat())
    [count] = backoffice.call("children", "headcount", day.isoformat(), None, prestation["id"])
    assert count == {"date": day.isoformat(), "prestation_id": prestation["id"],
                     "structure": prestation["structure"], "prestation": "Atelier",
                     "reserves": 2, "reguliers": 1, "total": 3, "capacite": 25}
    assert cell(backoffice, family["family_id"], regular["id"], prestation["id"],
                day)["state"] == "regulier"
    week = backoffice.call("children", "headcount", day.isoformat(),
                           (day + dt.timedelta(days=6)).isoformat(), prestation["id"])
    assert all(dt.date.fromisoformat(r["date"]).weekday() < 5 for r in week)
    with pytest.raises(ValidationError):
        backoffice.call("children", "headcount", "2026-12-31", "2026-12-01")
