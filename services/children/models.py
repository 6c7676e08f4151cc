"""Tables of the children database. Nothing outside this service reads them."""
import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql


class Base(orm.DeclarativeBase):
    pass


class Child(Base):
    __tablename__ = "children"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    family_id = sa.Column(sa.Integer, nullable=False, index=True)  # accounts' family id
    nom = sa.Column(sa.String(100), nullable=False)
    prenom = sa.Column(sa.String(100), nullable=False)
    date_naissance = sa.Column(sa.Date, nullable=False)
    sexe = sa.Column(sa.String(1), nullable=False)  # F or M
    ecole = sa.Column(sa.String(200), nullable=False, default="")
    classe = sa.Column(sa.String(50), nullable=False, default="")
    lunettes = sa.Column(sa.Boolean, nullable=False, default=False)
    # allergies, régime alimentaire, PAI, médecin traitant, vaccinations: one Fernet token
    # of their JSON (see records.py). Never stored or logged in clear.
    sante_chiffree = sa.Column(sa.Text, nullable=False)
    # {"photos": bool, "sorties": bool, "transport": bool, "rentrer_seul": bool}
    autorisations = sa.Column(postgresql.JSONB, nullable=False, default=dict)
    # [{"nom", "lien", "telephone"}]: who may come and fetch the child.
    personnes_autorisees = sa.Column(postgresql.JSONB, nullable=False, default=list)
    # SHA-256 of the private iCal token; NULL when no feed is open (revoked).
    ical_token_hash = sa.Column(sa.String(64), unique=True)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())
    __table_args__ = (sa.CheckConstraint("sexe IN ('F', 'M')"),)


class Structure(Base):
    """A place that welcomes children: "Accueil de Loisirs", "Garderie périscolaire"."""

    __tablename__ = "structures"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    nom = sa.Column(sa.String(200), nullable=False, unique=True)
    position = sa.Column(sa.Integer, nullable=False, default=0)


# When a prestation runs: school days, Wednesdays of school weeks, or school holidays.
PERIODES = ("scolaire", "mercredi", "vacances")
UNITS = ("jour", "demi-journee", "repas", "heure")


class Prestation(Base):
    __tablename__ = "prestations"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    structure_id = sa.Column(sa.Integer, sa.ForeignKey("structures.id"), nullable=False)
    code = sa.Column(sa.String(50), nullable=False, unique=True)
    nom = sa.Column(sa.String(200), nullable=False)
    position = sa.Column(sa.Integer, nullable=False, default=0)
    periode = sa.Column(sa.String(10), nullable=False)
    jours_semaine = sa.Column(postgresql.ARRAY(sa.Integer), nullable=False)  # 0 = lundi
    capacite = sa.Column(sa.Integer, nullable=False)
    unite = sa.Column(sa.String(20), nullable=False)
    # Délai de réservation: book at the latest N days before, by the cut-off hour.
    reservation_jours = sa.Column(sa.Integer, nullable=False, default=2)
    reservation_heure = sa.Column(sa.Integer, nullable=False, default=12)
    reservation_jours_ouvres = sa.Column(sa.Boolean, nullable=False, default=True)
    # Délai de prévenance: cancel (declare an absence) at the latest N days before.
    annulation_jours = sa.Column(sa.Integer, nullable=False, default=2)
    annulation_heure = sa.Column(sa.Integer, nullable=False, default=12)
    annulation_jours_ouvres = sa.Column(sa.Boolean, nullable=False, default=True)
    # True: confirmed at once when within capacity and deadline; False: the back office decides.
    confirmation_auto = sa.Column(sa.Boolean, nullable=False, default=True)
    liste_attente = sa.Column(sa.Boolean, nullable=False, default=False)
    structure = orm.relationship("Structure", lazy="joined")
    __table_args__ = (
        sa.CheckConstraint("periode IN ('scolaire', 'mercredi', 'vacances')"),
        sa.CheckConstraint("unite IN ('jour', 'demi-journee', 'repas', 'heure')"),
        sa.CheckConstraint("capacite >= 0"),
    )


class Closure(Base):
    """"Fermeture": a day a prestation (or, prestation_id NULL, every prestation) is closed."""

    __tablename__ = "closures"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    prestation_id = sa.Column(sa.Integer, sa.ForeignKey("prestations.id"))
    date = sa.Column(sa.Date, nullable=False, index=True)
    motif = sa.Column(sa.String(200), nullable=False, default="")


class Enrolment(Base):
    """"Inscription": a child in a prestation for a period; the responsable pays."""

    __tablename__ = "enrolments"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    child_id = sa.Column(sa.Integer, sa.ForeignKey("children.id", ondelete="CASCADE"),
                         nullable=False, index=True)
    prestation_id = sa.Column(sa.Integer, sa.ForeignKey("prestations.id"), nullable=False)
    debut = sa.Column(sa.Date, nullable=False)
    fin = sa.Column(sa.Date, nullable=False)
    responsable = sa.Column(sa.String(200), nullable=False)  # "DUPONT JEAN"
    # Weekdays of a regular contract ("Régulier"), 0 = lundi; empty: day-by-day bookings.
    jours_reguliers = sa.Column(postgresql.ARRAY(sa.Integer), nullable=False, default=list)
    prestation = orm.relationship("Prestation", lazy="joined")
    __table_args__ = (sa.CheckConstraint("fin >= debut"),)


class Session(Base):
    """One day of one prestation and its places. `reserves` counts confirmed bookings and is
    only changed by conditional UPDATEs (WHERE reserves < capacite): the capacity guard."""

    __tablename__ = "sessions"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    prestation_id = sa.Column(sa.Integer, sa.ForeignKey("prestations.id"), nullable=False)
    date = sa.Column(sa.Date, nullable=False)
    capacite = sa.Column(sa.Integer, nullable=False)
    reserves = sa.Column(sa.Integer, nullable=False, default=0)
    __table_args__ = (sa.UniqueConstraint("prestation_id", "date"),
                      sa.CheckConstraint("reserves >= 0 AND reserves <= capacite"))


# confirmee: Réservé; en_traitement: waits for the back office; liste_attente: full, in line;
# refusee: refused by the back office; annulee: cancelled (absence accepted, closure).
BOOKING_STATUSES = ("confirmee", "en_traitement", "liste_attente", "refusee", "annulee")
ACTIVE_BOOKING = ("confirmee", "en_traitement", "liste_attente")


class Booking(Base):
    """One row per child × prestation × day, ever: a new booking after a cancellation or a
    refusal reuses it, so the unique constraint forbids any double booking."""

    __tablename__ = "bookings"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    child_id = sa.Column(sa.Integer, sa.ForeignKey("children.id", ondelete="CASCADE"), nullable=False)
    prestation_id = sa.Column(sa.Integer, sa.ForeignKey("prestations.id"), nullable=False)
    date = sa.Column(sa.Date, nullable=False)
    status = sa.Column(sa.String(20), nullable=False)
    motif_refus = sa.Column(sa.String(500), nullable=False, default="")
    requested_at = sa.Column(sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())
    decided_at = sa.Column(sa.DateTime(timezone=True))
    __table_args__ = (
        sa.UniqueConstraint("child_id", "prestation_id", "date", name="uq_booking_child_day"),
        sa.CheckConstraint(f"status IN {BOOKING_STATUSES}"),
        sa.Index("ix_bookings_day", "prestation_id", "date"),
    )


ABSENCE_STATUSES = ("en_traitement", "acceptee", "refusee")


class Absence(Base):
    """"Déclarer une absence": the parent's reason; accepted, the day shows "Congé"."""

    __tablename__ = "absences"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    child_id = sa.Column(sa.Integer, sa.ForeignKey("children.id", ondelete="CASCADE"), nullable=False)
    prestation_id = sa.Column(sa.Integer, sa.ForeignKey("prestations.id"), nullable=False)
    date = sa.Column(sa.Date, nullable=False)
    motif = sa.Column(sa.String(500), nullable=False)
    status = sa.Column(sa.String(20), nullable=False)
    motif_refus = sa.Column(sa.String(500), nullable=False, default="")
    requested_at = sa.Column(sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())
    decided_at = sa.Column(sa.DateTime(timezone=True))
    __table_args__ = (
        sa.UniqueConstraint("child_id", "prestation_id", "date", name="uq_absence_child_day"),
        sa.CheckConstraint(f"status IN {ABSENCE_STATUSES}"),
    )


ATTENDANCE_STATUSES = ("present", "absent_excuse", "absent_facture", "heure_hors_contrat")


class Attendance(Base):
    """What the structure recorded for a day; recorded again, the later one wins."""

    __tablename__ = "attendances"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    child_id = sa.Column(sa.Integer, sa.ForeignKey("children.id", ondelete="CASCADE"), nullable=False)
    prestation_id = sa.Column(sa.Integer, sa.ForeignKey("prestations.id"), nullable=False)
    date = sa.Column(sa.Date, nullable=False)
    status = sa.Column(sa.String(20), nullable=False)
    quantite = sa.Column(sa.Numeric(6, 2), nullable=False, default=1)  # hours when hors contrat
    recorded_at = sa.Column(sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())
    __table_args__ = (
        sa.UniqueConstraint("child_id", "prestation_id", "date", name="uq_attendance_child_day"),
        sa.CheckConstraint(f"status IN {ATTENDANCE_STATUSES}"),
    )


class Preinscription(Base):
    """"Ajouter un enfant": a family's request; the collectivity contacts it, then accepts
    (the child is created) or refuses with a reason."""

    __tablename__ = "preinscriptions"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    family_id = sa.Column(sa.Integer, nullable=False, index=True)
    nom = sa.Column(sa.String(100), nullable=False)
    prenom = sa.Column(sa.String(100), nullable=False)
    date_naissance = sa.Column(sa.Date, nullable=False)
    sexe = sa.Column(sa.String(1), nullable=False)
    accueil = sa.Column(sa.String(200), nullable=False, default="")  # crèche, école, centre…
    commentaire = sa.Column(sa.Text, nullable=False, default="")
    status = sa.Column(sa.String(20), nullable=False, default="en_traitement")
    motif_refus = sa.Column(sa.String(500), nullable=False, default="")
    child_id = sa.Column(sa.Integer, sa.ForeignKey("children.id"))
    requested_at = sa.Column(sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())
    decided_at = sa.Column(sa.DateTime(timezone=True))


class CollectivitySettings(Base):
    """The collectivity's settings children applies, copied from accounts' events (one row)."""

    __tablename__ = "collectivity_settings"
    id = sa.Column(sa.Integer, primary_key=True, default=1)
    name = sa.Column(sa.String(200), nullable=False, default="")
    planning_requests = sa.Column(sa.Boolean, nullable=False, default=True)
    registration_form = sa.Column(sa.Boolean, nullable=False, default=True)
    school_holiday_zone = sa.Column(sa.String(1), nullable=False, default="C")
