"""accounts: the collectivity's settings (contact, logo, Infos./Documents, the guide's optional
parts, school-holiday zone) and the documents it publishes

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = (
    sa.Column("address", sa.String(300), nullable=False, server_default=""),
    sa.Column("contact", sa.Text, nullable=False, server_default=""),
    sa.Column("infos_message", sa.Text, nullable=False, server_default=""),
    sa.Column("infos_url", sa.String(500), nullable=False, server_default=""),
    sa.Column("logo", sa.LargeBinary),
    sa.Column("logo_content_type", sa.String(50), nullable=False, server_default=""),
    sa.Column("logo_version", sa.String(16), nullable=False, server_default=""),
    sa.Column("show_balance", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("online_payment", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("planning_requests", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("registration_form", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("school_holiday_zone", sa.String(1), nullable=False, server_default="C"),
)


def upgrade():
    for column in COLUMNS:
        op.add_column("collectivity", column)
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("titre", sa.String(200), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )


def downgrade():
    op.drop_table("documents")
    for column in reversed(COLUMNS):
        op.drop_column("collectivity", column.name)
