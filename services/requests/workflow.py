"""The life of a request: submitted (checked, today's values kept as the old ones), pending,
then accepted — the record's owner applies it on request.accepted — or refused with a reason.
Nothing here changes a family's or a child's record: only the owners do, on the event.

Also the copies of the children's own requests (reservations, absences, pré-inscriptions),
kept from children's events so that the "Liste des demandes" shows them too.
"""
import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlalchemy.exc import IntegrityError

from services.common import checks, crypto
from services.common import settings as settings_module
from services.common.errors import Conflict, NotFound, ValidationError
from services.common.events import add_event
from services.requests import kinds, validation
from services.requests.models import ChangeRequest, Settings

PARIS = ZoneInfo("Europe/Paris")  # the family's dates: "Date demande" is a French day
NOT_FOUND = "Demande introuvable."
STATUS_LABELS = {"en_attente": "En attente", "acceptee": "Acceptée", "refusee": "Refusée"}


def now():
    return dt.datetime.now(dt.timezone.utc)


def _key():
    return settings_module.load().requests_data_key


def get_kind(code, from_portal=True):
    kind = kinds.get(code) if isinstance(code, str) else None
    if kind is None or (from_portal and not kind.from_portal):
        raise ValidationError("Type de demande inconnu.")
    return kind


# --- today's values of the record -----------------------------------------------------------

def _text(value):
    return "" if value is None else str(value)


def current_values(kind, family=None, child=None):
    """The record's values for `kind`, from accounts' family dict or children's child dict:
    the form's pre-filled values and the request's old values."""
    if kind.code in ("responsable", "conjoint"):
        source = (family or {}).get(kind.code) or {}
    elif kind.code == "fiscales":
        source = family["fiscal"]
    elif kind.code == "caf":
        caf = family["caf"]
        source = {"regime_caf": caf["regime"], "numero_allocataire": caf["numero_allocataire"],
                  "quotient_familial": caf["quotient_familial"]}
    elif kind.code == "bancaires":
        source = family["banque"]  # the IBAN comes masked: accounts never gives it in clear
    elif kind.code == "autorisations":
        source = child["autorisations"]
    elif kind.code == "sante":
        source = child["sante"]
    else:  # lunettes, personnes_autorisees: the child's own fields
        source = child
    values = {}
    for field in kind.fields:
        value = source.get(field.name)
        if field.kind == "bool":
            values[field.name] = bool(value)
        elif field.kind == "persons":
            values[field.name] = list(value or [])
        else:
            values[field.name] = _text(value)
    return values


def subject_of(kind, family=None, child=None):
    """Whom the request is about: the person's or the child's name."""
    if child is not None:
        return f"{child['prenom']} {child['nom']}"
    person = (family or {}).get("conjoint" if kind.code == "conjoint" else "responsable") or {}
    return f"{person.get('nom', '')} {person.get('prenom', '')}".strip()


# --- submitting ---------------------------------------------------------------------------------

def _same(field, old, new):
    if field.check == "iban":  # the old IBAN is only known masked
        return crypto.mask(new) == old
    return old == new


def _split_sensitive(kind, old, new):
    """(old, new) as stored in clear columns — sensitive fields masked — and the token of
    the sensitive fields in clear, or None."""
    sensitive = [f.name for f in kind.fields if f.sensitive]
    if not sensitive:
        return old, new, None
    secret = {"old": {n: old.get(n, "") for n in sensitive},
              "new": {n: new.get(n, "") for n in sensitive}}
    masked_old = {**old, **{n: crypto.mask(old.get(n)) for n in sensitive}}
    masked_new = {**new, **{n: crypto.mask(new.get(n)) for n in sensitive}}
    return masked_old, masked_new, crypto.encrypt(_key(), secret)


def _ids(family_id, kind, child_id):
    """(family_id, child_id) as ints; child_id None for a request about the family record."""
    family_id = checks.record_id(family_id, "Famille introuvable.")
    if kind.category != kinds.ENFANT:
        return family_id, None
    return family_id, checks.record_id(child_id, "Enfant introuvable.")


def pending_id(session, family_id, kind, child_id):
    family_id, child_id = _ids(family_id, kind, child_id)
    return session.scalar(sa.select(ChangeRequest.id).where(
        ChangeRequest.family_id == family_id, ChangeRequest.type == kind.code,
        sa.func.coalesce(ChangeRequest.child_id, 0) == (child_id or 0),
        ChangeRequest.status == "en_attente", ChangeRequest.origin == "portail"))


def submit(session, family_id, code, values, current, subject, child_id=None, at=None):
    """A family's request; `current` is the record today (the old values). Accepted at once
    when the collectivity auto-accepts this kind."""
    kind = get_kind(code)
    family_id, child_id = _ids(family_id, kind, child_id)
    new = validation.clean(kind, values)
    if all(_same(f, current.get(f.name), new[f.name]) for f in kind.fields):
        raise ValidationError("Aucune modification : les informations saisies sont identiques "
                              "aux informations actuelles.")
    if pending_id(session, family_id, kind, child_id):
        raise Conflict(f"Une demande « {kind.label} » est déjà en attente de traitement : "
                       "attendez la réponse de la collectivité avant d'en faire une autre.")
    old, masked_new, secret = _split_sensitive(kind, current, new)
    if not subject and new.get("nom"):  # a first conjoint: named by the request itself
        subject = f"{new['nom']} {new.get('prenom', '')}".strip()
    row = ChangeRequest(family_id=family_id, category=kind.category, type=kind.code,
                        child_id=child_id, subject=subject[:200], old_values=old,
                        new_values=masked_new, sensitive_chiffre=secret, status="en_attente",
                        motif_refus="", auto_accepted=False, requested_at=at or now(),
                        origin="portail", origin_status="")
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # the same request sent twice at once: the unique index caught it
        session.rollback()
        raise Conflict(f"Une demande « {kind.label} » est déjà en attente de traitement.") from None
    if kind.code in get_settings(session)["auto_accept"]:
        _decide(session, row, True, "", at or now(), auto=True)
    return row


# --- deciding -----------------------------------------------------------------------------------

def get_row(session, request_id, for_update=False, family_id=None):
    request_id = checks.record_id(request_id, NOT_FOUND)
    query = sa.select(ChangeRequest).where(ChangeRequest.id == request_id)
    if family_id is not None:  # a family sees its own requests only, others are "not found"
        query = query.where(ChangeRequest.family_id == checks.record_id(family_id, NOT_FOUND))
    row = session.scalar(query.with_for_update() if for_update else query)
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


def event_data(row):
    kind = kinds.get(row.type)
    return {"id": row.id, "family_id": row.family_id, "category": row.category,
            "type": row.type, "label": kind.label, "child_id": row.child_id,
            "subject": row.subject, "old_values": row.old_values,
            "new_values": row.new_values, "status": row.status,
            "motif_refus": row.motif_refus, "auto": row.auto_accepted,
            "requested_at": _iso(row.requested_at), "decided_at": _iso(row.decided_at)}


def _decide(session, row, accept, motif, at, auto=False):
    row.status = "acceptee" if accept else "refusee"
    row.motif_refus = "" if accept else motif
    row.decided_at = at
    row.auto_accepted = auto
    session.flush()
    add_event(session, "requests", "request.accepted" if accept else "request.refused",
              event_data(row))


def decide(session, request_id, accept, motif="", at=None):
    """Back office: accept (the owner applies it on the event) or refuse with a reason."""
    motif = checks.text(motif, "Le motif")[:500]
    if not accept and not motif:
        raise ValidationError("Veuillez indiquer le motif du refus.")
    row = get_row(session, request_id, for_update=True)
    if row.origin != "portail":
        raise ValidationError("Cette demande se traite dans le service des enfants.")
    if row.status != "en_attente":
        raise Conflict("Cette demande a déjà été traitée.")
    _decide(session, row, bool(accept), motif, at or now())
    return row


def sensitive_values(session, request_id):
    """The clear new values of an accepted request's sensitive fields, for the owner that
    applies it (the events carry them masked)."""
    row = get_row(session, request_id)
    if row.status != "acceptee":
        raise Conflict("Seule une demande acceptée peut être appliquée.")
    if not row.sensitive_chiffre:
        return {}
    return crypto.decrypt(_key(), row.sensitive_chiffre)["new"]


# --- reading --------------------------------------------------------------------------------------

def _iso(moment):
    return moment.isoformat() if moment else None


def _local_day(moment):
    return moment.astimezone(PARIS).date().isoformat() if moment else None


def side_by_side(row, reveal=False):
    """[{field, label, old, new, changed}] in the kind's order; sensitive values masked
    unless `reveal` (back office only)."""
    kind = kinds.get(row.type)
    old, new = dict(row.old_values), dict(row.new_values)
    if reveal and row.sensitive_chiffre:
        secret = crypto.decrypt(_key(), row.sensitive_chiffre)
        old.update(secret["old"])
        new.update(secret["new"])
    return [{"field": f.name, "label": f.label, "kind": f.kind, "old": old.get(f.name),
             "new": new.get(f.name), "changed": old.get(f.name) != new.get(f.name)}
            for f in kind.fields]


def request_dict(row, reveal=False):
    kind = kinds.get(row.type)
    return {"id": row.id, "family_id": row.family_id, "category": row.category,
            "type": row.type, "label": kind.label, "filter_label": kind.filter_label,
            "child_id": row.child_id, "subject": row.subject,
            "values": dict(row.new_values), "changes": side_by_side(row, reveal),
            "status": row.status, "status_label": STATUS_LABELS[row.status],
            "origin": row.origin, "origin_status": row.origin_status,
            "motif_refus": row.motif_refus, "auto": row.auto_accepted,
            "requested_at": _iso(row.requested_at), "decided_at": _iso(row.decided_at),
            "requested_on": _local_day(row.requested_at), "decided_on": _local_day(row.decided_at)}


def family_requests(session, family_id, category=None, code=None, today=None):
    """The "Liste des demandes": the family's requests of less than one month, and those
    still pending whatever their age; newest first."""
    today = today or dt.datetime.now(PARIS).date()
    since = dt.datetime.combine(today - relativedelta(months=1), dt.time(), tzinfo=PARIS)
    when = sa.func.coalesce(ChangeRequest.requested_at, ChangeRequest.decided_at)
    family_id = checks.record_id(family_id, "Famille introuvable.")
    category, code = checks.text(category, "La catégorie"), checks.text(code, "Le type")
    query = (sa.select(ChangeRequest).where(ChangeRequest.family_id == family_id)
             .where(sa.or_(ChangeRequest.status == "en_attente", when >= since))
             .order_by(when.desc(), ChangeRequest.id.desc()))
    if category:
        query = query.where(ChangeRequest.category == category)
    if code:
        query = query.where(ChangeRequest.type == code)
    return [request_dict(r) for r in session.scalars(query)]


def pending(session, code=None, start=None, end=None):
    """Back office: pending requests, oldest first, of one kind and requested between two
    days ("YYYY-MM-DD", both included) if given."""
    query = (sa.select(ChangeRequest).where(ChangeRequest.status == "en_attente")
             .order_by(ChangeRequest.requested_at.asc().nulls_first(), ChangeRequest.id))
    if code:
        query = query.where(ChangeRequest.type == get_kind(code, from_portal=False).code)
    for day, compare in ((start, "start"), (end, "end")):
        if not day:
            continue
        try:
            moment = dt.datetime.combine(dt.date.fromisoformat(str(day)), dt.time(), tzinfo=PARIS)
            next_day = moment + dt.timedelta(days=1)
        except (ValueError, OverflowError):
            raise ValidationError("Date invalide : utilisez le format AAAA-MM-JJ.") from None
        query = query.where(ChangeRequest.requested_at >= moment if compare == "start"
                            else ChangeRequest.requested_at < next_day)
    return [request_dict(r) for r in session.scalars(query)]


# --- settings ---------------------------------------------------------------------------------

def get_settings(session):
    row = session.get(Settings, 1)
    return {"auto_accept": list(row.auto_accept) if row else []}


def update_settings(session, auto_accept):
    """The kinds the collectivity accepts at once, without the back office."""
    auto_accept = auto_accept or []
    if not isinstance(auto_accept, list) or not all(isinstance(c, str) for c in auto_accept):
        raise ValidationError("Les types de demande acceptés d'office sont une liste de codes.")
    codes = sorted(set(auto_accept))
    unknown = [c for c in codes if not (kinds.get(c) and kinds.get(c).from_portal)]
    if unknown:
        raise ValidationError(f"Type(s) de demande inconnu(s) : {', '.join(unknown)}.")
    row = session.get(Settings, 1)
    if row is None:
        row = Settings(id=1)
        session.add(row)
    row.auto_accept = codes
    return get_settings(session)


# --- copies of the children's requests ---------------------------------------------------------

PLANNING_STATUS = {"en_traitement": "en_attente", "liste_attente": "en_attente",
                   "acceptee": "acceptee", "refusee": "refusee"}


def _copies(session, code, origin_id):
    return (sa.select(ChangeRequest).where(ChangeRequest.origin == "children",
                                           ChangeRequest.type == code,
                                           ChangeRequest.origin_id == int(origin_id))
            .with_for_update())


def copy_planning_request(session, data, occurred_at, decided):
    """planning_request.submitted / .decided. A booking refused then asked again keeps its
    id in children: each submission is a row of its own here, and a decision goes to the
    latest pending one. Events of two kinds may arrive out of order: a decision with no
    submission yet makes a row whose submission fills in the date later."""
    code, at = data["kind"], dt.datetime.fromisoformat(occurred_at)
    status = PLANNING_STATUS.get(data["status"], "en_attente")
    values = {"prestation": data["prestation"], "date": data["date"],
              "motif": data.get("motif") or ""}
    copies = _copies(session, code, data["request_id"])
    if decided:
        row = session.scalar(copies.where(ChangeRequest.status == "en_attente")
                             .order_by(ChangeRequest.requested_at.desc()))
    else:
        row = session.scalar(copies.where(ChangeRequest.requested_at.is_(None)))
    if row is None:
        row = ChangeRequest(family_id=int(data["family_id"]), category=kinds.ENFANT, type=code,
                            child_id=int(data["child_id"]), subject=data["child_name"][:200],
                            old_values={}, new_values=values, status=status,
                            motif_refus="", auto_accepted=False, origin="children",
                            origin_id=int(data["request_id"]), origin_status=data["status"])
        session.add(row)
    if decided:
        row.status, row.decided_at = status, at
        row.motif_refus = data.get("motif_refus") or ""
        row.origin_status = data["status"]
    else:
        row.requested_at = at
        if row.decided_at is None:  # else the decision, delivered first, stands
            row.origin_status = data["status"]
            if status != "en_attente":  # confirmed at once
                row.status, row.decided_at = status, at
    session.flush()


def copy_preinscription(session, data):
    """preinscription.submitted / .decided: one row per pré-inscription, the decision wins."""
    row = session.scalar(_copies(session, "preinscription", data["id"]))
    status = PLANNING_STATUS.get(data["status"], "en_attente")
    if row is not None and row.status != "en_attente" and status == "en_attente":
        return  # the submission delivered after its decision
    if row is None:
        row = ChangeRequest(family_id=int(data["family_id"]), category=kinds.ENFANT,
                            type="preinscription", child_id=data.get("child_id"),
                            old_values={}, auto_accepted=False, origin="children",
                            origin_id=int(data["id"]))
        session.add(row)
    row.subject = f"{data['prenom']} {data['nom']}"[:200]
    row.new_values = {"nom": data["nom"], "prenom": data["prenom"],
                      "date_naissance": data["date_naissance"], "accueil": data.get("accueil", "")}
    row.status, row.origin_status = status, data["status"]
    row.motif_refus = data.get("motif_refus") or ""
    row.child_id = data.get("child_id")
    row.requested_at = dt.datetime.fromisoformat(data["requested_at"]) if data.get("requested_at") else None
    row.decided_at = dt.datetime.fromisoformat(data["decided_at"]) if data.get("decided_at") else None
    session.flush()
