"""Waiting for what the messaging service learns and sends asynchronously."""

import sqlalchemy as sa

from services.messaging.models import Contact, Notification
from tests.support.waiting import wait_for


def contact_known(messaging_db, family_id):
    """messaging learns a family from accounts' family.created event, a moment later."""
    def known():
        with messaging_db.connect() as conn:
            return conn.scalar(sa.select(Contact.family_id).where(Contact.family_id == family_id))
    assert wait_for(known), "messaging never received family.created"


def notifications_of(messaging_db, family_id):
    with messaging_db.connect() as conn:
        return conn.execute(sa.select(Notification).where(Notification.family_id == family_id)
                            .order_by(Notification.id)).all()
