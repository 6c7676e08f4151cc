"""Logins, throttling and sessions, as plain functions on the accounts test database."""
import datetime as dt

import pytest
import sqlalchemy as sa

from services.accounts import families, logins
from services.accounts.models import Person
from services.common.db import make_engine, make_sessionmaker
from services.common.errors import AccountLocked, AuthenticationFailed, ValidationError
from services.common.events import outbox_events
from tests.support.families import ensure_demo, unique_numero


@pytest.fixture
def db(settings):
    ensure_demo(settings)
    engine = make_engine(settings.service_database_url("accounts"), pool_size=1)
    session = make_sessionmaker(engine)()
    yield session
    session.close()
    engine.dispose()


@pytest.fixture
def family(db):
    data, password = families.create_family(db, {"nom": "LEROY", "prenom": "PAUL"},
                                            numero=unique_numero(), password="Depart2026")
    db.commit()
    return data["numero"], password, data["id"]


def test_wrong_password_and_unknown_identifiant_say_the_same(db, family):
    numero, _, _ = family
    with pytest.raises(AuthenticationFailed) as wrong:
        logins.authenticate(db, numero, "Mauvais123")
    with pytest.raises(AuthenticationFailed) as unknown:
        logins.authenticate(db, "99999999999", "Mauvais123")
    assert str(wrong.value) == str(unknown.value) == "Identifiant ou mot de passe incorrect."


def test_ten_failures_in_fifteen_minutes_lock_the_account(db, family):
    numero, password, _ = family
    start = logins.now()
    for i in range(9):
        with pytest.raises(AuthenticationFailed):
            logins.authenticate(db, numero, "Mauvais123", at=start + dt.timedelta(minutes=i))
    with pytest.raises(AccountLocked) as locked:
        logins.authenticate(db, numero, "Mauvais123", at=start + dt.timedelta(minutes=9))
    assert "bloqué" in str(locked.value) and "15 minute" in str(locked.value)
    # Even the right password is refused while locked...
    with pytest.raises(AccountLocked):
        logins.authenticate(db, numero, password, at=start + dt.timedelta(minutes=20))
    # ...and accepted once the lock has expired.
    credential = logins.authenticate(db, numero, password, at=start + dt.timedelta(minutes=25))
    db.commit()
    assert credential.identifiant == numero


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(db, family):
    numero, password, _ = family
    start = logins.now()
    for i in range(12):
        with pytest.raises(AuthenticationFailed):
            logins.authenticate(db, numero, "Mauvais123", at=start + dt.timedelta(minutes=2 * i))
    assert logins.authenticate(db, numero, password, at=start + dt.timedelta(minutes=25))
    db.commit()


def test_unknown_identifiants_are_throttled_like_known_ones(db):
    start = logins.now()
    for i in range(9):
        with pytest.raises(AuthenticationFailed):
            logins.authenticate(db, "inconnu-throttle", "x", at=start)
    with pytest.raises(AccountLocked):
        logins.authenticate(db, "inconnu-throttle", "x", at=start)


def test_sessions_expire_when_idle_and_end_on_password_change(db, family):
    numero, password, family_id = family
    start = logins.now()
    first = logins.open_session(db, family_id, at=start)
    second = logins.open_session(db, family_id, at=start)
    db.commit()
    assert first != second
    assert logins.session_info(db, first, at=start)["family_id"] == family_id
    assert logins.session_info(db, first, at=start + logins.SESSION_IDLE + dt.timedelta(seconds=1)) is None
    logins.change_password(db, family_id, second, password, "Nouveau2026", "Nouveau2026")
    db.commit()
    assert logins.session_info(db, first) is None  # the other session ended
    assert logins.session_info(db, second)["family_id"] == family_id


def test_a_session_in_use_stays_open_beyond_the_idle_time(db, family):
    numero, password, family_id = family
    start = logins.now()
    token = logins.open_session(db, family_id, at=start)
    db.commit()
    minutes = dt.timedelta(minutes=1)
    used = start + 20 * minutes  # more than TOUCH_EVERY after the login: written
    assert logins.session_info(db, token, at=used)["family_id"] == family_id
    assert logins.session_info(db, token, at=used + 2 * minutes) is not None  # not written
    last = used + logins.SESSION_IDLE - minutes
    assert logins.session_info(db, token, at=last) is not None
    assert logins.session_info(db, token, at=last + logins.SESSION_IDLE - minutes) is not None
    assert logins.session_info(db, token, at=last + 2 * logins.SESSION_IDLE) is None


def test_password_change_checks_current_policy_and_confirmation(db, family):
    numero, password, family_id = family
    token = logins.open_session(db, family_id)
    with pytest.raises(ValidationError, match="actuel est incorrect"):
        logins.change_password(db, family_id, token, "Mauvais123", "Nouveau2026", "Nouveau2026")
    with pytest.raises(ValidationError) as rules:
        logins.change_password(db, family_id, token, password, "court", "court")
    assert len(rules.value.messages) == 3
    with pytest.raises(ValidationError, match="confirmation"):
        logins.change_password(db, family_id, token, password, "Nouveau2026", "Nouveau2027")
    with pytest.raises(ValidationError, match="différent"):
        logins.change_password(db, family_id, token, password, password, password)
    db.rollback()


def test_a_family_and_its_event_are_written_together(db):
    count = db.scalar(sa.select(sa.func.count()).select_from(outbox_events))
    families.create_family(db, {"nom": "PETIT"}, numero=unique_numero())
    db.rollback()  # the business row goes, and so does the event
    assert db.scalar(sa.select(sa.func.count()).select_from(outbox_events)) == count
    data, _ = families.create_family(db, {"nom": "PETIT"}, numero=unique_numero())
    db.commit()
    payloads = db.scalars(sa.select(outbox_events.c.payload)
                          .where(outbox_events.c.event_type == "family.created")).all()
    assert any(p["data"]["numero"] == data["numero"] for p in payloads)


def test_bad_family_data_is_refused_in_french(db):
    with pytest.raises(ValidationError, match="le nom est obligatoire"):
        families.create_family(db, {"prenom": "SANS NOM"})
    with pytest.raises(ValidationError, match="champ"):
        families.create_family(db, {"nom": "X", "pirate": "1"})
    db.rollback()
    assert db.scalar(sa.select(sa.func.count()).select_from(Person)
                     .where(Person.prenom == "SANS NOM")) == 0


def test_generating_load_families_twice_changes_nothing(settings):
    from services.accounts import demo

    first = demo.generate_families(settings, 3)
    assert demo.generate_families(settings, 3) == first
    engine = make_engine(settings.service_database_url("accounts"), pool_size=1)
    with engine.connect() as conn:
        count = conn.scalar(sa.text("SELECT count(*) FROM credentials WHERE identifiant = ANY(:ids)"),
                            {"ids": first})
    engine.dispose()
    assert count == 3
