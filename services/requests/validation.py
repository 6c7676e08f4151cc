"""Checks of what a family typed, with French messages; values come back normalised
(phones as 01.02.03.04.05, IBAN and BIC without spaces and in capitals)."""
import re
from decimal import Decimal, InvalidOperation

from services.common import checks
from services.common.errors import ValidationError

MAX_TEXT = 300
MAX_LONG_TEXT = 1000
MAX_PERSONS = 10

# IBAN length of the SEPA countries most met here; others: 15 to 34 characters.
IBAN_LENGTHS = {"FR": 27, "MC": 27, "DE": 22, "BE": 16, "ES": 24, "IT": 27, "LU": 20,
                "CH": 21, "PT": 25, "NL": 18, "GB": 22, "AD": 24}
BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
POSTAL_CODE = re.compile(r"^\d{5}$")
ALLOCATAIRE = re.compile(r"^\d{4,13}$")


def iban_valid(iban):
    """ISO 13616: country, two check digits, then the account; mod 97 of the rearranged
    number is 1."""
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban):
        return False
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected and len(iban) != expected:
        return False
    digits = "".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def phone(value):
    """A French number: 10 digits starting with 0, or +33 / 0033 and 9 digits; separators
    (spaces, dots, dashes) allowed. Returned as 01.02.03.04.05."""
    digits = re.sub(r"[\s.\-]", "", value)
    if digits.startswith("+33"):
        digits = "0" + digits[3:]
    elif digits.startswith("0033"):
        digits = "0" + digits[4:]
    if not re.fullmatch(r"0[1-9]\d{8}", digits):
        return None
    return ".".join(digits[i:i + 2] for i in range(0, 10, 2))


def _check(field, value, errors):
    """The normalised value, or the value as typed with a message added to `errors`."""
    label = field.label
    if field.check == "phone":
        normalised = phone(value)
        if normalised is None:
            errors.append(f"{label} : le numéro doit être un numéro français à 10 chiffres "
                          "(ex. : 01.02.03.04.05 ou +33 1 02 03 04 05).")
            return value
        return normalised
    if field.check == "postal_code" and not POSTAL_CODE.match(value):
        errors.append(f"{label} : le code postal doit comporter 5 chiffres (ex. : 31400).")
    elif field.check == "email" and not EMAIL.match(value):
        errors.append(f"{label} : l'adresse email n'est pas valide (ex. : nom@exemple.fr).")
    elif field.check == "iban":
        iban = re.sub(r"\s", "", value).upper()
        if not iban_valid(iban):
            errors.append("IBAN : l'IBAN n'est pas valide (vérifiez sa longueur et sa clé de "
                          "contrôle).")
        return iban
    elif field.check == "bic":
        bic = re.sub(r"\s", "", value).upper()
        if not BIC.match(bic):
            errors.append("BIC : le BIC doit comporter 8 ou 11 lettres et chiffres "
                          "(ex. : BNPAFRPPXXX).")
        return bic
    elif field.check in ("amount", "qf"):
        digits = re.sub(r"[\s\u202f\u00a0]", "", value)
        if not re.fullmatch(r"\d{1,9}", digits):
            errors.append(f"{label} : indiquez un nombre entier positif, sans centimes.")
            return value
        return str(int(digits))
    elif field.check == "parts":
        try:
            parts = Decimal(value.replace(",", "."))
        except InvalidOperation:
            parts = None
        if parts is None or not parts.is_finite() or not (Decimal("0.5") <= parts <= 20) \
                or parts % Decimal("0.25"):
            errors.append(f"{label} : indiquez un nombre de parts entre 0,5 et 20, par quart "
                          "de part (ex. : 2,5).")
            return value
        return str(parts.normalize()) if parts % 1 else str(int(parts))
    elif field.check == "allocataire" and not ALLOCATAIRE.match(value):
        errors.append(f"{label} : le numéro d'allocataire doit comporter de 4 à 13 chiffres.")
    return value


def _text(raw, label, limit, errors):
    """The text typed, cut at `limit`; "" and a message in `errors` when it cannot be one."""
    try:
        return checks.text(raw or "", label)[:limit]
    except ValidationError as exc:
        errors.extend(exc.messages)
        return ""


def _persons(raw, errors):
    clean = []
    if not isinstance(raw or [], list):
        errors.append("Personnes autorisées : une liste de personnes est attendue.")
        return clean
    for index, person in enumerate(raw or [], start=1):
        if not isinstance(person, dict):
            continue
        nom = _text(person.get("nom"), f"Personne {index}", 100, errors)
        lien = _text(person.get("lien"), f"Personne {index}", 50, errors)
        telephone = _text(person.get("telephone"), f"Personne {index}", 30, errors)
        if not (nom or lien or telephone):
            continue  # an empty line of the form
        if not nom:
            errors.append(f"Personne {index} : le nom est obligatoire.")
        if telephone:
            normalised = phone(telephone)
            if normalised is None:
                errors.append(f"Personne {index} : le téléphone doit être un numéro français à "
                              "10 chiffres (ex. : 06.11.22.33.44).")
            else:
                telephone = normalised
        clean.append({"nom": nom, "lien": lien, "telephone": telephone})
    if len(clean) > MAX_PERSONS:
        errors.append(f"Au plus {MAX_PERSONS} personnes autorisées.")
    return clean


def clean(kind, values):
    """Every field of `kind`, checked; raises ValidationError with every message at once."""
    if not isinstance(values, dict):
        raise ValidationError("Informations manquantes.")
    errors, result = [], {}
    for field in kind.fields:
        raw = values.get(field.name)
        if field.kind == "bool":
            result[field.name] = raw in (True, "1", "on", "oui", "true")
            continue
        if field.kind == "persons":
            result[field.name] = _persons(raw, errors)
            continue
        value = _text(raw, field.label, None, errors)
        maximum = field.max_length or (MAX_LONG_TEXT if field.kind == "textarea" else MAX_TEXT)
        if len(value) > maximum:
            errors.append(f"{field.label} : {maximum} caractères au plus.")
            continue
        if field.kind == "choice" and value not in {v for v, _ in field.choices}:
            errors.append(f"{field.label} : choisissez une valeur de la liste.")
        elif not value:
            if field.required:
                errors.append(f"{field.label} : ce champ est obligatoire.")
        else:
            value = _check(field, value, errors)
        result[field.name] = value
    if kind.code == "caf" and result.get("regime_caf") in ("general", "msa") \
            and not result.get("numero_allocataire"):
        errors.append("Numéro d'allocataire : obligatoire pour le régime général et la MSA.")
    if errors:
        raise ValidationError(*errors)
    return result
