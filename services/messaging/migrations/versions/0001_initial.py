"""messaging: contacts, threads, messages, attachments, notifications, event tables

Revision ID: 0001
Revises:
"""
from alembic import op

from services.messaging.models import Base
from services.common.events import create_event_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    # First migration: the tables as the models declare them today. Later changes get
    # migrations of their own written out in full.
    Base.metadata.create_all(op.get_bind())
    create_event_tables(op)


def downgrade():
    Base.metadata.drop_all(op.get_bind())
