"""The kinds of request: their fields, labels and checks, in one place for the service, the
gateway's forms (through `request_types`) and the "Liste des demandes" tables."""
from dataclasses import asdict, dataclass

FAMILLE, ENFANT = "famille", "enfant"


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, textarea, bool, choice, persons
    check: str = ""  # phone, postal_code, email, iban, bic, amount, parts, allocataire, qf
    required: bool = False
    choices: tuple = ()  # (value, label) pairs of a "choice"
    sensitive: bool = False  # encrypted at rest, masked on screen and in events
    help: str = ""
    # Characters at most (validation.py's default otherwise): what the owner's column holds.
    max_length: int = 0


@dataclass(frozen=True)
class Kind:
    code: str
    label: str  # the form's title, the notification's words
    filter_label: str  # the "Liste des demandes" filter
    category: str  # famille (Mon compte) or enfant (Mes enfants)
    fields: tuple
    columns: tuple = ()  # fields shown in the list's table, default: all
    from_portal: bool = True  # False: a copy of another service's request (children)

    @property
    def table_columns(self):
        names = self.columns or tuple(f.name for f in self.fields)
        return tuple(f for name in names for f in self.fields if f.name == name)

    def as_dict(self):
        return {**asdict(self), "table_columns": [asdict(f) for f in self.table_columns]}


def _contact_fields(person_label):
    return (
        Field("adresse", "Adresse", required=True),
        Field("code_postal", "Code postal", check="postal_code", required=True),
        Field("ville", "Ville", required=True, max_length=100),
        Field("telephone_domicile", "Téléphone domicile", check="phone"),
        Field("telephone_prof", "Téléphone prof.", check="phone"),
        Field("mobile", "Mobile", check="phone"),
        Field("email", "Email", check="email", max_length=254),
        Field("csp", "CSP", max_length=100),
        Field("profession", "Profession", max_length=100),
        Field("employeur", "Employeur", max_length=200),
        Field("adresse_employeur", "Adresse employeur"),
        Field("autorisation_sms", "Autorisation SMS", kind="bool",
              help=f"Recevoir les informations par SMS sur le mobile du {person_label}."),
        Field("autorisation_courriel", "Autorisation courriel", kind="bool",
              help=f"Recevoir les informations par courriel à l'adresse du {person_label}."),
    )


PERSON_COLUMNS = ("adresse", "code_postal", "ville", "telephone_domicile", "telephone_prof",
                  "mobile", "email", "profession", "employeur", "adresse_employeur")
REGIMES = (("general", "Régime général"), ("msa", "MSA"), ("autre", "Autre"))
HEALTH = (("allergies", "Allergies"), ("regime_alimentaire", "Régime alimentaire"),
          ("pai", "PAI"), ("medecin_traitant", "Médecin traitant"),
          ("vaccinations", "Vaccinations"))

KINDS = (
    Kind("responsable", "Informations responsable", "Responsable", FAMILLE, (
        Field("qualite", "Qualité", max_length=50), Field("situation", "Situation", max_length=50),
        *_contact_fields("responsable")), columns=("qualite", *PERSON_COLUMNS)),
    Kind("conjoint", "Informations conjoint", "Conjoint", FAMILLE, (
        Field("civilite", "Civilité", kind="choice",
              choices=(("", "—"), ("Madame", "Madame"), ("Monsieur", "Monsieur"))),
        Field("nom", "Nom", required=True, max_length=100),
        Field("prenom", "Prénom", required=True, max_length=100),
        *_contact_fields("conjoint")), columns=("nom", "prenom", *PERSON_COLUMNS)),
    Kind("fiscales", "Informations fiscales", "Fiscales", FAMILLE, (
        Field("revenu_fiscal_reference", "Revenu fiscal de référence (€)", check="amount",
              required=True),
        Field("nombre_parts", "Nombre de parts", check="parts", required=True,
              help="Par exemple 2,5."))),
    Kind("caf", "Informations CAF", "CAF", FAMILLE, (
        Field("regime_caf", "Régime", kind="choice", choices=REGIMES, required=True),
        Field("numero_allocataire", "Numéro d'allocataire", check="allocataire",
              help="Obligatoire pour le régime général et la MSA."),
        Field("quotient_familial", "Quotient familial", check="qf"))),
    Kind("bancaires", "Coordonnées bancaires", "Bancaires", FAMILLE, (
        Field("titulaire_compte", "Titulaire du compte", required=True, max_length=200),
        Field("nom_banque", "Nom banque", max_length=100),
        Field("iban", "IBAN", check="iban", required=True, sensitive=True,
              help="L'IBAN complet, par exemple FR76 3000 6000 0112 3456 7890 189."),
        Field("bic", "BIC", check="bic", required=True, help="8 ou 11 caractères."),
        Field("prelevement_automatique", "Payer par prélèvement automatique", kind="bool",
              help="Autorise la collectivité à prélever vos factures (mandat SEPA)."))),
    Kind("autorisations", "Autorisations", "Autorisations", ENFANT, (
        Field("photos", "Photos", kind="bool"), Field("sorties", "Sorties", kind="bool"),
        Field("transport", "Transport", kind="bool"),
        Field("rentrer_seul", "Rentrer seul", kind="bool"))),
    Kind("personnes_autorisees", "Personnes autorisées à venir chercher l'enfant",
         "Personnes autorisées", ENFANT, (
             Field("personnes_autorisees", "Personnes autorisées", kind="persons"),)),
    Kind("lunettes", "Port de lunettes", "Lunettes", ENFANT, (
        Field("lunettes", "Port de lunettes", kind="bool"),)),
    Kind("sante", "Données sanitaires", "Données sanitaires", ENFANT, tuple(
        Field(name, label, kind="textarea", sensitive=True) for name, label in HEALTH)),
    # Copies of the children service's own requests, listed here too.
    Kind("preinscription", "Pré-inscription d'un enfant", "Pré-inscriptions", ENFANT, (
        Field("nom", "Nom"), Field("prenom", "Prénom"),
        Field("date_naissance", "Date de naissance"), Field("accueil", "Accueil souhaité")),
         from_portal=False),
    Kind("reservation", "Demande de réservation", "Réservations", ENFANT, (
        Field("prestation", "Prestation"), Field("date", "Jour")), from_portal=False),
    Kind("absence", "Déclaration d'absence", "Absences", ENFANT, (
        Field("prestation", "Prestation"), Field("date", "Jour"), Field("motif", "Motif")),
         from_portal=False),
)
BY_CODE = {k.code: k for k in KINDS}


def get(code):
    return BY_CODE.get(code)
