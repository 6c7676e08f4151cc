"""The "Fiche d'inscription" (registration form) of a school year, as a PDF: blank, or
pre-filled with one child's record.

`document(...)` gathers what is printed (plain strings, picklable) and `render(doc)` draws it
with reportlab: CPU work, run in a real thread (eventlet.tpool) so that it never stalls the
service's other workers (DESIGN.md, "Known pitfalls").
"""
import base64
import datetime as dt
import io
import re
import unicodedata

import eventlet.patcher
import eventlet.tpool
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from services.children import catalogue, collectivity
from services.children.records import (AUTHORISATIONS, HEALTH_FIELDS, child_dict,
                                       get_child_row)
from services.common.errors import Forbidden, ValidationError

HEALTH_LABELS = {"allergies": "Allergies", "regime_alimentaire": "Régime alimentaire",
                 "pai": "PAI (projet d'accueil individualisé)",
                 "medecin_traitant": "Médecin traitant", "vaccinations": "Vaccinations"}
AUTHORISATION_LABELS = {"photos": "Prendre et diffuser des photos de l'enfant",
                        "sorties": "Participer aux sorties",
                        "transport": "Être transporté(e) en car ou minibus",
                        "rentrer_seul": "Rentrer seul(e)"}
PARENT_FIELDS = (("Nom", "nom"), ("Prénom", "prenom"), ("Qualité", "qualite"),
                 ("Adresse", "adresse"), ("Code postal", "code_postal"), ("Ville", "ville"),
                 ("Téléphone domicile", "telephone_domicile"), ("Mobile", "mobile"),
                 ("Téléphone prof.", "telephone_prof"), ("Email", "email"),
                 ("Employeur", "employeur"))


def school_year(today=None):
    """The school year the form is for: from January the next rentrée's (the guide: "pour
    la rentrée scolaire"), from September the one that has just begun. Both are
    <this year>-<next year>."""
    year = (today or dt.date.today()).year
    return f"{year}-{year + 1}"


def _ascii(name):
    # A file name any browser takes in a Content-Disposition header: "ZOÉ" → "zoe".
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9.-]+", "-", plain.lower())


def _yes_no(value):
    return "Oui" if value else "Non"


def document(session, family_id, child_id=None, parents=None, today=None):
    """What the form prints. `parents`: the family's responsable and conjoint as accounts
    gives them (the gateway passes them along), for a pre-filled form."""
    settings = collectivity.get(session)
    if not settings.registration_form:
        raise Forbidden("Votre collectivité ne propose pas la fiche d'inscription sur le portail.")
    doc = {"collectivity": settings.name or "Portail Famille", "year": school_year(today),
           "child": None, "parents": [], "health": [], "authorisations": [], "persons": [],
           "prestations": []}
    enrolled = set()
    if child_id is not None:
        child = get_child_row(session, family_id, child_id)
        record = child_dict(child, with_health=True)
        birth = dt.date.fromisoformat(record["date_naissance"])
        doc["child"] = [("Nom", record["nom"]), ("Prénom", record["prenom"]),
                        ("Date de naissance", birth.strftime("%d/%m/%Y")),
                        ("Sexe", record["sexe"]), ("École", record["ecole"]),
                        ("Classe", record["classe"]),
                        ("Port de lunettes", _yes_no(record["lunettes"]))]
        doc["health"] = [(HEALTH_LABELS[f], record["sante"].get(f, "")) for f in HEALTH_FIELDS]
        doc["authorisations"] = [(AUTHORISATION_LABELS[a], _yes_no(record["autorisations"].get(a)))
                                 for a in AUTHORISATIONS]
        doc["persons"] = [(p["nom"], p["lien"], p["telephone"])
                          for p in record["personnes_autorisees"]]
        if parents is not None and not isinstance(parents, dict):
            raise ValidationError("Les informations des parents sont illisibles.")
        for role, person in (("Responsable", (parents or {}).get("responsable")),
                             ("Conjoint", (parents or {}).get("conjoint"))):
            if person and not isinstance(person, dict):
                raise ValidationError("Les informations des parents sont illisibles.")
            if person:
                doc["parents"].append((role, [(label, str(person.get(field) or ""))
                                              for label, field in PARENT_FIELDS]))
        enrolled = {e.prestation_id for e in catalogue.enrolments_of(session, child.id)
                    if e.fin >= (today or dt.date.today())}
        doc["filename"] = _ascii(f"fiche-inscription-{record['prenom']}-{record['nom']}.pdf")
    else:
        doc["filename"] = f"fiche-inscription-{doc['year']}.pdf"
    doc["prestations"] = [(f"{p['structure']} {p['nom']}", p["id"] in enrolled)
                          for p in catalogue.list_prestations(session)]
    return doc


def render(doc):
    """The PDF bytes of a form document."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=1)
    pdf.setTitle(f"Fiche d'inscription {doc['year']}")
    width, height = A4
    left, right = 18 * mm, width - 18 * mm
    y = height - 20 * mm

    def need(space):
        nonlocal y
        if y - space < 20 * mm:
            pdf.showPage()
            y = height - 20 * mm

    def title(text):
        nonlocal y
        need(14 * mm)
        y -= 4 * mm
        pdf.setFont("Helvetica-Bold", 11)
        pdf.drawString(left, y, text)
        pdf.line(left, y - 1.5 * mm, right, y - 1.5 * mm)
        y -= 7 * mm
        pdf.setFont("Helvetica", 9.5)

    def field(label, value, x=left, w=right - left):
        """A label and its value, or a dotted line to write on (blank form)."""
        nonlocal y
        need(7 * mm)
        pdf.drawString(x, y, f"{label} :")
        start = x + pdf.stringWidth(f"{label} : ", "Helvetica", 9.5)
        if value:
            pdf.drawString(start, y, str(value)[:90])
        else:
            pdf.setDash(1, 2)
            pdf.line(start, y - 0.5 * mm, x + w, y - 0.5 * mm)
            pdf.setDash()
        y -= 6.5 * mm

    def box(label, checked, answer=None):
        nonlocal y
        need(7 * mm)
        pdf.rect(left, y - 0.5 * mm, 3.2 * mm, 3.2 * mm)
        if checked:
            pdf.drawString(left + 0.6 * mm, y, "X")
        pdf.drawString(left + 6 * mm, y, label)
        if answer is not None:
            pdf.drawRightString(right, y, answer or "Oui  /  Non")
        y -= 6 * mm

    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(left, y, doc["collectivity"])
    pdf.setFont("Helvetica-Bold", 16)
    y -= 10 * mm
    pdf.drawCentredString(width / 2, y, "FICHE D'INSCRIPTION")
    pdf.setFont("Helvetica", 11)
    y -= 6 * mm
    pdf.drawCentredString(width / 2, y, f"Année scolaire {doc['year']}")
    y -= 4 * mm

    title("Enfant")
    for label, value in doc["child"] or [(label, "") for label in (
            "Nom", "Prénom", "Date de naissance", "Sexe (F/M)", "École", "Classe",
            "Port de lunettes (Oui/Non)")]:
        field(label, value)

    parents = doc["parents"] or [(role, [(label, "") for label, _ in PARENT_FIELDS])
                                 for role in ("Responsable", "Conjoint")]
    for role, rows in parents:
        title(role)
        for label, value in rows:
            field(label, value)

    title("Données sanitaires")
    for label, value in doc["health"] or [(HEALTH_LABELS[f], "") for f in HEALTH_FIELDS]:
        field(label, value)

    title("Autorisations")
    for label, answer in doc["authorisations"] or [(AUTHORISATION_LABELS[a], "")
                                                   for a in AUTHORISATIONS]:
        box(label, answer == "Oui", answer)

    title("Personnes autorisées à venir chercher l'enfant")
    persons = doc["persons"] + [("", "", "")] * max(0, 3 - len(doc["persons"]))
    for nom, lien, telephone in persons:
        need(7 * mm)
        field("Nom", nom, left, 70 * mm)
        y += 6.5 * mm
        field("Lien", lien, left + 75 * mm, 40 * mm)
        y += 6.5 * mm
        field("Téléphone", telephone, left + 120 * mm, right - left - 120 * mm)

    title("Accueils demandés")
    for label, checked in doc["prestations"]:
        box(label, checked)

    title("Signature")
    field("Fait à", "", left, 80 * mm)
    y += 6.5 * mm
    field("le", "", left + 90 * mm, right - left - 90 * mm)
    field("Signature du responsable", "")
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def render_off_hub(doc):
    if eventlet.patcher.is_monkey_patched("thread"):
        return eventlet.tpool.execute(render, doc)
    return render(doc)


def registration_form(session, family_id, child_id=None, parents=None):
    """{filename, pdf (base64)}: blank without child_id, else the child's pre-filled form."""
    doc = document(session, family_id, child_id, parents)
    pdf = render_off_hub(doc)
    return {"filename": doc["filename"], "pdf": base64.b64encode(pdf).decode("ascii")}
