"""accounts: informations fiscales, CAF and bank details of a family (change requests)

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = (
    sa.Column("revenu_fiscal_reference", sa.Integer),
    sa.Column("nombre_parts", sa.Numeric(4, 2)),
    sa.Column("regime_caf", sa.String(10), nullable=False, server_default=""),
    sa.Column("numero_allocataire", sa.String(20), nullable=False, server_default=""),
    sa.Column("quotient_familial", sa.Integer),
    sa.Column("iban_chiffre", sa.Text),
    sa.Column("bic", sa.String(11), nullable=False, server_default=""),
    sa.Column("prelevement_automatique", sa.Boolean, nullable=False, server_default=sa.false()),
)


def upgrade():
    for column in COLUMNS:
        op.add_column("families", column)


def downgrade():
    for column in reversed(COLUMNS):
        op.drop_column("families", column.name)
