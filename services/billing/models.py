"""Tables of the billing database. Nothing outside this service reads them.

Money is NUMERIC(10, 2) here and Decimal in Python, never float.
"""
import sqlalchemy as sa
from sqlalchemy import orm

Money = sa.Numeric(10, 2)
# Statement order: operations of one day in the order they were recorded. clock_timestamp(),
# not now(): rows written in one transaction (the demo) still get increasing times.
RECORDED_AT = dict(nullable=False, server_default=sa.text("clock_timestamp()"))


class Base(orm.DeclarativeBase):
    pass


class Settings(Base):
    """The collectivity's billing choices: a single row (id 1)."""

    __tablename__ = "billing_settings"
    id = sa.Column(sa.Integer, primary_key=True, default=1)
    collectivity_name = sa.Column(sa.String(200), nullable=False, default="")
    collectivity_address = sa.Column(sa.String(300), nullable=False, default="")
    # "Opérations en cours": the guide marks the balance panel as optional.
    show_balance = sa.Column(sa.Boolean, nullable=False, default=True)
    online_payment = sa.Column(sa.Boolean, nullable=False, default=False)
    # The trésorerie collects (titres émis): the portal cannot follow payments and balance.
    treasury_collects = sa.Column(sa.Boolean, nullable=False, default=False)
    # Families living elsewhere pay the out-of-commune rate.
    commune_postal_codes = sa.Column(sa.String(200), nullable=False, default="")
    payment_instructions = sa.Column(sa.Text, nullable=False, default="")
    due_days = sa.Column(sa.Integer, nullable=False, default=20)


class Regie(Base):
    """A régie de recettes: invoices and payments are numbered per régie ("AL-36")."""

    __tablename__ = "regies"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    code = sa.Column(sa.String(10), nullable=False, unique=True)  # the numbers' prefix: AL
    name = sa.Column(sa.String(200), nullable=False)  # Régie garderie ALSH
    last_invoice_number = sa.Column(sa.Integer, nullable=False, default=0)
    last_payment_number = sa.Column(sa.Integer, nullable=False, default=0)


class Tariff(Base):
    """The price of one unit of a prestation (a day, a meal, an hour…)."""

    __tablename__ = "tariffs"
    prestation_code = sa.Column(sa.String(50), primary_key=True)
    regie_id = sa.Column(sa.Integer, sa.ForeignKey("regies.id"), nullable=False)
    label = sa.Column(sa.String(200), nullable=False)
    unit = sa.Column(sa.String(20), nullable=False)
    hors_commune_price = sa.Column(Money, nullable=False)
    # Added to the unit price of what was consumed outside the bookings (presence without
    # booking, heure hors contrat).
    surcharge = sa.Column(Money, nullable=False, default=0)
    brackets = orm.relationship("TariffBracket", lazy="selectin", cascade="all, delete-orphan",
                                order_by="TariffBracket.qf_max.asc().nulls_last()")


class TariffBracket(Base):
    """Price for families whose quotient familial is at most qf_max (NULL: the highest bracket)."""

    __tablename__ = "tariff_brackets"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    prestation_code = sa.Column(sa.String(50), sa.ForeignKey("tariffs.prestation_code",
                                                             ondelete="CASCADE"), nullable=False)
    qf_max = sa.Column(sa.Integer)
    price = sa.Column(Money, nullable=False)


class Family(Base):
    """billing's copy of the family (from accounts' events): who to invoice, at which rate."""

    __tablename__ = "families"
    id = sa.Column(sa.Integer, primary_key=True)  # accounts' family id
    numero = sa.Column(sa.String(20), nullable=False)
    civilite = sa.Column(sa.String(20), nullable=False, default="")
    nom = sa.Column(sa.String(100), nullable=False, default="")
    prenom = sa.Column(sa.String(100), nullable=False, default="")
    adresse = sa.Column(sa.String(300), nullable=False, default="")
    code_postal = sa.Column(sa.String(10), nullable=False, default="")
    ville = sa.Column(sa.String(100), nullable=False, default="")
    email = sa.Column(sa.String(254), nullable=False, default="")
    quotient_familial = sa.Column(sa.Integer)  # None: unknown, the highest bracket applies


class Booking(Base):
    """A booked day (children's booking.confirmed / booking.cancelled)."""

    __tablename__ = "bookings"
    booking_id = sa.Column(sa.BigInteger, primary_key=True)
    family_id = sa.Column(sa.Integer, nullable=False)
    child_id = sa.Column(sa.BigInteger, nullable=False)
    child_name = sa.Column(sa.String(200), nullable=False)
    prestation_code = sa.Column(sa.String(50), nullable=False)
    prestation = sa.Column(sa.String(200), nullable=False)
    day = sa.Column(sa.Date, nullable=False)
    cancelled = sa.Column(sa.Boolean, nullable=False, default=False)
    late_cancellation = sa.Column(sa.Boolean, nullable=False, default=False)
    __table_args__ = (sa.Index("ix_bookings_family_day", "family_id", "day"),)


class Attendance(Base):
    """What the structure recorded for a child, a prestation and a day (the latest wins)."""

    __tablename__ = "attendance"
    child_id = sa.Column(sa.BigInteger, primary_key=True)
    prestation_code = sa.Column(sa.String(50), primary_key=True)
    day = sa.Column(sa.Date, primary_key=True)
    family_id = sa.Column(sa.Integer, nullable=False)
    child_name = sa.Column(sa.String(200), nullable=False)
    prestation = sa.Column(sa.String(200), nullable=False)
    status = sa.Column(sa.String(20), nullable=False)
    booked = sa.Column(sa.Boolean, nullable=False)
    quantity = sa.Column(sa.Numeric(8, 2), nullable=False)
    occurred_at = sa.Column(sa.String(40), nullable=False)  # the event's time (ISO, UTC)
    __table_args__ = (
        sa.CheckConstraint("status IN ('present', 'absent_excuse', 'absent_facture', "
                           "'heure_hors_contrat')"),
        sa.Index("ix_attendance_family_day", "family_id", "day"),
    )


class Invoice(Base):
    __tablename__ = "invoices"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    regie_id = sa.Column(sa.Integer, sa.ForeignKey("regies.id"), nullable=False)
    number = sa.Column(sa.Integer, nullable=False)
    numero = sa.Column(sa.String(30), nullable=False, unique=True)  # AL-36
    family_id = sa.Column(sa.Integer, sa.ForeignKey("families.id"), nullable=False, index=True)
    period_start = sa.Column(sa.Date, nullable=False)
    period_end = sa.Column(sa.Date, nullable=False)
    issued_on = sa.Column(sa.Date, nullable=False)
    due_on = sa.Column(sa.Date, nullable=False)
    total = sa.Column(Money, nullable=False)
    recorded_at = sa.Column(sa.DateTime(timezone=True), **RECORDED_AT)
    lines = orm.relationship("InvoiceLine", lazy="selectin", order_by="InvoiceLine.id",
                             cascade="all, delete-orphan")
    regie = orm.relationship("Regie", lazy="joined", innerjoin=True)
    __table_args__ = (
        # Re-running a period never invoices a family twice for one régie.
        sa.UniqueConstraint("family_id", "regie_id", "period_start"),
        sa.UniqueConstraint("regie_id", "number"),
    )


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    invoice_id = sa.Column(sa.Integer, sa.ForeignKey("invoices.id", ondelete="CASCADE"),
                           nullable=False, index=True)
    child_name = sa.Column(sa.String(200), nullable=False)
    label = sa.Column(sa.String(250), nullable=False)  # the prestation, and why if special
    quantity = sa.Column(sa.Numeric(8, 2), nullable=False)
    unit_price = sa.Column(Money, nullable=False)
    amount = sa.Column(Money, nullable=False)


class InvoicePdf(Base):
    """The PDF as issued: an invoice is a document that does not change afterwards."""

    __tablename__ = "invoice_pdfs"
    invoice_id = sa.Column(sa.Integer, sa.ForeignKey("invoices.id", ondelete="CASCADE"),
                           primary_key=True)
    pdf = sa.Column(sa.LargeBinary, nullable=False)


class Payment(Base):
    __tablename__ = "payments"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    regie_id = sa.Column(sa.Integer, sa.ForeignKey("regies.id"), nullable=False)
    number = sa.Column(sa.Integer, nullable=False)
    numero = sa.Column(sa.String(30), nullable=False, unique=True)  # AL-228
    family_id = sa.Column(sa.Integer, sa.ForeignKey("families.id"), nullable=False, index=True)
    invoice_id = sa.Column(sa.Integer, sa.ForeignKey("invoices.id"), index=True)
    paid_on = sa.Column(sa.Date, nullable=False)
    mode = sa.Column(sa.String(20), nullable=False)
    reference = sa.Column(sa.String(100), nullable=False, default="")  # cheque n°, ORMC n°…
    amount = sa.Column(Money, nullable=False)
    # Online payments: the transaction it settles. UNIQUE: one payment per transaction
    # whatever the number of notifications.
    transaction_id = sa.Column(sa.Integer, sa.ForeignKey("online_transactions.id"), unique=True)
    recorded_at = sa.Column(sa.DateTime(timezone=True), **RECORDED_AT)
    regie = orm.relationship("Regie", lazy="joined", innerjoin=True)
    __table_args__ = (
        sa.UniqueConstraint("regie_id", "number"),
        sa.CheckConstraint("amount > 0"),
        sa.CheckConstraint("mode IN ('cheque', 'especes', 'virement', 'cesu', 'prelevement', "
                           "'carte', 'titre')"),
    )


class OnlineTransaction(Base):
    """One attempt to pay an invoice at the bank partner (PayFiP-like)."""

    __tablename__ = "online_transactions"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    family_id = sa.Column(sa.Integer, nullable=False, index=True)
    invoice_id = sa.Column(sa.Integer, sa.ForeignKey("invoices.id"), nullable=False, index=True)
    refdet = sa.Column(sa.String(30), nullable=False)
    exer = sa.Column(sa.String(4), nullable=False)
    amount_cents = sa.Column(sa.Integer, nullable=False)
    email = sa.Column(sa.String(254), nullable=False)
    idop = sa.Column(sa.String(64), unique=True)  # None until the bank gave one
    # created → pending (idop obtained) → paid | refused | cancelled | expired | review
    status = sa.Column(sa.String(12), nullable=False, default="created")
    review_reason = sa.Column(sa.String(300), nullable=False, default="")
    resultrans = sa.Column(sa.String(1))
    numauto = sa.Column(sa.String(20))
    dattrans = sa.Column(sa.String(8))
    heurtrans = sa.Column(sa.String(4))
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())
    notified_at = sa.Column(sa.DateTime(timezone=True))
    settled_at = sa.Column(sa.DateTime(timezone=True))
    __table_args__ = (
        sa.CheckConstraint("status IN ('created', 'pending', 'paid', 'refused', 'cancelled', "
                           "'expired', 'review')"),
        sa.Index("ix_transactions_open", "created_at",
                 postgresql_where=sa.text("status IN ('created', 'pending')")),
    )


class Mandate(Base):
    """A SEPA direct-debit mandate, created when the collectivity accepts a family's request
    to pay by automatic direct debit (requests service). One active mandate per family: a new
    one (new bank details) revokes the previous."""

    __tablename__ = "direct_debit_mandates"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    family_id = sa.Column(sa.Integer, nullable=False, index=True)
    rum = sa.Column(sa.String(35), nullable=False, unique=True)  # Référence Unique de Mandat
    titulaire = sa.Column(sa.String(200), nullable=False)
    iban_chiffre = sa.Column(sa.Text, nullable=False)  # Fernet token under BILLING_DATA_KEY
    bic = sa.Column(sa.String(11), nullable=False)
    signed_on = sa.Column(sa.Date, nullable=False)
    status = sa.Column(sa.String(10), nullable=False, default="actif")
    revoked_on = sa.Column(sa.Date)
    # The accepted request it comes from: UNIQUE, so a redelivered event makes no second one.
    request_id = sa.Column(sa.Integer, nullable=False, unique=True)
    __table_args__ = (sa.CheckConstraint("status IN ('actif', 'revoque')"),)
