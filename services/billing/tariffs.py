"""Régies, tariffs by quotient familial bracket, and the collectivity's billing settings."""
import sqlalchemy as sa

from services.billing.models import Regie, Settings, Tariff, TariffBracket
from services.billing.money import fmt, parse
from services.common import checks
from services.common.errors import NotFound, ValidationError

SETTINGS_FIELDS = {
    "collectivity_name": str, "collectivity_address": str, "show_balance": bool,
    "online_payment": bool, "treasury_collects": bool, "commune_postal_codes": str,
    "payment_instructions": str, "due_days": int,
}
UNITS = ("jour", "demi-journee", "repas", "heure")
TEXT_LENGTHS = {"collectivity_name": 200, "collectivity_address": 300, "commune_postal_codes": 200}


# --- settings -----------------------------------------------------------------------------

def get_settings(session):
    row = session.get(Settings, 1)
    if row is None:  # defaults until the back office says otherwise
        row = Settings(id=1, collectivity_name="", collectivity_address="", show_balance=True,
                       online_payment=False, treasury_collects=False, commune_postal_codes="",
                       payment_instructions="", due_days=20)
        session.add(row)
        session.flush()
    return row


def settings_dict(row):
    return {field: getattr(row, field) for field in SETTINGS_FIELDS}


def update_settings(session, **fields):
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationError(f"Paramètre(s) inconnu(s) : {', '.join(sorted(unknown))}.")
    row = get_settings(session)
    for field, value in fields.items():
        if SETTINGS_FIELDS[field] is str:
            value = checks.text(value, field)
        try:
            setattr(row, field, SETTINGS_FIELDS[field](value))
        except (TypeError, ValueError, OverflowError):
            raise ValidationError(f"Valeur invalide pour {field}.") from None
        if field in TEXT_LENGTHS and len(getattr(row, field)) > TEXT_LENGTHS[field]:
            raise ValidationError(f"{field} : {TEXT_LENGTHS[field]} caractères au plus.")
    if row.due_days < 0:
        raise ValidationError("Le délai d'échéance ne peut pas être négatif.")
    if row.due_days > 366:
        raise ValidationError("Le délai d'échéance ne peut pas dépasser 366 jours.")
    return settings_dict(row)


# accounts' collectivity settings (collectivity.updated) → billing's copy of them.
FROM_COLLECTIVITY = {"name": "collectivity_name", "address": "collectivity_address",
                     "show_balance": "show_balance", "online_payment": "online_payment"}


def apply_collectivity(session, data):
    """Take the settings the back office changed in accounts (the ones billing applies)."""
    row = get_settings(session)
    for source, field in FROM_COLLECTIVITY.items():
        if source in data.get("changed", ()):
            setattr(row, field, SETTINGS_FIELDS[field](data[source]))


def commune_codes(settings_row):
    return {code.strip() for code in settings_row.commune_postal_codes.split(",") if code.strip()}


# --- régies -------------------------------------------------------------------------------

def save_regie(session, code, name):
    code = checks.text(code, "Le code de la régie").upper()
    name = checks.text(name, "Le nom de la régie")
    if not code.isalnum() or len(code) > 10 or not name or len(name) > 200:
        raise ValidationError("Une régie a un code (lettres et chiffres, 10 au plus) et un nom.")
    regie = session.scalar(sa.select(Regie).where(Regie.code == code))
    if regie is None:
        regie = Regie(code=code, name=name, last_invoice_number=0, last_payment_number=0)
        session.add(regie)
    regie.name = name
    session.flush()
    return {"code": regie.code, "name": regie.name}


def regie_by_code(session, code):
    regie = session.scalar(sa.select(Regie).where(
        Regie.code == checks.text(code, "Le code de la régie").upper()))
    if regie is None:
        raise NotFound(f"Régie inconnue : {code}.")
    return regie


def next_number(session, regie_id, kind):
    """The next invoice or payment number of a régie. The row lock orders concurrent writers;
    it is held until their transaction ends, so numbers have no gaps nor duplicates."""
    column = {"invoice": Regie.last_invoice_number, "payment": Regie.last_payment_number}[kind]
    return session.execute(sa.update(Regie).where(Regie.id == regie_id)
                           .values({column: column + 1}).returning(column)).scalar_one()


# --- tariffs ------------------------------------------------------------------------------

def save_tariff(session, prestation_code, regie_code, label, unit, brackets,
                hors_commune_price, surcharge="0"):
    """Set a prestation's tariff. `brackets`: [{"qf_max": 500, "price": "2.80"}, …,
    {"qf_max": None, "price": "4.20"}] — the last, open bracket applies above every limit
    and when the family's QF is unknown."""
    code = checks.text(prestation_code, "Le code de la prestation", 50)
    if not code:
        raise ValidationError("Le code de la prestation est obligatoire.")
    label = checks.text(label, "Le libellé", 200)
    if unit not in UNITS:
        raise ValidationError(f"Unité inconnue : {unit}.")
    if not isinstance(brackets, list) or not all(isinstance(b, dict) for b in brackets):
        raise ValidationError("Les tranches de quotient familial sont illisibles.")
    if not brackets or brackets[-1].get("qf_max") is not None:
        raise ValidationError("La dernière tranche de quotient familial doit être sans plafond.")
    limits = [b.get("qf_max") for b in brackets[:-1]]
    if any(limit is None for limit in limits):
        raise ValidationError("Les plafonds de quotient familial doivent être croissants.")
    limits = [checks.integer(limit, "Un plafond de quotient familial", 0, checks.MAX_ID)
              for limit in limits]
    if limits != sorted(set(limits)):
        raise ValidationError("Les plafonds de quotient familial doivent être croissants.")
    regie = regie_by_code(session, regie_code)
    tariff = session.get(Tariff, code) or Tariff(prestation_code=code)
    tariff.regie_id, tariff.label, tariff.unit = regie.id, label, unit
    tariff.hors_commune_price = _price(hors_commune_price)
    tariff.surcharge = _price(surcharge)
    tariff.brackets = [TariffBracket(qf_max=limit, price=_price(b.get("price")))
                       for limit, b in zip([*limits, None], brackets)]
    session.add(tariff)
    session.flush()
    return tariff_dict(tariff)


def _price(value):
    price = parse(value, "Le tarif")
    if price < 0:
        raise ValidationError("Un tarif ne peut pas être négatif.")
    return price


def tariff_dict(tariff):
    return {"prestation_code": tariff.prestation_code, "label": tariff.label, "unit": tariff.unit,
            "hors_commune_price": fmt(tariff.hors_commune_price), "surcharge": fmt(tariff.surcharge),
            "brackets": [{"qf_max": b.qf_max, "price": fmt(b.price)} for b in tariff.brackets]}


def unit_price(tariff, quotient_familial, hors_commune):
    """The family's price for one unit: out-of-commune rate, else its QF bracket; an unknown
    QF takes the highest bracket (the family has not given its CAF information)."""
    if hors_commune:
        return tariff.hors_commune_price
    brackets = sorted(tariff.brackets, key=lambda b: (b.qf_max is None, b.qf_max or 0))
    if quotient_familial is None:
        return brackets[-1].price
    for bracket in brackets:
        if bracket.qf_max is None or quotient_familial <= bracket.qf_max:
            return bracket.price
    return brackets[-1].price
