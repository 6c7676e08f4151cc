"""Waiting for what the messaging service learns and sends asynchronously."""
import time

import sqlalchemy as sa

from services.messaging.models import Contact, Notification


def wait_until(predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def contact_known(messaging_db, family_id):
    """messaging learns a family from accounts' family.created event, a moment later."""
    def known():
        with messaging_db.connect() as conn:
            return conn.scalar(sa.select(Contact.family_id).where(Contact.family_id == family_id))
    assert wait_until(known), "messaging never received family.created"


def notifications_of(messaging_db, family_id):
    with messaging_db.connect() as conn:
        return conn.execute(sa.select(Notification).where(Notification.family_id == family_id)
                            .order_by(Notification.id)).all()
