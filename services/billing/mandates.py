"""SEPA direct-debit mandates: created when a family's request to pay by automatic direct
debit is accepted (requests' request.accepted), revoked when the family stops it or gives new
bank details. The IBAN is kept encrypted under BILLING_DATA_KEY and shown masked."""
import datetime as dt

import sqlalchemy as sa

from services.billing.models import Mandate
from services.common import checks, crypto
from services.common import settings as settings_module


def mandate_dict(row):
    iban = crypto.decrypt(settings_module.load().billing_data_key, row.iban_chiffre)
    return {"id": row.id, "family_id": row.family_id, "rum": row.rum, "titulaire": row.titulaire,
            "iban": crypto.mask(iban), "bic": row.bic, "signed_on": row.signed_on.isoformat(),
            "status": row.status,
            "revoked_on": row.revoked_on.isoformat() if row.revoked_on else None,
            "request_id": row.request_id}


def _revoke_active(session, family_id, today):
    session.execute(sa.update(Mandate).where(Mandate.family_id == family_id,
                                             Mandate.status == "actif")
                    .values(status="revoque", revoked_on=today))


def apply_bank_request(session, request, iban, today=None):
    """From an accepted "bancaires" request: a new mandate when the family asks for direct
    debit (with `iban`, in clear, the one of the request or the one already known), else
    the active mandate is revoked."""
    today = today or dt.date.today()
    family_id, values = int(request["family_id"]), request["new_values"]
    if session.scalar(sa.select(Mandate.id).where(Mandate.request_id == int(request["id"]))):
        return None  # already applied
    _revoke_active(session, family_id, today)
    if not values.get("prelevement_automatique"):
        return None
    row = Mandate(family_id=family_id, rum=f"PF{family_id:08d}R{int(request['id']):08d}",
                  titulaire=str(values.get("titulaire_compte") or ""),
                  iban_chiffre=crypto.encrypt(settings_module.load().billing_data_key, iban),
                  bic=str(values.get("bic") or ""), signed_on=today, status="actif",
                  request_id=int(request["id"]))
    session.add(row)
    session.flush()
    return mandate_dict(row)


def family_mandates(session, family_id):
    family_id = checks.record_id(family_id, "Famille introuvable.")
    rows = session.scalars(sa.select(Mandate).where(Mandate.family_id == family_id)
                           .order_by(Mandate.id.desc()))
    return [mandate_dict(r) for r in rows]
