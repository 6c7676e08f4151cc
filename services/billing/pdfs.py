"""Invoice PDFs with reportlab.

`document(session, invoice)` gathers the data (a plain dict, picklable) and `render(doc)` draws
it: a pure CPU function, run off the eventlet hub (eventlet.tpool in the service) or in a
process pool (invoicing_cli), so that it never stalls the service's other workers.
The PDF is stored at first rendering: an issued invoice does not change afterwards.
"""
import io
from decimal import Decimal

import eventlet.patcher
import eventlet.tpool
import sqlalchemy as sa
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.billing import tariffs
from services.billing.models import Family, Invoice, InvoicePdf
from services.billing.money import fmt
from services.common import checks
from services.common.errors import NotFound

DEFAULT_INSTRUCTIONS = ("Règlement par chèque à l'ordre du Trésor Public, en espèces, par CESU ou "
                        "par virement auprès de la régie, ou par carte bancaire sur le Portail "
                        "Famille (onglet Relevé de compte).")


def _date(iso_or_date):
    return iso_or_date.strftime("%d/%m/%Y")


def _quantity(value):
    value = Decimal(value)
    return f"{value:.0f}" if value == value.to_integral_value() else f"{value:.2f}"


def document(session, invoice, settings_row=None, family=None):
    """Everything printed on one invoice, as plain strings."""
    settings_row = settings_row or tariffs.get_settings(session)
    family = family or session.get(Family, invoice.family_id)
    return {
        "numero": invoice.numero,
        "collectivity": settings_row.collectivity_name or "Portail Famille",
        "collectivity_address": settings_row.collectivity_address,
        "regie": invoice.regie.name,
        "issued_on": _date(invoice.issued_on), "due_on": _date(invoice.due_on),
        "period": f"{_date(invoice.period_start)} - {_date(invoice.period_end)}",
        "family_name": f"{family.civilite} {family.nom} {family.prenom}".strip(),
        "family_address": [family.adresse, f"{family.code_postal} {family.ville}".strip()],
        "family_numero": family.numero,
        "lines": [(line.child_name, line.label, _quantity(line.quantity), fmt(line.unit_price),
                   fmt(line.amount)) for line in invoice.lines],
        "total": fmt(invoice.total),
        "instructions": settings_row.payment_instructions or DEFAULT_INSTRUCTIONS,
        "online_payment": settings_row.online_payment,
    }


def render(doc):
    """The PDF bytes of one invoice document."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=1)  # invariant: same input, same bytes
    pdf.setTitle(f"Facture {doc['numero']}")
    width, height = A4
    left, right = 18 * mm, width - 18 * mm

    def header():
        y = height - 20 * mm
        pdf.setFont("Helvetica-Bold", 13)
        pdf.drawString(left, y, doc["collectivity"])
        pdf.setFont("Helvetica", 9)
        if doc["collectivity_address"]:
            pdf.drawString(left, y - 5 * mm, doc["collectivity_address"])
        pdf.drawString(left, y - 10 * mm, doc["regie"])
        pdf.setFont("Helvetica-Bold", 14)
        pdf.drawRightString(right, y, f"FACTURE N° {doc['numero']}")
        pdf.setFont("Helvetica", 9)
        pdf.drawRightString(right, y - 5 * mm, f"Date de facture : {doc['issued_on']}")
        pdf.drawRightString(right, y - 10 * mm, f"Date d'échéance : {doc['due_on']}")
        pdf.drawRightString(right, y - 15 * mm, f"Période : {doc['period']}")
        return y - 25 * mm

    y = header()
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(width / 2, y, doc["family_name"])
    pdf.setFont("Helvetica", 9)
    for i, line in enumerate(doc["family_address"]):
        pdf.drawString(width / 2, y - (i + 1) * 4.5 * mm, line)
    pdf.drawString(left, y, f"N° Famille : {doc['family_numero']}")
    y -= 20 * mm

    columns = (left, left + 40 * mm, right - 55 * mm, right - 27 * mm, right)

    def table_head(y):
        pdf.setFont("Helvetica-Bold", 9)
        for x, title in zip(columns[:2], ("Enfant", "Prestation")):
            pdf.drawString(x, y, title)
        for x, title in zip(columns[2:], ("Quantité", "Prix unitaire", "Montant")):
            pdf.drawRightString(x, y, title)
        pdf.line(left, y - 2 * mm, right, y - 2 * mm)
        pdf.setFont("Helvetica", 9)
        return y - 6 * mm

    y = table_head(y)
    for child, label, quantity, unit_price, amount in doc["lines"]:
        if y < 40 * mm:  # next page, with the header and the table head again
            pdf.showPage()
            y = table_head(header())
        pdf.drawString(columns[0], y, child[:26])
        pdf.drawRightString(columns[2], y, quantity)
        pdf.drawRightString(columns[3], y, f"{unit_price} €")
        pdf.drawRightString(columns[4], y, f"{amount} €")
        for part in _wrap(label, 42):  # a long prestation name goes on two lines
            pdf.drawString(columns[1], y, part)
            y -= 4.5 * mm
        y -= 1 * mm
    pdf.line(left, y + 2 * mm, right, y + 2 * mm)
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawRightString(right, y - 4 * mm, f"Total à payer : {doc['total']} €")
    pdf.setFont("Helvetica", 9)
    pdf.drawRightString(right, y - 10 * mm, f"À régler avant le {doc['due_on']}")
    y -= 22 * mm
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawString(left, y, "Comment payer")
    pdf.setFont("Helvetica", 9)
    text = pdf.beginText(left, y - 5 * mm)
    for line in _wrap(doc["instructions"], 105):
        text.textLine(line)
    if doc["online_payment"]:
        text.textLine("Paiement en ligne par carte bancaire : Portail Famille, icône de carte bancaire.")
    text.textLine(f"Rappelez la référence {doc['numero']} et votre N° Famille {doc['family_numero']}.")
    pdf.drawText(text)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def _wrap(text, width):
    lines, current = [], ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return lines + ([current] if current else [])


def render_off_hub(doc):
    # reportlab is CPU work: in an eventlet service it runs in a real thread.
    if eventlet.patcher.is_monkey_patched("thread"):
        return eventlet.tpool.execute(render, doc)
    return render(doc)


def invoice_pdf(session, family_id, invoice_id):
    """The stored PDF of this family's invoice, rendered and stored the first time."""
    family_id = checks.record_id(family_id, "Facture introuvable.")
    invoice_id = checks.record_id(invoice_id, "Facture introuvable.")
    invoice = session.scalar(sa.select(Invoice).where(Invoice.id == invoice_id,
                                                      Invoice.family_id == family_id))
    if invoice is None:
        raise NotFound("Facture introuvable.")
    stored = session.get(InvoicePdf, invoice.id)
    if stored is not None:
        return invoice.numero, stored.pdf
    pdf = render_off_hub(document(session, invoice))
    session.execute(pg_insert(InvoicePdf)
                    .values(invoice_id=invoice.id, pdf=pdf).on_conflict_do_nothing())
    return invoice.numero, pdf


def documents(session, invoice_ids):
    """Documents of many invoices, for a batch rendering (few queries)."""
    settings_row = tariffs.get_settings(session)
    invoices = session.scalars(sa.select(Invoice).where(Invoice.id.in_(invoice_ids))).all()
    families = {f.id: f for f in session.scalars(
        sa.select(Family).where(Family.id.in_({i.family_id for i in invoices})))}
    return [(i.id, document(session, i, settings_row, families[i.family_id])) for i in invoices]


def store_all(session, invoice_ids, mapper=map, batch=500):
    """Render and store the PDFs of these invoices; `mapper` may be a process pool's map."""
    for offset in range(0, len(invoice_ids), batch):
        docs = documents(session, invoice_ids[offset:offset + batch])
        pdfs = list(mapper(render, [doc for _, doc in docs]))
        session.execute(pg_insert(InvoicePdf).on_conflict_do_nothing(),
                        [{"invoice_id": invoice_id, "pdf": pdf}
                         for (invoice_id, _), pdf in zip(docs, pdfs)])
        session.commit()
