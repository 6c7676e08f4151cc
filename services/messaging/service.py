"""messaging service: RPC entrypoints and event handlers only; logic in inbox.py,
notifications.py and mailer.py."""
import base64

import sqlalchemy as sa
from nameko.rpc import rpc

from services.common import checks
from services.common import settings as settings_module
from services.common.db import Database
from services.common.errors import EXPECTED, ValidationError
from services.common.events import subscribe
from services.common.rpc import ServiceRpc
from services.messaging import inbox, notifications
from services.messaging.inbox import FAMILY, STRUCTURE
from services.messaging.mailer import Mailer
from services.messaging.models import Contact

PORTAIL_URL = settings_module.load().portail_url


class MessagingService:
    name = "messaging"

    db = Database()
    mailer = Mailer()
    children = ServiceRpc("children")

    @rpc
    def health(self):
        self.db.execute(sa.text("SELECT 1"))
        return {"service": self.name, "status": "ok"}

    # --- the family's Boîte de réception (through the gateway) -----------------------------

    @rpc(expected_exceptions=EXPECTED)
    def unread_count(self, family_id):
        return inbox.unread_count(self.db, family_id)

    @rpc(expected_exceptions=EXPECTED)
    def list_threads(self, family_id, box="reception"):
        return [inbox.thread_summary(t, FAMILY)
                for t in inbox.family_threads(self.db, family_id, box)]

    @rpc(expected_exceptions=EXPECTED)
    def get_thread(self, family_id, thread_id):
        """The thread with its messages; the structure's messages become read."""
        thread = inbox.family_thread(self.db, family_id, thread_id)
        inbox.mark_read(thread, FAMILY)
        self.db.commit()
        return inbox.thread_dict(thread, FAMILY)

    @rpc(expected_exceptions=EXPECTED)
    def send_message(self, family_id, structure, subject, body, attachments=None):
        """A new message from the family to one of its structures."""
        thread = inbox.start_thread(self.db, family_id, structure, subject, body, FAMILY,
                                    self._family_name(family_id), attachments)
        self.db.commit()
        return inbox.thread_summary(thread, FAMILY)

    @rpc(expected_exceptions=EXPECTED)
    def reply(self, family_id, thread_id, body, attachments=None):
        thread = inbox.family_thread(self.db, family_id, thread_id)
        inbox.reply(self.db, thread, FAMILY, self._family_name(family_id), body, attachments)
        self.db.commit()
        return inbox.thread_dict(thread, FAMILY)

    @rpc(expected_exceptions=EXPECTED)
    def delete_thread(self, family_id, thread_id):
        thread = inbox.family_thread(self.db, family_id, thread_id)
        thread.deleted_by_family_at = inbox.now()
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED)
    def restore_thread(self, family_id, thread_id):
        thread = inbox.family_thread(self.db, family_id, thread_id)
        thread.deleted_by_family_at = None
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED)
    def get_attachment(self, family_id, attachment_id):
        attachment = inbox.attachment_of_family(self.db, family_id, attachment_id)
        return {"filename": attachment.filename, "content_type": attachment.content_type,
                "content_base64": base64.b64encode(attachment.data).decode()}

    # --- back office --------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def structure_threads(self, structure_id):
        return [inbox.thread_summary(t, STRUCTURE)
                for t in inbox.structure_threads(self.db, structure_id)]

    @rpc(expected_exceptions=EXPECTED)
    def structure_thread(self, structure_id, thread_id):
        """A thread as the structure reads it; the family's messages become read."""
        thread = inbox.structure_thread(self.db, structure_id, thread_id)
        inbox.mark_read(thread, STRUCTURE)
        self.db.commit()
        return inbox.thread_dict(thread, STRUCTURE)

    @rpc(expected_exceptions=EXPECTED)
    def structure_reply(self, structure_id, thread_id, body, author_name=None):
        thread = inbox.structure_thread(self.db, structure_id, thread_id)
        message = inbox.reply(self.db, thread, STRUCTURE, author_name or thread.structure_name,
                              body)
        self._notify_family(thread, message)
        self.db.commit()
        return inbox.thread_dict(thread, STRUCTURE)

    @rpc(expected_exceptions=EXPECTED)
    def send_to_family(self, family_id, structure, subject, body):
        return self._send_from_structure([family_id], structure, subject, body)[0]

    @rpc(expected_exceptions=EXPECTED)
    def broadcast(self, family_ids, structure, subject, body):
        """The same message to several families (one thread each)."""
        if not family_ids or not isinstance(family_ids, list):
            raise ValidationError("Aucune famille destinataire.")
        family_ids = {checks.record_id(f, "Famille introuvable.") for f in family_ids}
        return self._send_from_structure(sorted(family_ids), structure, subject, body)

    @rpc(expected_exceptions=EXPECTED)
    def broadcast_to_prestation(self, prestation_id, structure, subject, body):
        """To every family with a child enrolled in the prestation (e.g. a closure notice)."""
        family_ids = self.children.families_enrolled(prestation_id)
        if not family_ids:
            raise ValidationError("Aucune famille n'est inscrite à cette prestation.")
        return self._send_from_structure(sorted(set(family_ids)), structure, subject, body)

    @rpc(expected_exceptions=EXPECTED)
    def notifications(self, family_id):
        return [{"cause": n.cause, "channel": n.channel, "recipient": n.recipient,
                 "subject": n.subject, "status": n.status, "attempts": n.attempts}
                for n in notifications.family_notifications(self.db, family_id)]

    # --- events from the other services -----------------------------------------------------

    @subscribe("accounts", "family.created")
    def on_family_created(self, data, envelope):
        notifications.save_contact(self.db, data)

    @subscribe("accounts", "family.updated")
    def on_family_updated(self, data, envelope):
        notifications.save_contact(self.db, data)

    @subscribe("accounts", "password_reset.requested")
    def on_password_reset_requested(self, data, envelope):
        link = f"{PORTAIL_URL}/mot-de-passe-oublie/{data['token']}"
        subject, body, _ = notifications.password_reset(link, data["valid_minutes"])
        notifications.notify(self.db, f"event:{envelope['event_id']}", data["family_id"],
                             subject, body, email=data["email"])

    @subscribe("children", "planning_request.decided")
    def on_planning_request_decided(self, data, envelope):
        kind = "Réservation" if data["kind"] == "reservation" else "Absence"
        day = "/".join(reversed(data["date"].split("-")))
        label = f"{kind} {data['prestation']} du {day} ({data['child_name']})"
        subject, body, sms = notifications.request_decided(
            label, data["status"] == "acceptee", data.get("motif_refus"))
        notifications.notify(self.db, f"event:{envelope['event_id']}", data["family_id"],
                             subject, body, sms)

    @subscribe("children", "preinscription.decided")
    def on_preinscription_decided(self, data, envelope):
        label = f"Pré-inscription de {data['prenom']} {data['nom']}"
        subject, body, sms = notifications.request_decided(
            label, data["status"] == "acceptee", data.get("motif_refus"))
        notifications.notify(self.db, f"event:{envelope['event_id']}", data["family_id"],
                             subject, body, sms)

    @subscribe("requests", "request.accepted")
    def on_request_accepted(self, data, envelope):
        self._request_decided(data, envelope)

    @subscribe("requests", "request.refused")
    def on_request_refused(self, data, envelope):
        self._request_decided(data, envelope)

    @subscribe("billing", "invoice.issued")
    def on_invoice_issued(self, data, envelope):
        due = "/".join(reversed(data["due_on"].split("-")))
        subject, body, sms = notifications.invoice_issued(data["numero"], data["total"], due,
                                                          PORTAIL_URL)
        notifications.notify(self.db, f"event:{envelope['event_id']}", data["family_id"],
                             subject, body, sms)

    @subscribe("billing", "payment.recorded")
    def on_payment_recorded(self, data, envelope):
        reference = data.get("invoice_numero") or data["numero"]
        paid_on = "/".join(reversed(data["paid_on"].split("-")))
        subject, body, _ = notifications.payment_receipt(reference, data["amount"],
                                                         data["mode_label"], paid_on)
        # The receipt goes to the address the parent gave when paying online, if any.
        notifications.notify(self.db, f"event:{envelope['event_id']}", data["family_id"],
                             subject, body, email=data.get("email"))

    # --- helpers -------------------------------------------------------------------------------

    def _family_name(self, family_id):
        contact = self.db.get(Contact, checks.record_id(family_id, "Famille introuvable."))
        return contact.nom_complet if contact and contact.nom_complet else "Famille"

    def _request_decided(self, data, envelope):
        """A change request of the family record or of a child's, accepted or refused."""
        subject, body, sms = notifications.request_decided(
            data["label"], data["status"] == "acceptee", data.get("motif_refus"))
        notifications.notify(self.db, f"event:{envelope['event_id']}", data["family_id"],
                             subject, body, sms)

    def _notify_family(self, thread, message):
        subject, body, sms = notifications.message_from_structure(
            thread.structure_name, thread.subject, PORTAIL_URL)
        notifications.notify(self.db, f"message:{message.id}", thread.family_id, subject, body, sms)

    def _send_from_structure(self, family_ids, structure, subject, body):
        sent = []
        for family_id in family_ids:
            thread = inbox.start_thread(self.db, family_id, structure, subject, body, STRUCTURE,
                                        structure.get("nom") if isinstance(structure, dict) else "")
            self._notify_family(thread, thread.messages[-1])
            sent.append({"family_id": family_id, "thread_id": thread.id})
        self.db.commit()
        return sent
