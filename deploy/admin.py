"""`portail-admin` (or `python -m deploy.admin`): the collectivity's back office on the command
line, over the services' RPC APIs only (never their databases), like the gateway.

    portail-admin collectivite afficher | modifier [--nom ...] [--logo FICHIER] [--zone C] ...
    portail-admin famille creer --nom DUPONT --prenom JEAN [--email ...]   prints the credentials
    portail-admin famille chercher [TEXTE] | afficher ID
    portail-admin enfant creer --famille ID ... | liste --famille ID | inscrire --enfant ID ...
    portail-admin structure creer|liste, prestation creer|liste|modifier, capacite ...
    portail-admin fermeture ajouter|supprimer|liste
    portail-admin presence --enfant ID --prestation ID --date J --statut present
    portail-admin regie ..., tarif ..., facturation --periode AAAA-MM, factures --famille ID
    portail-admin reglement --famille ID --mode cheque --montant 120.60 [--facture ID]
    portail-admin demandes liste | accepter REF | refuser REF --motif ...
    portail-admin messages liste|lire|repondre|envoyer --structure ID ...
    portail-admin documents liste | publier --titre ... --fichier F | retirer ID

`--json` (before the command) prints the services' answers as JSON, for scripts. Exit status:
0 done, 2 refused (the French message on stderr), 3 a service did not answer.
"""
import argparse
import base64
import json
import sys
import warnings
from pathlib import Path

# Imported through nameko; its deprecation notice is known and only noise here.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from services.common import settings as settings_module  # noqa: E402
from services.common.errors import PortailError, ServiceUnavailable  # noqa: E402

JOURS = {"lu": 0, "ma": 1, "me": 2, "je": 3, "ve": 4, "sa": 5, "di": 6}
ATTENDANCE = ("present", "absent_excuse", "absent_facture", "heure_hors_contrat")
PAYMENT_MODES = ("cheque", "especes", "virement", "cesu", "prelevement", "carte", "titre")


class Refused(Exception):
    """A mistake on the command line, said in French (exit status 2)."""


# --- helpers ------------------------------------------------------------------------------------

def yes_no(value):
    value = value.strip().lower()
    if value in ("oui", "o", "yes", "1", "true", "vrai"):
        return True
    if value in ("non", "n", "no", "0", "false", "faux"):
        return False
    raise argparse.ArgumentTypeError("répondez oui ou non")


def weekdays(value):
    """"lu,ma,je" → [0, 1, 3]."""
    try:
        return sorted({JOURS[part.strip().lower()[:2]] for part in value.split(",") if part.strip()})
    except KeyError:
        raise argparse.ArgumentTypeError("jours : lu, ma, me, je, ve, sa, di séparés par des "
                                         "virgules") from None


def brackets(value):
    """"600:1.60,1000:2.40,3.20" → [{"qf_max": 600, "price": "1.60"}, …, {"qf_max": None, …}]."""
    result = []
    for part in value.split(","):
        qf, _, price = part.strip().rpartition(":")
        result.append({"qf_max": int(qf) if qf else None, "price": price.strip()})
    return result


def day_fr(iso):
    return "/".join(reversed(iso[:10].split("-"))) if iso else ""


def _given(args, mapping):
    """{rpc field: value} of the options given on the command line (None: not given)."""
    return {field: getattr(args, option) for option, field in mapping.items()
            if getattr(args, option) is not None}


# --- commands: each takes (rpc, args) and returns (answer, text for a person) -------------------

COLLECTIVITY_OPTIONS = {
    "nom": "name", "adresse": "address", "site": "site_url", "message_accueil": "welcome_message",
    "contact": "contact", "infos_message": "infos_message", "infos_lien": "infos_url",
    "solde": "show_balance", "paiement_en_ligne": "online_payment",
    "demandes_planning": "planning_requests", "fiche_inscription": "registration_form",
    "changement_mot_de_passe": "force_password_change", "zone": "school_holiday_zone",
}
COLLECTIVITY_LABELS = (
    ("name", "Nom"), ("address", "Adresse"), ("site_url", "Site"),
    ("welcome_message", "Message d'accueil"), ("contact", "Contact"),
    ("infos_message", "Infos./Documents, message"), ("infos_url", "Infos./Documents, lien"),
    ("logo", "Logo"), ("show_balance", "Solde affiché"), ("online_payment", "Paiement en ligne"),
    ("planning_requests", "Demandes depuis le planning"),
    ("registration_form", "Fiche d'inscription"),
    ("force_password_change", "Changement du mot de passe à la première connexion"),
    ("school_holiday_zone", "Zone de vacances scolaires"),
)


def _collectivity_text(c):
    def show(value):
        return {True: "oui", False: "non"}.get(value, value) if isinstance(value, bool) else value
    return "\n".join(f"{label} : {show(c.get(field, ''))}" for field, label in COLLECTIVITY_LABELS)


def collectivite_afficher(rpc, args):
    c = rpc.call("accounts", "get_collectivity")
    return c, _collectivity_text(c)


def collectivite_modifier(rpc, args):
    fields = _given(args, COLLECTIVITY_OPTIONS)
    if args.logo:
        fields["logo_base64"] = base64.b64encode(Path(args.logo).read_bytes()).decode()
    elif args.sans_logo:
        fields["logo_base64"] = ""
    if not fields:
        raise Refused("Indiquez au moins un paramètre à modifier (voir --help).")
    c = rpc.call("accounts", "update_collectivity", **fields)
    return c, "Paramètres de la collectivité enregistrés.\n" + _collectivity_text(c)


PERSON_OPTIONS = {"civilite": "civilite", "nom": "nom", "prenom": "prenom", "qualite": "qualite",
                  "situation": "situation", "adresse": "adresse", "code_postal": "code_postal",
                  "ville": "ville", "telephone": "telephone_domicile", "mobile": "mobile",
                  "email": "email"}


def famille_creer(rpc, args):
    responsable = _given(args, PERSON_OPTIONS)
    responsable["autorisation_courriel"] = bool(responsable.get("email"))
    conjoint = None
    if args.conjoint_nom:
        conjoint = {"nom": args.conjoint_nom, "prenom": args.conjoint_prenom or "",
                    "civilite": args.conjoint_civilite or ""}
    created = rpc.call("accounts", "create_family", responsable, conjoint, args.numero)
    family = created["family"]
    text = (f"Famille {family['numero']} créée (id {family['id']}) : "
            f"{family['responsable']['nom']} {family['responsable']['prenom']}\n"
            f"Identifiant : {created['identifiant']}\n"
            f"Mot de passe initial : {created['password']}\n"
            "À remettre à la famille : le mot de passe devra être changé à la première connexion.")
    return created, text


def famille_chercher(rpc, args):
    found = rpc.call("accounts", "search_families", args.texte or "", args.limite)
    lines = [f"{f['id']:>6}  {f['numero']}  {f['nom']} {f['prenom']}  {f['email']}" for f in found]
    return found, "\n".join(lines) or "Aucune famille trouvée."


def famille_afficher(rpc, args):
    family = rpc.call("accounts", "get_family", args.id)
    lines = [f"Famille {family['numero']} (id {family['id']})"]
    for role in ("responsable", "conjoint"):
        person = family.get(role)
        if person:
            lines.append(f"{role.capitalize()} : {person['civilite']} {person['nom']} "
                         f"{person['prenom']}, {person['adresse']} {person['code_postal']} "
                         f"{person['ville']}, {person['email']}".replace(" ,", ","))
    return family, "\n".join(lines)


def enfant_creer(rpc, args):
    data = {"nom": args.nom, "prenom": args.prenom, "date_naissance": args.naissance,
            "sexe": args.sexe, "ecole": args.ecole or "", "classe": args.classe or ""}
    child = rpc.call("children", "create_child", args.famille, data)
    return child, f"Enfant {child['prenom']} {child['nom']} enregistré (id {child['id']})."


def enfant_liste(rpc, args):
    children = rpc.call("children", "list_children", args.famille)
    lines = [f"{c['id']:>6}  {c['prenom']} {c['nom']}  né(e) le {day_fr(c['date_naissance'])}  "
             f"{c['ecole']} {c['classe']}".rstrip() for c in children]
    return children, "\n".join(lines) or "Aucun enfant."


def enfant_inscrire(rpc, args):
    responsable = args.responsable
    if not responsable:  # the family's responsable pays, as on the guide's planning
        child = rpc.call("children", "get_child", None, args.enfant)
        person = rpc.call("accounts", "get_family", child["family_id"])["responsable"]
        responsable = f"{person['nom']} {person['prenom']}".strip()
    enrolment = rpc.call("children", "enrol", args.enfant, args.prestation, args.debut, args.fin,
                         responsable, args.jours_reguliers or [])
    return enrolment, (f"Inscription enregistrée (id {enrolment['id']}) du {day_fr(args.debut)} "
                       f"au {day_fr(args.fin)}.")


def structure_creer(rpc, args):
    structure = rpc.call("children", "create_structure", args.nom, args.position)
    return structure, f"Structure « {structure['nom']} » créée (id {structure['id']})."


def structure_liste(rpc, args):
    structures = rpc.call("children", "list_structures")
    return structures, "\n".join(f"{s['id']:>6}  {s['nom']}" for s in structures) or "Aucune structure."


PRESTATION_OPTIONS = {
    "code": "code", "nom": "nom", "periode": "periode", "jours": "jours_semaine",
    "capacite": "capacite", "unite": "unite", "position": "position",
    "delai_reservation": "reservation_jours", "heure_reservation": "reservation_heure",
    "delai_annulation": "annulation_jours", "heure_annulation": "annulation_heure",
    "confirmation_auto": "confirmation_auto", "liste_attente": "liste_attente",
}


def _prestation_text(p):
    return (f"{p['id']:>6}  {p['code']}  {p['structure']} — {p['nom']}  ({p['periode']}, "
            f"{p['capacite']} places, par {p['unite']})")


def prestation_creer(rpc, args):
    fields = _given(args, PRESTATION_OPTIONS)
    prestation = rpc.call("children", "create_prestation", args.structure, **fields)
    return prestation, "Prestation créée :\n" + _prestation_text(prestation)


def prestation_modifier(rpc, args):
    fields = _given(args, PRESTATION_OPTIONS)
    if not fields:
        raise Refused("Indiquez au moins un paramètre à modifier (voir --help).")
    prestation = rpc.call("children", "update_prestation", args.id, **fields)
    return prestation, "Prestation modifiée :\n" + _prestation_text(prestation)


def prestation_liste(rpc, args):
    prestations = rpc.call("children", "list_prestations")
    return prestations, "\n".join(map(_prestation_text, prestations)) or "Aucune prestation."


def capacite(rpc, args):
    prestation = rpc.call("children", "update_prestation", args.prestation, capacite=args.places)
    return prestation, f"Capacité de « {prestation['nom']} » : {prestation['capacite']} places."


def fermeture_ajouter(rpc, args):
    closure = rpc.call("children", "add_closure", args.date, args.motif or "", args.prestation)
    return closure, (f"Fermeture du {day_fr(closure['date'])} enregistrée (id {closure['id']}) : "
                     "les réservations de ce jour sont annulées.")


def fermeture_supprimer(rpc, args):
    rpc.call("children", "remove_closure", args.id)
    return None, "Fermeture supprimée."


def fermeture_liste(rpc, args):
    closures = rpc.call("children", "list_closures", args.du, args.au)
    lines = [f"{c['id']:>6}  {day_fr(c['date'])}  {c['motif']}  "
             f"{'toutes prestations' if c['prestation_id'] is None else 'prestation ' + str(c['prestation_id'])}"
             for c in closures]
    return closures, "\n".join(lines) or "Aucune fermeture."


def presence(rpc, args):
    recorded = rpc.call("children", "record_attendance", args.enfant, args.prestation, args.date,
                        args.statut, args.heures)
    return recorded, (f"Présence enregistrée : {recorded['child_name']}, {recorded['prestation']}, "
                      f"{day_fr(recorded['date'])} : {args.statut}.")


def regie(rpc, args):
    saved = rpc.call("billing", "save_regie", args.code, args.nom)
    return saved, f"Régie {saved['code']} « {saved['name']} » enregistrée."


def tarif(rpc, args):
    saved = rpc.call("billing", "save_tariff", args.prestation_code, args.regie, args.libelle,
                     args.unite, args.prix, args.hors_commune, args.majoration)
    return saved, f"Tarif de {args.prestation_code} enregistré."


def facturation(rpc, args):
    summary = rpc.call("billing", "run_invoicing", args.periode, args.date_emission)
    text = (f"Période {summary['period']} : {summary['created']} facture(s) émise(s), "
            f"{summary['existing']} déjà émise(s).")
    if summary.get("without_tariff"):
        text += "\nPrestations sans tarif (non facturées) : " + ", ".join(summary["without_tariff"])
    return summary, text


def factures(rpc, args):
    unpaid = rpc.call("billing", "unpaid_invoices", args.famille)
    lines = [f"{i['id']:>6}  {i['numero']}  du {day_fr(i['date'])}  échéance {day_fr(i['due_on'])}  "
             f"reste {i['remaining']} €" for i in unpaid["invoices"]]
    return unpaid, ("\n".join(lines) + f"\nTotal impayé : {unpaid['total']} €") if lines \
        else "Aucune facture impayée."


def reglement(rpc, args):
    payment = rpc.call("billing", "record_payment", args.famille, args.mode, args.montant,
                       args.date, args.facture, args.regie, args.reference or "")
    return payment, f"Règlement {payment['numero']} de {payment['amount']} € enregistré."


def _children_request_ref(ref):
    """"reservation:12" → ("reservation", 12); a plain number is the requests service's id."""
    kind, _, number = ref.partition(":")
    if not number:
        return None, int(ref)
    if kind not in ("reservation", "absence", "preinscription"):
        raise Refused("Référence de demande : un numéro, ou reservation:N, absence:N, "
                      "preinscription:N.")
    return kind, int(number)


def demandes_liste(rpc, args):
    try:
        pending = rpc.call("requests", "pending_requests", args.type)
        lines = [f"{r['id']:>6}  {day_fr(r['requested_at'])}  famille {r['family_id']}  "
                 f"{r['label']} : {r['subject']}" for r in pending]
        return pending, "\n".join(lines) or "Aucune demande en attente."
    except ServiceUnavailable:
        pass  # without the requests service: the children service's own pending requests
    planning = rpc.call("children", "pending_requests")
    preinscriptions = rpc.call("children", "list_preinscriptions")
    lines = [f"{r['kind']}:{r['id']}  famille {r['family_id']}  {r['child_name']}, "
             f"{r['prestation']}, {day_fr(r['date'])}  {r['motif']}".rstrip() for r in planning]
    lines += [f"preinscription:{p['id']}  famille {p['family_id']}  {p['prenom']} {p['nom']}, "
              f"né(e) le {day_fr(p['date_naissance'])}  {p['accueil']}" for p in preinscriptions]
    return {"planning": planning, "preinscriptions": preinscriptions}, \
        "\n".join(lines) or "Aucune demande en attente."


def _decide(rpc, args, accept):
    if not accept and not args.motif:
        raise Refused("Indiquez le motif du refus (--motif).")
    kind, number = _children_request_ref(args.ref)
    motif = "" if accept else args.motif
    if kind is None:
        result = (rpc.call("requests", "accept_request", number) if accept
                  else rpc.call("requests", "refuse_request", number, motif))
    else:
        method = {"reservation": "decide_booking", "absence": "decide_absence",
                  "preinscription": "decide_preinscription"}[kind]
        result = rpc.call("children", method, number, accept, motif)
    return result, f"Demande {args.ref} {'acceptée' if accept else 'refusée'}."


def demandes_accepter(rpc, args):
    return _decide(rpc, args, True)


def demandes_refuser(rpc, args):
    return _decide(rpc, args, False)


def messages_liste(rpc, args):
    threads = rpc.call("messaging", "structure_threads", args.structure)
    lines = [f"{t['id']:>6}  {day_fr(t['last_message_at'])}  {t['subject']}  "
             f"({t['messages_count']} message(s), {t['unread']} non lu(s), dernier : "
             f"{t['last_author']})" for t in threads]
    return threads, "\n".join(lines) or "Aucun message."


def messages_lire(rpc, args):
    thread = rpc.call("messaging", "structure_thread", args.structure, args.fil)
    lines = [f"Objet : {thread['subject']}"]
    for m in thread["messages"]:
        lines.append(f"--- {m['author_name']}, {day_fr(m['created_at'])}\n{m['body']}")
    return thread, "\n".join(lines)


def messages_repondre(rpc, args):
    thread = rpc.call("messaging", "structure_reply", args.structure, args.fil, args.texte,
                      args.signature)
    return thread, "Réponse envoyée : la famille est prévenue."


def messages_envoyer(rpc, args):
    structure = _structure(rpc, args.structure)
    sent = rpc.call("messaging", "send_to_family", args.famille, structure, args.objet, args.texte)
    return sent, f"Message envoyé (fil {sent['thread_id']})."


def _structure(rpc, structure_id):
    for s in rpc.call("children", "list_structures"):
        if s["id"] == structure_id:
            return {"id": s["id"], "nom": s["nom"]}
    raise Refused(f"Structure inconnue : {structure_id} (voir « structure liste »).")


def documents_liste(rpc, args):
    documents = rpc.call("accounts", "list_documents")
    lines = [f"{d['id']:>6}  {day_fr(d['published_at'])}  {d['titre']}  ({d['filename']}, "
             f"{d['size']} octets)" for d in documents]
    return documents, "\n".join(lines) or "Aucun document publié."


def documents_publier(rpc, args):
    path = Path(args.fichier)
    document = rpc.call("accounts", "publish_document", args.titre, path.name,
                        base64.b64encode(path.read_bytes()).decode())
    return document, f"Document « {document['titre']} » publié (id {document['id']})."


def documents_retirer(rpc, args):
    rpc.call("accounts", "remove_document", args.id)
    return None, "Document retiré."


# --- the command line ---------------------------------------------------------------------------

def _options(parser, spec):
    """spec: {option name: dict of add_argument keywords}."""
    for name, kwargs in spec.items():
        parser.add_argument("--" + name.replace("_", "-"), dest=name, **kwargs)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="portail-admin", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=__doc__.split("\n\n")[0], epilog="Aide d'une commande : portail-admin "
        "<commande> [<action>] --help")
    parser.add_argument("--json", action="store_true", help="réponses des services en JSON")
    commands = parser.add_subparsers(dest="command", metavar="commande", required=True)

    def group(name, help_text):
        sub = commands.add_parser(name, help=help_text)
        return sub.add_subparsers(dest="action", metavar="action", required=True)

    def action(actions, name, fn, help_text, spec=None, positional=()):
        sub = actions.add_parser(name, help=help_text)
        for arg, kwargs in positional:
            sub.add_argument(arg, **kwargs)
        _options(sub, spec or {})
        sub.set_defaults(fn=fn)
        return sub

    def single(name, fn, help_text, spec):
        sub = commands.add_parser(name, help=help_text)
        _options(sub, spec)
        sub.set_defaults(fn=fn)

    text, yn = {}, {"type": yes_no, "metavar": "oui|non"}
    req = {"required": True}

    c = group("collectivite", "profil et paramètres de la collectivité")
    action(c, "afficher", collectivite_afficher, "les paramètres actuels")
    action(c, "modifier", collectivite_modifier, "modifier des paramètres", {
        "nom": text, "adresse": text, "site": text, "message_accueil": text, "contact": text,
        "infos_message": text, "infos_lien": text, "solde": yn, "paiement_en_ligne": yn,
        "demandes_planning": yn, "fiche_inscription": yn, "changement_mot_de_passe": yn,
        "zone": {"choices": ("A", "B", "C")}, "logo": {"metavar": "FICHIER"},
        "sans_logo": {"action": "store_true"}})

    f = group("famille", "familles et comptes")
    action(f, "creer", famille_creer, "créer une famille et son compte (affiche les identifiants)", {
        "nom": req, "prenom": req, "civilite": text, "qualite": text, "situation": text,
        "adresse": text, "code_postal": text, "ville": text, "telephone": text, "mobile": text,
        "email": text, "conjoint_nom": text, "conjoint_prenom": text, "conjoint_civilite": text,
        "numero": {"help": "N° famille (par défaut : le suivant)"}})
    action(f, "chercher", famille_chercher, "chercher par N° famille ou nom",
           {"limite": {"type": int, "default": 50}},
           positional=[("texte", {"nargs": "?"})])
    action(f, "afficher", famille_afficher, "une famille", positional=[("id", {"type": int})])

    e = group("enfant", "enfants et inscriptions")
    action(e, "creer", enfant_creer, "enregistrer un enfant d'une famille", {
        "famille": {"type": int, **req}, "nom": req, "prenom": req,
        "naissance": {"metavar": "AAAA-MM-JJ", **req}, "sexe": {"choices": ("F", "M"), **req},
        "ecole": text, "classe": text})
    action(e, "liste", enfant_liste, "les enfants d'une famille", {"famille": {"type": int, **req}})
    action(e, "inscrire", enfant_inscrire, "inscrire un enfant à une prestation", {
        "enfant": {"type": int, **req}, "prestation": {"type": int, **req},
        "debut": {"metavar": "AAAA-MM-JJ", **req}, "fin": {"metavar": "AAAA-MM-JJ", **req},
        "responsable": {"help": "qui paie, « NOM PRENOM » (par défaut : le responsable)"},
        "jours_reguliers": {"type": weekdays, "metavar": "lu,ma,..."}})

    s = group("structure", "structures d'accueil")
    action(s, "creer", structure_creer, "créer une structure",
           {"nom": req, "position": {"type": int, "default": 0}})
    action(s, "liste", structure_liste, "les structures")

    p = group("prestation", "prestations (accueils) des structures")
    prestation_spec = {
        "code": text, "nom": text, "periode": {"choices": ("scolaire", "mercredi", "vacances")},
        "jours": {"type": weekdays, "metavar": "lu,ma,..."}, "capacite": {"type": int},
        "unite": {"choices": ("jour", "demi-journee", "repas", "heure")},
        "position": {"type": int}, "delai_reservation": {"type": int},
        "heure_reservation": {"type": int}, "delai_annulation": {"type": int},
        "heure_annulation": {"type": int}, "confirmation_auto": yn, "liste_attente": yn}
    action(p, "creer", prestation_creer, "créer une prestation",
           {"structure": {"type": int, **req}, **prestation_spec})
    action(p, "modifier", prestation_modifier, "capacité, délais, confirmation, liste d'attente",
           prestation_spec, positional=[("id", {"type": int})])
    action(p, "liste", prestation_liste, "les prestations")
    single("capacite", capacite, "le nombre de places d'une prestation",
           {"prestation": {"type": int, **req}, "places": {"type": int, **req}})

    fe = group("fermeture", "jours de fermeture")
    action(fe, "ajouter", fermeture_ajouter, "fermer un jour (une prestation, ou toutes)", {
        "date": {"metavar": "AAAA-MM-JJ", **req}, "motif": text, "prestation": {"type": int}})
    action(fe, "supprimer", fermeture_supprimer, "rouvrir", positional=[("id", {"type": int})])
    action(fe, "liste", fermeture_liste, "les fermetures d'une période",
           {"du": {"metavar": "AAAA-MM-JJ", **req}, "au": {"metavar": "AAAA-MM-JJ", **req}})

    single("presence", presence, "pointer la présence d'un enfant", {
        "enfant": {"type": int, **req}, "prestation": {"type": int, **req},
        "date": {"metavar": "AAAA-MM-JJ", **req}, "statut": {"choices": ATTENDANCE, **req},
        "heures": {"help": "heures hors contrat (statut heure_hors_contrat)"}})
    single("regie", regie, "créer ou renommer une régie", {"code": req, "nom": req})
    single("tarif", tarif, "le tarif d'une prestation, par quotient familial", {
        "prestation_code": req, "regie": req, "libelle": req,
        "unite": {"choices": ("jour", "demi-journee", "repas", "heure"), **req},
        "prix": {"type": brackets, "metavar": "QF:PRIX,...,PRIX", **req},
        "hors_commune": req, "majoration": {"default": "0"}})
    single("facturation", facturation, "émettre les factures d'un mois", {
        "periode": {"metavar": "AAAA-MM", **req}, "date_emission": {"metavar": "AAAA-MM-JJ"}})
    single("factures", factures, "les factures impayées d'une famille",
           {"famille": {"type": int, **req}})
    single("reglement", reglement, "enregistrer un règlement", {
        "famille": {"type": int, **req}, "mode": {"choices": PAYMENT_MODES, **req},
        "montant": req, "facture": {"type": int}, "date": {"metavar": "AAAA-MM-JJ"},
        "regie": text, "reference": text})

    d = group("demandes", "demandes des familles (réservations, absences, modifications)")
    action(d, "liste", demandes_liste, "les demandes en attente", {"type": text})
    ref = [("ref", {"help": "N° de la demande (ou reservation:N, absence:N, preinscription:N)"})]
    action(d, "accepter", demandes_accepter, "accepter une demande", {"motif": text},
           positional=ref)
    action(d, "refuser", demandes_refuser, "refuser une demande (avec son motif)",
           {"motif": text}, positional=ref)

    ms = group("messages", "boîte de réception des structures")
    structure = {"structure": {"type": int, **req}}
    action(ms, "liste", messages_liste, "les fils d'une structure", structure)
    action(ms, "lire", messages_lire, "lire un fil", structure, positional=[("fil", {"type": int})])
    action(ms, "repondre", messages_repondre, "répondre à un fil",
           {**structure, "texte": req, "signature": text}, positional=[("fil", {"type": int})])
    action(ms, "envoyer", messages_envoyer, "écrire à une famille",
           {**structure, "famille": {"type": int, **req}, "objet": req, "texte": req})

    do = group("documents", "documents à télécharger (Infos./Documents, Formulaire)")
    action(do, "liste", documents_liste, "les documents publiés")
    action(do, "publier", documents_publier, "publier un document",
           {"titre": req, "fichier": req})
    action(do, "retirer", documents_retirer, "retirer un document", positional=[("id", {"type": int})])
    return parser


def main(argv=None, out=None, rpc=None):
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    own = rpc is None
    if own:
        from services.common.rpc import RpcClient

        rpc = RpcClient(settings_module.load(), size=1, circuit_seconds=0)
    try:
        answer, text = args.fn(rpc, args)
    except ServiceUnavailable as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return 3
    except (PortailError, Refused, OSError) as exc:  # OSError: a file to send was not found
        print(f"erreur : {exc}", file=sys.stderr)
        return 2
    finally:
        if own:
            rpc.close()
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2), file=out)
    else:
        print(text, file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
