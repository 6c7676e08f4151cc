"""Money: Decimal to the cent, written "120.60" across RPC and on pages."""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from services.common.errors import ValidationError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
LIMIT = Decimal("100000000")  # the columns hold 10 digits, 2 of them after the point


def money(value):
    """A Decimal rounded to the cent; refuses floats (they are not exact)."""
    if isinstance(value, float):
        raise TypeError("money is never a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def parse(text, label="Le montant"):
    """User or back-office input ("120,60" or "120.60") as money; French message if invalid."""
    try:
        value = money(str(text).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{label} n'est pas un nombre valide.") from None
    if not value.is_finite():
        raise ValidationError(f"{label} n'est pas un nombre valide.")
    if abs(value) >= LIMIT:
        raise ValidationError(f"{label} est trop élevé.")
    return value


def fmt(value):
    return f"{money(value):.2f}"


def cents(value):
    return int(money(value) * 100)
