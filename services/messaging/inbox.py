"""The Boîte de réception: threads between a family and a structure, read state, deletion."""
import base64
import datetime as dt
import re

import sqlalchemy as sa

from services.messaging.models import Attachment, Message, Thread
from services.common import checks
from services.common.errors import NotFound, ValidationError

SUBJECT_MAX = 200
BODY_MAX = 5000
ATTACHMENT_MAX_BYTES = 2 * 1024 * 1024
ATTACHMENTS_MAX = 3
# Accepted attachments, recognised by their first bytes, not by the name the browser gave.
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
FAMILY, STRUCTURE = "famille", "structure"
BOXES = ("reception", "envoyes", "supprimes")


def now():
    return dt.datetime.now(dt.timezone.utc)


def _text(value, label, maximum):
    value = (value or "").strip() if isinstance(value, str) else ""
    if "\x00" in value:
        raise ValidationError(f"{label} : le caractère NUL n'est pas accepté.")
    if not value:
        raise ValidationError(f"{label} est obligatoire.")
    if len(value) > maximum:
        raise ValidationError(f"{label} ne doit pas dépasser {maximum} caractères.")
    return value


def _attachments(items):
    """Decode and check attachments given as [{filename, content_base64}]."""
    items = items or []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValidationError("Les pièces jointes sont illisibles.")
    if len(items) > ATTACHMENTS_MAX:
        raise ValidationError(f"{ATTACHMENTS_MAX} pièces jointes au maximum.")
    checked = []
    for item in items:
        name = re.sub(r"[^\w.\- ]", "_", str(item.get("filename") or "piece-jointe"))[:150]
        try:
            data = base64.b64decode(item.get("content_base64") or "", validate=True)
        except (ValueError, TypeError):
            raise ValidationError(f"La pièce jointe « {name} » est illisible.") from None
        if not data:
            raise ValidationError(f"La pièce jointe « {name} » est vide.")
        if len(data) > ATTACHMENT_MAX_BYTES:
            raise ValidationError(f"La pièce jointe « {name} » dépasse 2 Mo.")
        content_type = next((ctype for magic, ctype in SIGNATURES if data.startswith(magic)), None)
        if content_type is None:
            raise ValidationError(f"La pièce jointe « {name} » doit être un PDF ou une image "
                                  "(PNG, JPEG).")
        checked.append(Attachment(filename=name, content_type=content_type, size=len(data),
                                  data=data))
    return checked


def _add_message(thread, author, author_name, body, attachments):
    author_name = checks.text(author_name, "L'auteur")[:200]
    message = Message(author=author, author_name=author_name, body=body,
                      attachments=_attachments(attachments), created_at=now())
    thread.messages.append(message)
    thread.last_message_at = message.created_at
    return message


def start_thread(session, family_id, structure, subject, body, author, author_name,
                 attachments=None):
    """A new thread, started by the family (to a structure) or by a structure."""
    if not isinstance(structure, dict) or not structure.get("id") or not structure.get("nom"):
        raise ValidationError("Veuillez choisir la structure destinataire.")
    family_id = checks.record_id(family_id, "Famille introuvable.")
    thread = Thread(family_id=family_id,
                    structure_id=checks.record_id(structure["id"], "Structure introuvable."),
                    structure_name=checks.text(structure["nom"], "La structure")[:200],
                    subject=_text(subject, "L'objet", SUBJECT_MAX), started_by=author)
    _add_message(thread, author, author_name, _text(body, "Le message", BODY_MAX), attachments)
    session.add(thread)
    session.flush()
    return thread


def family_thread(session, family_id, thread_id):
    """The thread if it is this family's; the same refusal when it exists for another."""
    thread = session.get(Thread, checks.record_id(thread_id, "Ce message est introuvable."))
    if thread is None or thread.family_id != family_id:
        raise NotFound("Ce message est introuvable.")
    return thread


def structure_thread(session, structure_id, thread_id):
    thread = session.get(Thread, checks.record_id(thread_id, "Ce message est introuvable."))
    if thread is None or thread.structure_id != structure_id:
        raise NotFound("Ce message est introuvable.")
    return thread


def reply(session, thread, author, author_name, body, attachments=None):
    message = _add_message(thread, author, author_name, _text(body, "Le message", BODY_MAX),
                           attachments)
    if author == FAMILY:
        thread.deleted_by_family_at = None  # writing again brings the thread back
    session.flush()
    return message


def mark_read(thread, reader):
    """The reader opened the thread: the other side's messages are read."""
    at = now()
    for message in thread.messages:
        if message.author != reader and message.read_at is None:
            message.read_at = at


def unread_count(session, family_id):
    family_id = checks.record_id(family_id, "Famille introuvable.")
    return session.scalar(
        sa.select(sa.func.count(Message.id)).join(Thread)
        .where(Thread.family_id == family_id, Thread.deleted_by_family_at.is_(None),
               Message.author == STRUCTURE, Message.read_at.is_(None)))


def family_threads(session, family_id, box):
    """reception: threads with a structure's message; envoyes: threads the family started
    (with the replies they got); supprimes: deleted ones."""
    if box not in BOXES:
        raise ValidationError("Dossier inconnu.")
    family_id = checks.record_id(family_id, "Famille introuvable.")
    query = sa.select(Thread).where(Thread.family_id == family_id)
    if box == "supprimes":
        query = query.where(Thread.deleted_by_family_at.is_not(None))
    else:
        query = query.where(Thread.deleted_by_family_at.is_(None))
        if box == "envoyes":
            query = query.where(Thread.started_by == FAMILY)
        else:
            query = query.where(Thread.messages.any(Message.author == STRUCTURE))
    return session.scalars(query.order_by(Thread.last_message_at.desc())).all()


def structure_threads(session, structure_id):
    structure_id = checks.record_id(structure_id, "Structure introuvable.")
    return session.scalars(sa.select(Thread).where(Thread.structure_id == structure_id)
                           .order_by(Thread.last_message_at.desc())).all()


def attachment_of_family(session, family_id, attachment_id):
    """The attachment if it is in one of the family's threads; another family's gets the same
    answer as a missing one, so ids of other families cannot be probed."""
    attachment_id = checks.record_id(attachment_id, "Pièce jointe introuvable.")
    attachment = session.get(Attachment, attachment_id)
    message = session.get(Message, attachment.message_id) if attachment else None
    thread = session.get(Thread, message.thread_id) if message else None
    if thread is None or thread.family_id != family_id:
        raise NotFound("Pièce jointe introuvable.")
    return attachment


def thread_summary(thread, reader):
    last = thread.messages[-1]
    return {
        "id": thread.id,
        "structure": {"id": thread.structure_id, "nom": thread.structure_name},
        "subject": thread.subject,
        "started_by": thread.started_by,
        "last_message_at": thread.last_message_at.isoformat(),
        "last_author": last.author_name,
        "unread": sum(1 for m in thread.messages if m.author != reader and m.read_at is None),
        "messages_count": len(thread.messages),
        "deleted": thread.deleted_by_family_at is not None,
    }


def thread_dict(thread, reader):
    return {
        **thread_summary(thread, reader),
        "messages": [{
            "id": m.id, "author": m.author, "author_name": m.author_name, "body": m.body,
            "created_at": m.created_at.isoformat(),
            "attachments": [{"id": a.id, "filename": a.filename, "content_type": a.content_type,
                             "size": a.size} for a in m.attachments],
        } for m in thread.messages],
    }
