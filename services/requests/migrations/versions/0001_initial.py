"""requests: change requests, settings, event tables

Revision ID: 0001
Revises:
"""
from alembic import op

from services.common.events import create_event_tables
from services.requests.models import Base, Settings

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    # First migration: the tables as the models declare them today. Later changes get
    # migrations of their own written out in full.
    Base.metadata.create_all(op.get_bind())
    create_event_tables(op)
    # The settings row exists from the start: readers never race to create it.
    op.bulk_insert(Settings.__table__, [{"id": 1, "auto_accept": []}])


def downgrade():
    Base.metadata.drop_all(op.get_bind())
