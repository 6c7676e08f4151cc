"""The collectivity's profile and settings, in one place, and the documents it publishes.

accounts owns them; billing (balance shown, online payment, name and address on invoices) and
children (requests from the planning, registration form, school-holiday zone) keep the copy
they need from `collectivity.updated`, whose data says which fields `changed`: a service only
overwrites what the back office changed here.
"""
import base64
import binascii
import hashlib
import re

import sqlalchemy as sa

from services.accounts.models import Collectivity, Document
from services.common import checks
from services.common.errors import NotFound, ValidationError
from services.common.events import add_event

TEXT_FIELDS = {"name": 200, "address": 300, "site_url": 500, "welcome_message": 2000,
               "contact": 1000, "infos_message": 5000, "infos_url": 500}
BOOLEAN_FIELDS = ("force_password_change", "show_balance", "online_payment",
                  "planning_requests", "registration_form")
ZONES = ("A", "B", "C")
FIELDS = (*TEXT_FIELDS, *BOOLEAN_FIELDS, "school_holiday_zone")
URL = re.compile(r"^https?://\S+$")

MAX_LOGO = 512 * 1024
# Served on every page: raster images only (an SVG may carry scripts).
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg",
              b"GIF87a": "image/gif", b"GIF89a": "image/gif"}

MAX_DOCUMENT = 5 * 1024 * 1024
# What a parent may download from "Formulaire": office documents, PDFs and images.
DOCUMENT_TYPES = {
    "pdf": "application/pdf", "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet", "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "txt": "text/plain",
}


def get_collectivity_row(session):
    row = session.get(Collectivity, 1)
    if row is None:
        raise NotFound("Le profil de la collectivité n'est pas encore renseigné.")
    return row


def collectivity_dict(row):
    data = {field: getattr(row, field) for field in FIELDS}
    data["logo"] = bool(row.logo_version)
    data["logo_version"] = row.logo_version
    return data


def _decode(content_base64, what):
    try:
        return base64.b64decode(str(content_base64 or ""), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(f"{what} : contenu illisible (base64 attendu).") from None


def _logo(content_base64):
    """(bytes, content type) of a logo, or (None, "") to remove it."""
    if not content_base64:
        return None, ""
    data = _decode(content_base64, "Logo")
    if len(data) > MAX_LOGO:
        raise ValidationError("Le logo ne doit pas dépasser 512 Ko.")
    for magic, content_type in LOGO_TYPES.items():
        if data.startswith(magic):
            return data, content_type
    raise ValidationError("Le logo doit être une image PNG, JPEG ou GIF.")


def _clean(fields):
    unknown = set(fields) - set(FIELDS) - {"logo_base64"}
    if unknown:
        raise ValidationError(f"Paramètre(s) inconnu(s) : {', '.join(sorted(unknown))}.")
    clean, errors = {}, []
    for field, value in fields.items():
        if field in BOOLEAN_FIELDS:
            clean[field] = bool(value)
        elif field in TEXT_FIELDS:
            clean[field] = checks.text(value, field)
            if len(clean[field]) > TEXT_FIELDS[field]:
                errors.append(f"{field} : {TEXT_FIELDS[field]} caractères au plus.")
        elif field == "school_holiday_zone":
            clean[field] = checks.text(value, field).upper()
            if clean[field] not in ZONES:
                errors.append("La zone de vacances scolaires doit être A, B ou C.")
    if "site_url" in clean and not URL.match(clean["site_url"]):
        errors.append("L'adresse du site doit commencer par http:// ou https://.")
    if clean.get("infos_url") and not URL.match(clean["infos_url"]):
        errors.append("Le lien d'Infos./Documents doit commencer par http:// ou https://.")
    if errors:
        raise ValidationError(*errors)
    return clean


def update_collectivity(session, **fields):
    """Change some settings (the others stay); `logo_base64` sets the logo ("" removes it).
    Publishes collectivity.updated with every setting and the names of those changed."""
    clean = _clean(fields)
    row = session.get(Collectivity, 1)
    if row is None:
        row = Collectivity(id=1, **{f: "" for f in TEXT_FIELDS}, force_password_change=True,
                           show_balance=True, online_payment=False, planning_requests=True,
                           registration_form=True, school_holiday_zone="C",
                           logo_content_type="", logo_version="")
        session.add(row)
        changed = set(FIELDS)  # a new profile: every copy takes all of it
    else:
        changed = {f for f, v in clean.items() if getattr(row, f) != v}
    for field, value in clean.items():
        setattr(row, field, value)
    if not row.name or not row.site_url:  # the caller's transaction is not committed
        raise ValidationError("Le nom et l'adresse du site de la collectivité sont obligatoires.")
    if "logo_base64" in fields:
        row.logo, row.logo_content_type = _logo(fields["logo_base64"])
        version = hashlib.sha256(row.logo).hexdigest()[:16] if row.logo else ""
        if version != row.logo_version:
            changed.add("logo")
        row.logo_version = version
    session.flush()
    data = collectivity_dict(row)
    add_event(session, "accounts", "collectivity.updated", {**data, "changed": sorted(changed)})
    return data


def get_logo(session):
    row = get_collectivity_row(session)
    if not row.logo:
        raise NotFound("Aucun logo.")
    return {"content_type": row.logo_content_type, "version": row.logo_version,
            "content_base64": base64.b64encode(row.logo).decode("ascii")}


# --- documents ("Infos./Documents" → "Formulaire") --------------------------------------------

def document_dict(document):
    return {"id": document.id, "titre": document.titre, "filename": document.filename,
            "content_type": document.content_type, "size": document.size,
            "published_at": document.published_at.isoformat()}


def list_documents(session):
    return [document_dict(d) for d in session.scalars(
        sa.select(Document).order_by(Document.published_at.desc(), Document.id.desc()))]


def publish_document(session, titre, filename, content_base64):
    titre = checks.text(titre, "Le titre du document")
    filename = re.sub(r"[^\w.\- ]", "_", str(filename or "").strip().split("/")[-1])[:200]
    errors = []
    if not titre or len(titre) > 200:
        errors.append("Le titre du document est obligatoire (200 caractères au plus).")
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in DOCUMENT_TYPES:
        errors.append("Type de fichier non accepté : " + ", ".join(sorted(DOCUMENT_TYPES)) + ".")
    if errors:
        raise ValidationError(*errors)
    data = _decode(content_base64, "Document")
    if not data:
        raise ValidationError("Le document est vide.")
    if len(data) > MAX_DOCUMENT:
        raise ValidationError("Le document ne doit pas dépasser 5 Mo.")
    document = Document(titre=titre, filename=filename, content_type=DOCUMENT_TYPES[extension],
                        size=len(data), data=data)
    session.add(document)
    session.flush()
    session.refresh(document)
    return document_dict(document)


def _document(session, document_id):
    document = session.get(Document, checks.record_id(document_id, "Document introuvable."))
    if document is None:
        raise NotFound("Document introuvable.")
    return document


def get_document(session, document_id):
    document = _document(session, document_id)
    return {**document_dict(document),
            "content_base64": base64.b64encode(document.data).decode("ascii")}


def remove_document(session, document_id):
    document = _document(session, document_id)
    session.delete(document)
