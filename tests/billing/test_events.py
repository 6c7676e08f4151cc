"""billing's copies from the other services' events, through the real broker."""
import datetime as dt

import sqlalchemy as sa

from services.billing.models import Attendance, Booking, Family
from services.common.events import processed_events
from tests.billing.conftest import children_event, day_data, unique_id
from tests.support.waiting import wait_for
from tests.support.families import create_family


def test_a_family_created_in_accounts_is_copied_into_billing(backoffice_rpc, billing_engine,
                                                            demo_billing):
    created = create_family(backoffice_rpc, nom="COPIE", prenom="ANNA", code_postal="31400",
                            email="anna.copie@example.org")

    def copied():
        with billing_engine.connect() as conn:
            return conn.execute(sa.select(Family).where(Family.id == created["family_id"])).first()
    row = wait_for(copied)
    assert row and (row.nom, row.prenom, row.email, row.numero) == \
        ("COPIE", "ANNA", "anna.copie@example.org", created["identifiant"])
    assert row.quotient_familial is None  # not given: the highest bracket will apply


def test_children_events_fill_bookings_and_attendance_once(settings, services, billing_engine):
    family_id, child, booking = 950001, unique_id(), unique_id()
    data = day_data(family_id, child, "2032-01-05", booking_id=booking)
    confirmed = children_event(settings, "booking.confirmed", data)
    children_event(settings, "attendance.recorded", day_data(
        family_id, child, "2032-01-05", attendance_id=unique_id(), status="absent_facture",
        booked=True, quantity="1"))

    def rows():
        with billing_engine.connect() as conn:
            return (conn.execute(sa.select(Booking).where(Booking.booking_id == booking)).first(),
                    conn.execute(sa.select(Attendance).where(Attendance.child_id == child)).first())
    booking_row, attendance_row = wait_for(lambda: all(rows()) and rows())
    assert not booking_row.cancelled and booking_row.day == dt.date(2032, 1, 5)
    assert attendance_row.status == "absent_facture"

    children_event(settings, "booking.cancelled", {**data, "late": True})
    assert wait_for(lambda: rows()[0].cancelled)
    assert rows()[0].late_cancellation

    # The same event delivered again is applied once.
    from kombu import Connection, Producer

    from services.common.events import event_exchange
    with Connection(settings.amqp_uri) as conn:
        Producer(conn).publish(confirmed, exchange=event_exchange("children"),
                               routing_key="booking.confirmed", serializer="json")

    def times():
        with billing_engine.connect() as conn:
            return conn.scalar(sa.select(sa.func.count()).select_from(processed_events).where(
                processed_events.c.event_id == confirmed["event_id"]))
    import time
    time.sleep(1.0)
    assert times() == 1
    assert rows()[0].cancelled  # the replayed confirmation did not undo the cancellation
