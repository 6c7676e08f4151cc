"""Boîte de réception and notifications against the real services, broker, database and an
SMTP server process."""
import base64
import time

import pytest
import sqlalchemy as sa
from kombu import Connection, Producer

from services.common.errors import NotFound, ValidationError
from services.common.events import event_exchange
from services.messaging.models import Thread
from tests.support.messaging import contact_known, notifications_of
from tests.support.families import create_family
from tests.support.waiting import wait_for

# A made-up structure: an id no structure created by other tests has (they would see its threads).
ALSH = {"id": 990001, "nom": "Accueil de Loisirs"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def new_parent(backoffice, messaging_db, email, courriel=True, sms=True):
    family = create_family(backoffice, nom="ROUSSEAU", prenom="EMMA", password="Famille2026",
                           email=email, mobile="06.11.22.33.44",
                           autorisation_courriel=courriel, autorisation_sms=sms)
    family["email"] = email
    contact_known(messaging_db, family["family_id"])
    return family


def test_round_trip_family_structure_reply_and_unread_count(backoffice, messaging_db, mail_sink):
    parent = new_parent(backoffice, messaging_db, "aller-retour@example.org")
    fid = parent["family_id"]
    sent = backoffice.call("messaging", "send_message", fid, ALSH, "Sortie de mercredi",
                           "Bonjour, à quelle heure finit la sortie ?")
    threads = backoffice.call("messaging", "structure_threads", ALSH["id"])
    assert any(t["id"] == sent["id"] and t["unread"] == 1 for t in threads)
    read = backoffice.call("messaging", "structure_thread", ALSH["id"], sent["id"])
    assert read["messages"][0]["author_name"] == "EMMA ROUSSEAU"
    assert backoffice.call("messaging", "unread_count", fid) == 0

    backoffice.call("messaging", "structure_reply", ALSH["id"], sent["id"], "Vers 17 h.")
    assert backoffice.call("messaging", "unread_count", fid) == 1
    received = backoffice.call("messaging", "list_threads", fid, "reception")
    assert [t["id"] for t in received] == [sent["id"]]
    sent_box = backoffice.call("messaging", "list_threads", fid, "envoyes")
    assert sent_box[0]["messages_count"] == 2  # the sent message with the reply it got
    thread = backoffice.call("messaging", "get_thread", fid, sent["id"])
    assert [m["body"] for m in thread["messages"]] == [
        "Bonjour, à quelle heure finit la sortie ?", "Vers 17 h."]
    assert backoffice.call("messaging", "unread_count", fid) == 0

    mails = mail_sink.wait_for(parent["email"])
    assert len(mails) == 1 and "Accueil de Loisirs" in mails[0]["Subject"]
    statuses = {(n.channel, n.status) for n in notifications_of(messaging_db, fid)}
    assert statuses == {("courriel", "envoye"), ("sms", "sms_journalise")}


def test_delete_and_restore(backoffice, messaging_db):
    parent = new_parent(backoffice, messaging_db, "corbeille@example.org")
    fid = parent["family_id"]
    sent = backoffice.call("messaging", "send_to_family", fid, ALSH, "Info", "Fermeture")
    assert backoffice.call("messaging", "unread_count", fid) == 1
    backoffice.call("messaging", "delete_thread", fid, sent["thread_id"])
    assert backoffice.call("messaging", "list_threads", fid, "reception") == []
    assert [t["id"] for t in backoffice.call("messaging", "list_threads", fid, "supprimes")] == [
        sent["thread_id"]]
    assert backoffice.call("messaging", "unread_count", fid) == 0
    backoffice.call("messaging", "restore_thread", fid, sent["thread_id"])
    assert backoffice.call("messaging", "list_threads", fid, "supprimes") == []
    assert backoffice.call("messaging", "unread_count", fid) == 1


def test_no_email_without_the_courriel_authorisation(backoffice, messaging_db, mail_sink):
    parent = new_parent(backoffice, messaging_db, "refus@example.org", courriel=False, sms=False)
    backoffice.call("messaging", "send_to_family", parent["family_id"], ALSH, "Info", "Texte")
    rows = wait_for(lambda: notifications_of(messaging_db, parent["family_id"]))
    assert {(n.channel, n.status) for n in rows} == {("courriel", "non_autorise"),
                                                     ("sms", "non_autorise")}
    time.sleep(1.5)  # the sender loop runs every second: nothing goes out
    assert mail_sink.messages("refus@example.org") == []


def test_broadcast_gives_each_family_its_own_thread(backoffice, messaging_db, mail_sink):
    a = new_parent(backoffice, messaging_db, "diffusion-a@example.org")
    b = new_parent(backoffice, messaging_db, "diffusion-b@example.org")
    sent = backoffice.call("messaging", "broadcast", [a["family_id"], b["family_id"]], ALSH,
                           "Cantine fermée vendredi", "La cantine sera fermée vendredi.")
    assert {s["family_id"] for s in sent} == {a["family_id"], b["family_id"]}
    for parent in (a, b):
        assert backoffice.call("messaging", "unread_count", parent["family_id"]) == 1
        assert len(mail_sink.wait_for(parent["email"])) == 1


def test_an_event_delivered_twice_sends_one_email(settings, backoffice, messaging_db, mail_sink):
    parent = new_parent(backoffice, messaging_db, "doublon@example.org")
    envelope = {"event_id": "6f1c0a52-1111-4e8b-9a53-0d0f3f1f0001", "type": "password_reset.requested",
                "source": "accounts", "occurred_at": "2026-11-29T08:00:00+00:00",
                "data": {"family_id": parent["family_id"], "email": parent["email"],
                         "token": "jeton-de-test", "valid_minutes": 60}}
    with Connection(settings.amqp_uri) as conn:
        producer = Producer(conn)
        for _ in range(2):
            producer.publish(envelope, exchange=event_exchange("accounts"),
                             routing_key="password_reset.requested", serializer="json")
    mails = mail_sink.wait_for(parent["email"])
    time.sleep(1.5)
    mails = mail_sink.messages(parent["email"])
    assert len(mails) == 1 and "jeton-de-test" in mails[0].get_content()


def test_a_mail_server_down_delays_the_email_without_losing_it(backoffice, messaging_db, mail_sink):
    parent = new_parent(backoffice, messaging_db, "panne@example.org")
    mail_sink.stop()
    try:
        backoffice.call("messaging", "send_to_family", parent["family_id"], ALSH, "Panne", "Texte")
        failed = wait_for(lambda: [n for n in notifications_of(messaging_db, parent["family_id"])
                                     if n.channel == "courriel" and n.attempts >= 1])
        assert failed and failed[0].status == "a_envoyer" and failed[0].last_error
    finally:
        mail_sink.start()
    assert len(mail_sink.wait_for(parent["email"], timeout=30)) == 1
    time.sleep(1.5)
    assert len(mail_sink.messages(parent["email"])) == 1


@pytest.mark.parametrize("subject, body, attachments, message", [
    ("", "Texte", None, "L'objet est obligatoire."),
    ("Objet", "   ", None, "Le message est obligatoire."),
    ("Objet", "x" * 5001, None, "Le message ne doit pas dépasser 5000 caractères."),
    ("O" * 201, "Texte", None, "L'objet ne doit pas dépasser 200 caractères."),
    ("Objet", "Texte", [{"filename": "virus.exe", "content_base64": base64.b64encode(b"MZ...").decode()}],
     "doit être un PDF ou une image"),
    ("Objet", "Texte", [{"filename": "gros.pdf",
                         "content_base64": base64.b64encode(b"%PDF-" + b"0" * (2 * 1024 * 1024)).decode()}],
     "dépasse 2 Mo"),
    ("Objet", "Texte", [{"filename": "a.pdf", "content_base64": "pas du base64 !"}], "illisible"),
])
def test_bad_messages_are_refused_in_french_and_nothing_is_stored(
        backoffice, messaging_db, subject, body, attachments, message):
    parent = new_parent(backoffice, messaging_db, "mauvais@example.org")
    with messaging_db.connect() as conn:
        before = conn.scalar(sa.select(sa.func.count()).select_from(Thread))
    with pytest.raises(ValidationError) as refused:
        backoffice.call("messaging", "send_message", parent["family_id"], ALSH, subject, body,
                        attachments)
    assert message in str(refused.value)
    with messaging_db.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(Thread)) == before


def test_attachments_are_kept_and_returned_to_their_family_only(backoffice, messaging_db):
    parent = new_parent(backoffice, messaging_db, "pj@example.org")
    other = new_parent(backoffice, messaging_db, "autre@example.org")
    sent = backoffice.call("messaging", "send_message", parent["family_id"], ALSH, "Certificat",
                           "Ci-joint", [{"filename": "certificat.pdf",
                                         "content_base64": base64.b64encode(PDF).decode()}])
    thread = backoffice.call("messaging", "get_thread", parent["family_id"], sent["id"])
    [attachment] = thread["messages"][0]["attachments"]
    assert attachment["content_type"] == "application/pdf"
    got = backoffice.call("messaging", "get_attachment", parent["family_id"], attachment["id"])
    assert base64.b64decode(got["content_base64"]) == PDF
    with pytest.raises(NotFound):
        backoffice.call("messaging", "get_attachment", other["family_id"], attachment["id"])


def test_another_familys_thread_cannot_be_read_replied_or_deleted(backoffice, messaging_db):
    owner = new_parent(backoffice, messaging_db, "proprietaire@example.org")
    intruder = new_parent(backoffice, messaging_db, "intrus@example.org")
    sent = backoffice.call("messaging", "send_message", owner["family_id"], ALSH, "Privé", "Texte")
    for method, args in (("get_thread", ()), ("reply", ("Je m'invite",)), ("delete_thread", ()),
                         ("restore_thread", ())):
        with pytest.raises(NotFound) as refused:
            backoffice.call("messaging", method, intruder["family_id"], sent["id"], *args)
        assert str(refused.value) == "Ce message est introuvable."
    thread = backoffice.call("messaging", "get_thread", owner["family_id"], sent["id"])
    assert len(thread["messages"]) == 1 and not thread["deleted"]
