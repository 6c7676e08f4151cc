"""The "Mon compte" tab: every field of the responsable and of the conjoint."""
from flask import Blueprint, g, render_template

from gateway.web_session import gather_page, login_required
from services.common.rpc import Call

bp = Blueprint("mon_compte", __name__)

# (label, field) pairs in the guide's two-column order.
RESPONSABLE_ROWS = (
    (("Civilité", "civilite"), ("N° Famille", "numero")),
    (("Nom", "nom"), ("Prénom", "prenom")),
    (("Qualité", "qualite"), ("Situation", "situation")),
    (("Adresse", "adresse"), ("Code postal", "code_postal")),
    (("Ville", "ville"), ("Téléphone domicile", "telephone_domicile")),
    (("Téléphone prof.", "telephone_prof"), ("Mobile", "mobile")),
    (("Email", "email"), ("Nom banque", "nom_banque")),
    (("Titulaire du compte", "titulaire_compte"), ("CSP", "csp")),
    (("Profession", "profession"), ("Employeur", "employeur")),
    (("Adresse employeur", "adresse_employeur"), ("Autorisation SMS", "autorisation_sms")),
    (("Autorisation courriel", "autorisation_courriel"),
     ("Organisme rattachement", "organisme_rattachement")),
)
CONJOINT_ROWS = (
    (("Nom", "nom"), ("Prénom", "prenom")),
    (("Adresse", "adresse"), ("Code postal", "code_postal")),
    (("Ville", "ville"), ("Téléphone domicile", "telephone_domicile")),
    (("Téléphone prof.", "telephone_prof"), ("Mobile", "mobile")),
    (("Email", "email"), ("Profession", "profession")),
    (("CSP", "csp"), ("Employeur", "employeur")),
    (("Adresse employeur", "adresse_employeur"), ("Autorisation courriel", "autorisation_courriel")),
    (("Autorisation SMS", "autorisation_sms"), None),
)
# The change requests of the left menu: (label, kind of request), forms in change_requests.py.
REQUEST_LINKS = (("Infos Responsable", "responsable"), ("Informations Conjoint", "conjoint"),
                 ("Informations Fiscales", "fiscales"), ("Informations Caf", "caf"),
                 ("Coordonnées Bancaires", "bancaires"))


@bp.get("/mon-compte")
@login_required
def account():
    family = Call("accounts", "get_family", g.account["family_id"])
    gather_page(family)
    return render_template("mon_compte.html", family=family, responsable_rows=RESPONSABLE_ROWS,
                           conjoint_rows=CONJOINT_ROWS, request_links=REQUEST_LINKS)
