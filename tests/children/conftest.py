"""Children fixtures: the demo, a test catalogue of prestations, a family with an enrolled
child, and a session on the children test database for checks the RPC API does not show."""
import datetime as dt
import itertools
import os

import pytest

from services.accounts import demo as accounts_demo
from services.children import calendar
from services.children import demo as children_demo
from services.common.db import make_engine, make_sessionmaker
from tests.support.families import create_family

_codes = itertools.count(1)


def unique_code(prefix):
    return f"{prefix}_{os.getpid() % 100000}_{next(_codes)}"


@pytest.fixture(scope="session")
def demo(settings, services):
    """The DUPONT family with LUCAS (April 2015) and EMMA (this school year)."""
    family = accounts_demo.seed(settings)
    return {"family_id": family["id"], **children_demo.seed(settings, family)}


@pytest.fixture(scope="session")
def structure(backoffice):
    return backoffice.call("children", "create_structure", unique_code("Structure de test"))


def make_prestation(backoffice, structure, **options):
    fields = {"code": unique_code("TEST"), "nom": "Atelier", "periode": "scolaire",
              "jours_semaine": [0, 1, 2, 3, 4], "capacite": 10, "unite": "jour",
              "reservation_jours": 2, "reservation_heure": 12, "reservation_jours_ouvres": True,
              "annulation_jours": 2, "annulation_heure": 12, "annulation_jours_ouvres": True}
    fields.update(options)
    return backoffice.call("children", "create_prestation", structure["id"], **fields)


CHILD = {"nom": "BERNARD", "prenom": "ZOÉ", "date_naissance": "2018-02-11", "sexe": "F",
         "ecole": "École Jean Jaurès", "classe": "CE2", "lunettes": True,
         "sante": {"allergies": "Pollen", "regime_alimentaire": "Végétarien", "pai": "Non",
                   "medecin_traitant": "Dr PETIT", "vaccinations": "À jour"},
         "autorisations": {"photos": True, "sorties": False, "transport": True,
                           "rentrer_seul": False},
         "personnes_autorisees": [{"nom": "BERNARD PAUL", "lien": "Oncle",
                                   "telephone": "06.00.00.00.01"}]}


def make_child(backoffice, family_id, prestations=(), **data):
    """A child of `family_id`, enrolled in `prestations` from today for a year."""
    child = backoffice.call("children", "create_child", family_id, {**CHILD, **data})
    today = dt.date.today()
    for prestation in prestations:
        backoffice.call("children", "enrol", child["id"], prestation["id"],
                        (today - dt.timedelta(days=40)).isoformat(),
                        (today + dt.timedelta(days=400)).isoformat(), "BERNARD LUC")
    return child


@pytest.fixture
def family(backoffice, demo):
    """A new family (the demo seeds the collectivity that accounts needs first)."""
    return create_family(backoffice, nom="BERNARD", prenom="LUC", password="Famille2026")


@pytest.fixture
def other_family(backoffice, demo):
    return create_family(backoffice, nom="AUTRE", prenom="ALICE", password="Autre2026x")


def next_day(predicate, start=None, limit=400):
    """The first day from `start` (default: in 10 days) that satisfies `predicate`."""
    day = start or dt.date.today() + dt.timedelta(days=10)
    for _ in range(limit):
        if predicate(day):
            return day
        day += dt.timedelta(days=1)
    raise AssertionError("no such day")


def open_school_day(day):
    """A weekday of a school week, not a public holiday."""
    return (day.weekday() < 5 and calendar.public_holiday(day) is None
            and calendar.school_holiday(day) is None)


@pytest.fixture
def db(settings):
    engine = make_engine(settings.service_database_url("children"), pool_size=1)
    session = make_sessionmaker(engine)()
    yield session
    session.close()
    engine.dispose()
