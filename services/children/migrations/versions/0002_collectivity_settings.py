"""children: its copy of the collectivity's settings (requests from the planning, registration
form, school-holiday zone)

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "collectivity_settings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("planning_requests", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("registration_form", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("school_holiday_zone", sa.String(1), nullable=False, server_default="C"),
    )


def downgrade():
    op.drop_table("collectivity_settings")
