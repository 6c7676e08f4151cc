"""Tables of the requests database. Nothing outside this service reads them."""
import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql


class Base(orm.DeclarativeBase):
    pass


# en_attente: waits for the back office; acceptee: applied by the record's owner on the
# event; refusee: with a reason, nothing changed.
STATUSES = ("en_attente", "acceptee", "refusee")


class ChangeRequest(Base):
    """A family's request on its record or a child's, or a copy of a children's request
    (reservation, absence, pré-inscription) kept for the "Liste des demandes"."""

    __tablename__ = "change_requests"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    family_id = sa.Column(sa.Integer, nullable=False)
    category = sa.Column(sa.String(10), nullable=False)  # famille | enfant
    type = sa.Column(sa.String(30), nullable=False)  # a code of kinds.py
    child_id = sa.Column(sa.Integer)
    subject = sa.Column(sa.String(200), nullable=False, default="")  # "DUPONT JEAN", "LUCAS DUPONT"
    # Values before and after, field -> value; the sensitive ones (IBAN, health data) only
    # masked here, in clear in `sensitive_chiffre` (a Fernet token under REQUESTS_DATA_KEY
    # of {"old": {...}, "new": {...}}).
    old_values = sa.Column(postgresql.JSONB, nullable=False, default=dict)
    new_values = sa.Column(postgresql.JSONB, nullable=False, default=dict)
    sensitive_chiffre = sa.Column(sa.Text)
    status = sa.Column(sa.String(12), nullable=False, default="en_attente")
    motif_refus = sa.Column(sa.String(500), nullable=False, default="")
    auto_accepted = sa.Column(sa.Boolean, nullable=False, default=False)
    # NULL only for a copy whose decision arrived before its submission.
    requested_at = sa.Column(sa.DateTime(timezone=True))
    decided_at = sa.Column(sa.DateTime(timezone=True))
    # portail: made here; children: a copy of children's request `origin_id` (its booking,
    # absence or pré-inscription id), whose own status is `origin_status`.
    origin = sa.Column(sa.String(10), nullable=False, default="portail")
    origin_id = sa.Column(sa.Integer)
    origin_status = sa.Column(sa.String(20), nullable=False, default="")
    __table_args__ = (
        sa.CheckConstraint(f"status IN {STATUSES}"),
        sa.Index("ix_requests_family", "family_id", "requested_at"),
        sa.Index("ix_requests_pending", "type", "requested_at",
                 postgresql_where=sa.text("status = 'en_attente'")),
        # One pending request of a kind per family (and child): a second would race the first.
        sa.Index("uq_requests_one_pending", "family_id", "type",
                 sa.text("coalesce(child_id, 0)"), unique=True,
                 postgresql_where=sa.text("status = 'en_attente' AND origin = 'portail'")),
        sa.Index("ix_requests_origin", "origin", "type", "origin_id"),
    )


class Settings(Base):
    """The collectivity's choices for requests: a single row (id 1)."""

    __tablename__ = "requests_settings"
    id = sa.Column(sa.Integer, primary_key=True, default=1)
    # Kinds accepted at once, without the back office (e.g. ["autorisations", "lunettes"]).
    auto_accept = sa.Column(postgresql.JSONB, nullable=False, default=list)
