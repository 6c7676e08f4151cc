"""The arguments of RPC calls, checked where the domain functions take them in.

Callers send JSON, so an id may come as a number or as its digits in a text, and any
argument may come as anything. What cannot be right is refused in French before it reaches
the database, never left to fail there: an id that cannot exist is "not found", as a missing
one is (NotFound with the caller's message); a text that is not one, or that holds a NUL
character (PostgreSQL refuses them), is a ValidationError naming the field.
"""
import datetime as dt

from services.common.errors import NotFound, ValidationError

MAX_ID = 2 ** 31 - 1  # PostgreSQL's integer: the ids of every table


def _digits(value, at_most):
    """Whether `value` is a text of ASCII digits (a "-" first allowed), short enough for int()
    (which refuses thousands of digits, and reads "²" or "١٢" its own way)."""
    digits = value.strip().removeprefix("-") if isinstance(value, str) else ""
    return 0 < len(digits) <= at_most and digits.isascii() and digits.isdigit()


def record_id(value, not_found):
    """`value` as the id of a row: a positive int, or its ASCII digits in a text."""
    if _digits(value, 10):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise NotFound(not_found)
    return value


def text(value, label, max_length=None):
    """`value` as a text, stripped ("" for None, 0 or False, as `str(value or "")`; a number
    is taken as it is written); refused when it is a list or a dict, holds a NUL character
    or is longer than `max_length`."""
    if not value:
        return ""
    if isinstance(value, (list, dict)):
        raise ValidationError(f"{label} : un texte est attendu.")
    value = str(value)
    if "\x00" in value:
        raise ValidationError(f"{label} : le caractère NUL n'est pas accepté.")
    value = value.strip()
    if max_length is not None and len(value) > max_length:
        raise ValidationError(f"{label} : {max_length} caractères au plus.")
    return value


def integer(value, label, minimum=None, maximum=None):
    """`value` as an int (a number without decimals, or its digits in a text) within the
    bounds; refused otherwise."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif _digits(value, 30):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) \
            or (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = ("" if minimum is None or maximum is None
                  else f" entre {minimum} et {maximum}")
        raise ValidationError(f"{label} : un nombre entier{bounds} est attendu.")
    return value


def date(value, label="La date"):
    """A date from "AAAA-MM-JJ"; anything else is refused."""
    if isinstance(value, str) and len(value) <= 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    shown = str(value)[:20] if isinstance(value, (str, int)) and not isinstance(value, bool) else "…"
    raise ValidationError(f"{label} « {shown} » n'est pas une date valide "
                          "(format attendu : AAAA-MM-JJ).")
