"""Outgoing notifications: who may be written to, and what each cause says.

Each notification is a row keyed by its cause (an event id, a message id): the same cause
queues it once, whatever the number of deliveries. Emails go out through `mailer.py`; SMS are
recorded only (no SMS gateway), when the family allows them.
"""
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.common import checks
from services.messaging.models import Contact, Notification

EMAIL, SMS = "courriel", "sms"


def save_contact(session, family):
    """Upsert from accounts' family.created / family.updated data."""
    person = family.get("responsable") or {}
    values = {
        "numero": family["numero"],
        # 100 + 100 characters and a space: cut to the column's 200
        "nom_complet": f"{person.get('prenom', '')} {person.get('nom', '')}".strip()[:200],
        "email": person.get("email") or "",
        "mobile": person.get("mobile") or "",
        "autorisation_courriel": bool(person.get("autorisation_courriel")),
        "autorisation_sms": bool(person.get("autorisation_sms")),
    }
    session.execute(insert(Contact).values(family_id=family["id"], **values)
                    .on_conflict_do_update(index_elements=[Contact.family_id], set_=values))


def notify(session, cause, family_id, subject, body, sms_text=None, email=None):
    """Queue the email (and the SMS record) of one cause, once, as the family allows.

    `email` overrides the address (the one a parent typed for a payment receipt).
    Returns the statuses queued, e.g. {"courriel": "a_envoyer", "sms": "non_autorise"}.
    """
    subject = subject[:300]  # the column's length: names and subjects make it up, up to 422
    contact = session.get(Contact, family_id)
    allowed_email = bool(contact and contact.autorisation_courriel)
    address = email or (contact.email if contact else "")
    rows = [{
        "channel": EMAIL, "recipient": address or "-",
        "status": "a_envoyer" if allowed_email and address else
                  ("non_autorise" if not allowed_email else "sans_adresse"),
    }]
    if sms_text:
        allowed_sms = bool(contact and contact.autorisation_sms and contact.mobile)
        rows.append({"channel": SMS, "recipient": (contact.mobile if contact else "") or "-",
                     "status": "sms_journalise" if allowed_sms else "non_autorise"})
    statuses = {}
    for row in rows:
        text = sms_text if row["channel"] == SMS else body
        session.execute(insert(Notification).values(
            cause=cause, family_id=family_id, subject=subject, body=text, attempts=0, **row)
            .on_conflict_do_nothing(index_elements=["cause", "channel"]))
        statuses[row["channel"]] = row["status"]
    session.info["notifications"] = True
    return statuses


def family_notifications(session, family_id):
    family_id = checks.record_id(family_id, "Famille introuvable.")
    return session.scalars(sa.select(Notification).where(Notification.family_id == family_id)
                           .order_by(Notification.id)).all()


# --- what each cause says ----------------------------------------------------------------

SIGNATURE = "\n\n--\nPortail Famille de votre collectivité. Merci de ne pas répondre à ce courriel."


def message_from_structure(structure_name, subject, portail_url):
    return (f"Nouveau message de {structure_name} : {subject}",
            f"Bonjour,\n\n{structure_name} vous a envoyé un message : « {subject} ».\n"
            f"Vous pouvez le lire dans votre Boîte de réception : {portail_url}/boite-de-reception"
            + SIGNATURE,
            f"Portail Famille : nouveau message de {structure_name}.")


def password_reset(link, valid_minutes):
    return ("Réinitialisation de votre mot de passe",
            "Bonjour,\n\nUne réinitialisation du mot de passe de votre compte famille a été "
            f"demandée. Pour choisir un nouveau mot de passe, ouvrez ce lien (valable "
            f"{valid_minutes} minutes, une seule fois) :\n{link}\n\nSi vous n'êtes pas à "
            "l'origine de cette demande, ignorez ce courriel : votre mot de passe reste "
            "inchangé." + SIGNATURE,
            None)


def request_decided(label, accepted, motif):
    if accepted:
        return (f"Votre demande a été acceptée : {label}",
                f"Bonjour,\n\nVotre demande « {label} » a été acceptée par la collectivité."
                + SIGNATURE,
                f"Portail Famille : demande acceptée ({label}).")
    return (f"Votre demande a été refusée : {label}",
            f"Bonjour,\n\nVotre demande « {label} » a été refusée par la collectivité.\n"
            f"Motif : {motif or 'non précisé'}" + SIGNATURE,
            f"Portail Famille : demande refusée ({label}).")


def invoice_issued(numero, montant, echeance, portail_url):
    return (f"Nouvelle facture {numero}",
            f"Bonjour,\n\nVotre facture {numero} d'un montant de {montant} € est disponible, "
            f"à régler avant le {echeance}.\nConsultez-la dans votre Relevé de compte : "
            f"{portail_url}/releve-de-compte" + SIGNATURE,
            f"Portail Famille : facture {numero} de {montant} € disponible.")


def payment_receipt(reference, montant, mode, date):
    return (f"Reçu de paiement {reference}",
            f"Bonjour,\n\nNous avons bien reçu votre règlement de {montant} € ({mode}) le {date} "
            f"pour {reference}.\nMerci." + SIGNATURE,
            None)
