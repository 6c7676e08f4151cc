"""Tables of the accounts database. Nothing outside this service reads them."""
import sqlalchemy as sa
from sqlalchemy import orm


class Base(orm.DeclarativeBase):
    pass


class Collectivity(Base):
    """The collectivity's profile: a single row (id 1)."""

    __tablename__ = "collectivity"
    id = sa.Column(sa.Integer, primary_key=True, default=1)
    name = sa.Column(sa.String(200), nullable=False)
    site_url = sa.Column(sa.String(500), nullable=False)  # where Déconnexion leads
    welcome_message = sa.Column(sa.Text, nullable=False, default="")
    # Ask every new account to change the password the collectivity issued at first login.
    force_password_change = sa.Column(sa.Boolean, nullable=False, default=True)
    # Shown to parents (migration 0004): the header, the login box, Infos./Documents.
    address = sa.Column(sa.String(300), nullable=False, default="")
    contact = sa.Column(sa.Text, nullable=False, default="")  # who to ask for one's login…
    infos_message = sa.Column(sa.Text, nullable=False, default="")  # "Infos./Documents"
    infos_url = sa.Column(sa.String(500), nullable=False, default="")
    logo = orm.deferred(sa.Column(sa.LargeBinary))  # PNG/JPEG/GIF/WebP, read only to serve it
    logo_content_type = sa.Column(sa.String(50), nullable=False, default="")
    logo_version = sa.Column(sa.String(16), nullable=False, default="")  # cache-busting hash
    # The guide's optional parts; billing and children keep a copy (collectivity.updated).
    show_balance = sa.Column(sa.Boolean, nullable=False, default=True)
    online_payment = sa.Column(sa.Boolean, nullable=False, default=False)
    planning_requests = sa.Column(sa.Boolean, nullable=False, default=True)
    registration_form = sa.Column(sa.Boolean, nullable=False, default=True)
    school_holiday_zone = sa.Column(sa.String(1), nullable=False, default="C")


class Family(Base):
    __tablename__ = "families"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    numero = sa.Column(sa.String(20), nullable=False, unique=True)  # "N° famille"
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())
    # Informations fiscales, CAF and bank details: changed only by accepted requests
    # (requests service), applied here on request.accepted.
    revenu_fiscal_reference = sa.Column(sa.Integer)  # euros
    nombre_parts = sa.Column(sa.Numeric(4, 2))
    regime_caf = sa.Column(sa.String(10), nullable=False, default="")  # general, msa, autre
    numero_allocataire = sa.Column(sa.String(20), nullable=False, default="")
    quotient_familial = sa.Column(sa.Integer)  # None: unknown (billing applies its top bracket)
    iban_chiffre = sa.Column(sa.Text)  # Fernet token under ACCOUNTS_DATA_KEY, never in clear
    bic = sa.Column(sa.String(11), nullable=False, default="")
    prelevement_automatique = sa.Column(sa.Boolean, nullable=False, default=False)
    persons = orm.relationship("Person", back_populates="family", lazy="selectin",
                               order_by="Person.role.desc()")


# The fields of "Mon compte", in the guide's order; shared by responsable and conjoint.
PERSON_FIELDS = (
    "civilite", "nom", "prenom", "qualite", "situation", "adresse", "code_postal", "ville",
    "telephone_domicile", "telephone_prof", "mobile", "email", "nom_banque", "titulaire_compte",
    "csp", "profession", "employeur", "adresse_employeur", "autorisation_sms",
    "autorisation_courriel", "organisme_rattachement",
)


class Person(Base):
    __tablename__ = "persons"
    __table_args__ = (sa.UniqueConstraint("family_id", "role"),
                      sa.CheckConstraint("role IN ('responsable', 'conjoint')"))
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    family_id = sa.Column(sa.Integer, sa.ForeignKey("families.id", ondelete="CASCADE"), nullable=False)
    role = sa.Column(sa.String(12), nullable=False)
    civilite = sa.Column(sa.String(20), nullable=False, default="")
    nom = sa.Column(sa.String(100), nullable=False)
    prenom = sa.Column(sa.String(100), nullable=False, default="")
    qualite = sa.Column(sa.String(50), nullable=False, default="")  # Père, Mère, Tuteur…
    situation = sa.Column(sa.String(50), nullable=False, default="")  # Marié, Séparé…
    adresse = sa.Column(sa.String(300), nullable=False, default="")
    code_postal = sa.Column(sa.String(10), nullable=False, default="")
    ville = sa.Column(sa.String(100), nullable=False, default="")
    telephone_domicile = sa.Column(sa.String(30), nullable=False, default="")
    telephone_prof = sa.Column(sa.String(30), nullable=False, default="")
    mobile = sa.Column(sa.String(30), nullable=False, default="")
    email = sa.Column(sa.String(254), nullable=False, default="")
    nom_banque = sa.Column(sa.String(100), nullable=False, default="")
    titulaire_compte = sa.Column(sa.String(200), nullable=False, default="")
    csp = sa.Column(sa.String(100), nullable=False, default="")
    profession = sa.Column(sa.String(100), nullable=False, default="")
    employeur = sa.Column(sa.String(200), nullable=False, default="")
    adresse_employeur = sa.Column(sa.String(300), nullable=False, default="")
    autorisation_sms = sa.Column(sa.Boolean, nullable=False, default=False)
    autorisation_courriel = sa.Column(sa.Boolean, nullable=False, default=False)
    organisme_rattachement = sa.Column(sa.String(100), nullable=False, default="0")
    family = orm.relationship("Family", back_populates="persons")


class Credential(Base):
    """The identifiant and password the collectivity issued to a family."""

    __tablename__ = "credentials"
    family_id = sa.Column(sa.Integer, sa.ForeignKey("families.id", ondelete="CASCADE"), primary_key=True)
    identifiant = sa.Column(sa.String(50), nullable=False, unique=True)
    password_hash = sa.Column(sa.String(200), nullable=False)
    must_change_password = sa.Column(sa.Boolean, nullable=False, default=False)
    password_changed_at = sa.Column(sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


class LoginThrottle(Base):
    """Failed logins per identifiant typed (known or not), within a 15-minute window.

    The row is locked (SELECT … FOR UPDATE) while a login is checked, so parallel guesses on
    one identifiant are counted one after the other.
    """

    __tablename__ = "login_throttles"
    identifiant = sa.Column(sa.String(100), primary_key=True)
    failures = sa.Column(sa.Integer, nullable=False, default=0)
    window_start = sa.Column(sa.DateTime(timezone=True), nullable=False)
    locked_until = sa.Column(sa.DateTime(timezone=True))


class WebSession(Base):
    """A parent's web session. Only a hash of the token is stored."""

    __tablename__ = "web_sessions"
    token_hash = sa.Column(sa.String(64), primary_key=True)
    family_id = sa.Column(sa.Integer, sa.ForeignKey("families.id", ondelete="CASCADE"),
                          nullable=False, index=True)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False)
    last_seen_at = sa.Column(sa.DateTime(timezone=True), nullable=False)
    revoked_at = sa.Column(sa.DateTime(timezone=True))


class PasswordReset(Base):
    """A "Mot de passe oublié ?" link: single use, expires. Only a hash of the token is kept."""

    __tablename__ = "password_resets"
    token_hash = sa.Column(sa.String(64), primary_key=True)
    family_id = sa.Column(sa.Integer, sa.ForeignKey("families.id", ondelete="CASCADE"),
                          nullable=False, index=True)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False)
    expires_at = sa.Column(sa.DateTime(timezone=True), nullable=False)
    used_at = sa.Column(sa.DateTime(timezone=True))


class Document(Base):
    """A document the collectivity publishes under Infos./Documents → "Formulaire"."""

    __tablename__ = "documents"
    id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
    titre = sa.Column(sa.String(200), nullable=False)
    filename = sa.Column(sa.String(200), nullable=False)
    content_type = sa.Column(sa.String(100), nullable=False)
    size = sa.Column(sa.Integer, nullable=False)
    data = orm.deferred(sa.Column(sa.LargeBinary, nullable=False))  # only read to download
    published_at = sa.Column(sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())
