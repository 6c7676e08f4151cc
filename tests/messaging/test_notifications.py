"""Notifications driven by the other services' events: an invoice issued, a payment receipt,
a planning request decided — each sent once, as the family's authorisations allow."""
import time
import uuid

from kombu import Connection, Producer

from services.common.events import event_exchange
from tests.support.families import create_family
from tests.support.messaging import contact_known, notifications_of
from tests.support.waiting import wait_for


def publish(settings, source, event_type, data, times=1):
    envelope = {"event_id": str(uuid.uuid4()), "type": event_type, "source": source,
                "occurred_at": "2026-11-29T08:00:00+00:00", "data": data}
    with Connection(settings.amqp_uri) as conn:
        producer = Producer(conn)
        for _ in range(times):
            producer.publish(envelope, exchange=event_exchange(source), routing_key=event_type,
                             serializer="json")


def family_with(backoffice, messaging_db, email, courriel=True, sms=False):
    family = create_family(backoffice, nom="FAURE", prenom="LÉA", password="Famille2026",
                           email=email, mobile="06.98.76.54.32", autorisation_courriel=courriel,
                           autorisation_sms=sms)
    contact_known(messaging_db, family["family_id"])
    return family


def test_invoice_issued_emails_the_family_once(settings, backoffice, messaging_db, mail_sink):
    family = family_with(backoffice, messaging_db, "facture@example.org")
    publish(settings, "billing", "invoice.issued", {
        "invoice_id": 1, "numero": "AL-99", "family_id": family["family_id"],
        "regie": "Régie garderie ALSH", "period_start": "2026-11-01", "period_end": "2026-11-30",
        "issued_on": "2026-12-01", "due_on": "2026-12-31", "total": "42.50"}, times=2)
    [mail] = mail_sink.wait_for("facture@example.org")
    assert mail["Subject"] == "Nouvelle facture AL-99"
    assert "42.50 €" in mail.get_content() and "31/12/2026" in mail.get_content()
    time.sleep(1.5)
    assert len(mail_sink.messages("facture@example.org")) == 1


def test_payment_receipt_goes_to_the_address_given_when_paying(settings, backoffice, messaging_db,
                                                               mail_sink):
    family = family_with(backoffice, messaging_db, "famille-recu@example.org")
    publish(settings, "billing", "payment.recorded", {
        "payment_id": 7, "numero": "AL-300", "family_id": family["family_id"],
        "regie": "Régie garderie ALSH", "mode": "carte", "mode_label": "Carte bancaire",
        "amount": "120.60", "paid_on": "2026-11-29", "invoice_numero": "AL-36",
        "email": "autre-adresse@example.org", "numauto": "123456"})
    [mail] = mail_sink.wait_for("autre-adresse@example.org")
    assert "AL-36" in mail["Subject"] and "120.60 €" in mail.get_content()
    assert mail_sink.messages("famille-recu@example.org") == []


def test_a_refused_request_names_its_reason_and_honours_sms_consent(settings, backoffice,
                                                                    messaging_db, mail_sink):
    family = family_with(backoffice, messaging_db, "demande@example.org", sms=True)
    publish(settings, "children", "planning_request.decided", {
        "family_id": family["family_id"], "child_id": 1, "child_name": "LUCAS FAURE",
        "structure": "Accueil de Loisirs", "prestation_code": "ALSH_VAC_J",
        "prestation": "ALSH Vacances journée", "unit": "jour", "date": "2026-12-21",
        "responsable": "FAURE LÉA", "kind": "reservation", "status": "refusee",
        "request_id": 2_000_000_000 - family["family_id"],  # never a real booking's id
        "motif": "", "motif_refus": "Complet"})
    [mail] = mail_sink.wait_for("demande@example.org")
    assert "refusée" in mail["Subject"] and "Motif : Complet" in mail.get_content()
    rows = wait_for(lambda: [n for n in notifications_of(messaging_db, family["family_id"])
                               if n.channel == "sms"])
    assert rows[0].status == "sms_journalise" and "refusée" in rows[0].body


def test_a_decided_preinscription_is_notified(settings, backoffice, messaging_db, mail_sink):
    family = family_with(backoffice, messaging_db, "preinscription@example.org")
    # Every subscriber sees this made-up event (requests keeps a copy): an id children will
    # never give, so it takes no real pré-inscription's place.
    publish(settings, "children", "preinscription.decided", {
        "id": 2_000_000_000 - family["family_id"], "family_id": family["family_id"],
        "nom": "FAURE", "prenom": "NOÉ",
        "date_naissance": "2023-01-05", "sexe": "M", "accueil": "Accueil de Loisirs",
        "commentaire": "", "status": "acceptee", "motif_refus": "", "child_id": 12,
        "requested_at": "2026-11-20T10:00:00+00:00", "decided_at": "2026-11-29T09:00:00+00:00"})
    [mail] = mail_sink.wait_for("preinscription@example.org")
    assert mail["Subject"] == "Votre demande a été acceptée : Pré-inscription de NOÉ FAURE"
