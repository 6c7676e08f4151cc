"""Invoice PDFs: parsed back, text and amounts checked; only for the invoice's family;
rendered off the eventlet hub."""
import base64
import io
import time

import eventlet
import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from services.billing import pdfs
from services.billing.models import Invoice
from services.common.errors import NotFound


def _pdf_text(encoded):
    reader = PdfReader(io.BytesIO(base64.b64decode(encoded)))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def al36(db, demo_billing):
    return db.scalar(sa.select(Invoice).where(Invoice.numero == "AL-36"))


def test_the_guide_invoice_pdf_has_everything_printed(bo, demo_billing, al36):
    result = bo.call("billing", "invoice_pdf", demo_billing["id"], al36.id)
    assert result["numero"] == "AL-36"
    text = _pdf_text(result["pdf"])
    for expected in ("Mairie de Saint-Jean", "Régie garderie ALSH", "FACTURE N° AL-36",
                     "Date de facture : 08/04/2015", "Date d'échéance : 30/04/2015",
                     "Période : 01/04/2015 - 30/04/2015", "Monsieur DUPONT JEAN",
                     "12 RUE DES BONBONS", "N° Famille : 10010018331", "LUCAS DUPONT",
                     "Accueil de Loisirs ALSH Vacances", "Quantité", "Prix unitaire",
                     "Total à payer : 120.60 €", "À régler avant le 30/04/2015", "Comment payer",
                     "chèque"):
        assert expected in text, expected
    # Each line's quantity, unit price and amount, in order.
    compact = " ".join(text.split())
    for line in ("5 15.00 € 75.00 €", "8 3.20 € 25.60 €", "2 6.50 € 13.00 €", "1 7.00 € 7.00 €"):
        assert line in compact, line


def test_the_stored_pdf_is_served_again_identical(bo, demo_billing, al36):
    first = bo.call("billing", "invoice_pdf", demo_billing["id"], al36.id)
    second = bo.call("billing", "invoice_pdf", demo_billing["id"], al36.id)
    assert first["pdf"] == second["pdf"]


def test_another_familys_invoice_pdf_is_not_found(bo, demo_billing, al36):
    with pytest.raises(NotFound) as exc:
        bo.call("billing", "invoice_pdf", demo_billing["id"] + 100000, al36.id)
    assert str(exc.value) == "Facture introuvable."


def test_rendering_runs_off_the_eventlet_hub(monkeypatch):
    """A long rendering in a worker must leave the hub free for the other workers."""
    def slow_render(doc):
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:  # CPU work, like reportlab's
            pass
        return b"%PDF"
    monkeypatch.setattr(pdfs, "render", slow_render)
    ticks = []

    def other_worker():
        for _ in range(100):
            ticks.append(time.monotonic())
            eventlet.sleep(0.01)
    worker = eventlet.spawn(other_worker)
    eventlet.sleep(0)
    assert pdfs.render_off_hub({}) == b"%PDF"
    worker.kill()
    assert len(ticks) >= 15, f"the hub ran only {len(ticks)} times during a 0.5 s rendering"
