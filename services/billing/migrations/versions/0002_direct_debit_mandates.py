"""billing: SEPA direct-debit mandates (accepted bank-details requests)

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
        "direct_debit_mandates",
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("family_id", sa.Integer, nullable=False, index=True),
        sa.Column("rum", sa.String(35), nullable=False, unique=True),
        sa.Column("titulaire", sa.String(200), nullable=False),
        sa.Column("iban_chiffre", sa.Text, nullable=False),
        sa.Column("bic", sa.String(11), nullable=False),
        sa.Column("signed_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("revoked_on", sa.Date),
        sa.Column("request_id", sa.Integer, nullable=False, unique=True),
        sa.CheckConstraint("status IN ('actif', 'revoque')"),
    )


def downgrade():
    op.drop_table("direct_debit_mandates")
