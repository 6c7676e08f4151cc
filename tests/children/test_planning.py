"""The planning grid: the guide's April 2015 for the demo child, and the calendar behind it."""
import datetime as dt

import pytest

from services.children import calendar
from services.children.demo import APRIL_2015, PRESTATIONS
from services.common.errors import NotFound, ValidationError

SPRING_2015 = range(18, 31)  # zone C: Saturday 18 April to Sunday 3 May 2015
SCHOOL_ROWS = {"ALSH_MER_PM", "ALSH_MER_J", "GARDERIE_MATIN", "RESTAURATION"}


def test_calendar_knows_the_guide_s_days():
    assert calendar.public_holiday(dt.date(2015, 4, 6)) == "Lundi de Pâques"
    assert calendar.school_holiday(dt.date(2015, 4, 18)) == ("Vacances de printemps", "petites")
    assert calendar.school_holiday(dt.date(2015, 5, 3)) == ("Vacances de printemps", "petites")
    assert calendar.school_holiday(dt.date(2015, 5, 4)) is None
    assert calendar.school_holiday(dt.date(2015, 4, 17)) is None
    assert calendar.school_holiday(dt.date(2026, 7, 14))[1] == "grandes"
    # The shipped calendar covers 2014-2015 to 2027-2028.
    assert calendar.school_holiday(dt.date(2014, 12, 24))[0] == "Vacances de Noël"
    assert calendar.school_holiday(dt.date(2028, 4, 20))[0] == "Vacances de printemps"
    # Délai in working days skips week-ends and public holidays (Easter Monday 2015).
    assert calendar.days_before(dt.date(2015, 4, 8), 2, True) == dt.date(2015, 4, 3)
    assert calendar.days_before(dt.date(2015, 4, 8), 2, False) == dt.date(2015, 4, 6)


def test_april_2015_grid_of_the_demo_child_shows_the_guide_s_states(backoffice, demo):
    grid = backoffice.call("children", "planning", demo["family_id"], demo["lucas"], 2015, 4)
    assert grid["title"] == "Avril 2015"
    assert grid["previous"] == "2015-03" and grid["next"] == "2015-05"
    headers = [d["header"] for d in grid["days"]]
    assert headers[:7] == ["Me 01", "Je 02", "Ve 03", "Sa 04", "Di 05", "Lu 06", "Ma 07"]
    assert len(headers) == 30 and headers[-1] == "Je 30"
    # The guide's seven rows, in its order, each with its responsable.
    assert [(r["structure"], r["prestation"]) for r in grid["rows"]] == [
        (structure, nom) for structure, _, nom, *_ in PRESTATIONS]
    assert {r["responsable"] for r in grid["rows"]} == {"DUPONT JEAN"}
    codes = {nom: code for _, code, nom, *_ in PRESTATIONS}
    for row in grid["rows"]:
        code = codes[row["prestation"]]
        cells = {int(c["date"][8:]): c for c in row["cells"]}
        assert cells[6]["state"] == "ferie" and cells[6]["text"] == "F"
        assert "Jour férié" in cells[6]["spoken"] and "lundi 6 avril 2015" in cells[6]["spoken"]
        for day in SPRING_2015:
            if code in SCHOOL_ROWS:
                assert cells[day]["state"] == "petites_vacances" and cells[day]["text"] == "P"
            elif day in APRIL_2015.get(code, {}):
                assert cells[day]["state"] == "reserve"  # the holiday centre, booked and attended
            else:
                assert cells[day]["state"] in ("libre", "sans_objet")
        marks = {day: c["mark"] for day, c in cells.items() if c["mark"]}
        assert marks == APRIL_2015.get(code, {}), row["prestation"]
        for day, mark in marks.items():
            assert cells[day]["mark_text"].startswith("✓" if "reserve" in mark else "●")
        assert not any(c["actionable"] for c in row["cells"])  # the past cannot be changed
    restauration = next(r for r in grid["rows"] if r["prestation"] == "Restauration scolaire")
    cells = {int(c["date"][8:]): c for c in restauration["cells"]}
    assert cells[7]["state"] == "reserve" and cells[7]["spoken"].endswith("présent et réservé")
    assert cells[14]["mark"] == "present" and cells[16]["mark"] == "reserve"
    assert cells[8]["state"] == "sans_objet"  # the canteen of this town closes on Wednesdays
    # Every state of the legend is listed, in the guide's order.
    assert [item["label"] for item in grid["legend"]] == [
        "Réservé", "Erreur", "Congé", "Heure hors contrat", "Régulier", "Fermeture",
        "Absent facturé", "Demande en attente", "Absent excusé",
        "Réservation en cours de traitement", "Réservation refusée",
        "Absence en cours de traitement", "Petites vacances", "Grandes vacances", "Jour férié"]


def test_demo_sibling_is_enrolled_this_school_year_with_a_regular_canteen(backoffice, demo):
    today = dt.date.today()
    enrolments = backoffice.call("children", "current_enrolments", demo["family_id"], demo["emma"])
    assert len(enrolments) == 7
    assert all(e["debut"] <= today.isoformat() <= e["fin"] for e in enrolments)
    grid = backoffice.call("children", "planning", demo["family_id"], demo["emma"],
                           today.year, today.month)
    canteen = next(r for r in grid["rows"] if r["prestation"] == "Restauration scolaire")
    states = {c["state"] for c in canteen["cells"]}
    assert "regulier" in states or "petites_vacances" in states or "grandes_vacances" in states


@pytest.mark.parametrize("year, month", [(2015, 13), (2015, 0), ("deux", 4), (1900, 1)])
def test_bad_month_is_refused_in_french(backoffice, demo, year, month):
    with pytest.raises(ValidationError) as refused:
        backoffice.call("children", "planning", demo["family_id"], demo["lucas"], year, month)
    assert "Mois invalide" in str(refused.value)


def test_planning_of_another_family_s_child_is_not_found(backoffice, demo, other_family):
    with pytest.raises(NotFound) as refused:
        backoffice.call("children", "planning", other_family["family_id"], demo["lucas"], 2015, 4)
    assert str(refused.value) == "Enfant introuvable."
