"""billing service: RPC entrypoints, event handlers and the payment sweep only; the logic lives
in tariffs.py, copies.py, invoicing.py, pdfs.py, payments.py, statement.py and online.py."""
import base64
import datetime as dt
import logging

import sqlalchemy as sa
from nameko.rpc import rpc
from nameko.timer import timer

from services.billing import (copies, invoicing, mandates, online, payments, pdfs, statement,
                              tariffs)
from services.billing.bank import BankPartner, BankUnavailable
from services.common import checks
from services.common.db import Database
from services.common.errors import EXPECTED, ValidationError
from services.common.events import OutboxRelay, subscribe
from services.common.rpc import ServiceRpc

log = logging.getLogger(__name__)

SWEEP_EVERY = 60  # seconds between two sweeps of online payments without notification


class BillingService:
    name = "billing"

    db = Database()
    relay = OutboxRelay()
    bank = BankPartner()
    requests = ServiceRpc("requests")

    @rpc
    def health(self):
        self.db.execute(sa.text("SELECT 1"))
        return {"service": self.name, "status": "ok"}

    # --- parents (through the gateway; family_id is the logged-in family's) ---------------

    @rpc(expected_exceptions=EXPECTED)
    def statement(self, family_id, year=None):
        """Relevé de compte of a school year (its first calendar year; default: current)."""
        return statement.statement(self.db, family_id, year)

    @rpc(expected_exceptions=EXPECTED)
    def account_summary(self, family_id):
        return statement.account_summary(self.db, family_id)

    @rpc(expected_exceptions=EXPECTED)
    def unpaid_invoices(self, family_id):
        return statement.unpaid_invoices(self.db, family_id)

    @rpc(expected_exceptions=EXPECTED)
    def accueil_panels(self, family_id):
        """{summary, unpaid}: account_summary and unpaid_invoices in one call (Accueil)."""
        return statement.accueil_panels(self.db, family_id)

    @rpc(expected_exceptions=EXPECTED)
    def invoice_pdf(self, family_id, invoice_id):
        """{numero, pdf (base64)} of this family's invoice."""
        numero, pdf = pdfs.invoice_pdf(self.db, family_id, invoice_id)
        self.db.commit()
        return {"numero": numero, "pdf": base64.b64encode(pdf).decode("ascii")}

    @rpc(expected_exceptions=EXPECTED)
    def online_payment_form(self, family_id, invoice_id):
        return online.payment_form(self.db, family_id, invoice_id)

    @rpc(expected_exceptions=EXPECTED)
    def start_online_payment(self, family_id, invoice_id, email):
        """{idop, numero, amount}: the gateway sends the parent to the bank's page."""
        return online.start(self.db, self.bank, family_id, invoice_id, email)

    @rpc(expected_exceptions=EXPECTED)
    def online_payment_status(self, family_id, idop):
        return online.status_for_family(self.db, self.bank, family_id, idop)

    @rpc(expected_exceptions=EXPECTED)
    def notify_online_payment(self, idop):
        """The bank's notification (relayed by the gateway's urlnotif): the result is asked
        from the bank itself."""
        try:
            tx = online.settle(self.db, self.bank, idop, notified=True)
        except BankUnavailable:
            raise ValidationError(online.UNAVAILABLE) from None
        self.db.commit()
        return {"status": tx.status}

    # --- back office ------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def get_settings(self):
        result = tariffs.settings_dict(tariffs.get_settings(self.db))
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def update_settings(self, **fields):
        result = tariffs.update_settings(self.db, **fields)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def save_regie(self, code, name):
        result = tariffs.save_regie(self.db, code, name)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def save_tariff(self, prestation_code, regie_code, label, unit, brackets,
                    hors_commune_price, surcharge="0"):
        result = tariffs.save_tariff(self.db, prestation_code, regie_code, label, unit, brackets,
                                     hors_commune_price, surcharge)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def run_invoicing(self, period, issued_on=None):
        """Invoice a month ("2026-11"); again: nothing new. PDFs are rendered when first
        asked for; `python -m services.billing.invoicing_cli` renders them all at once."""
        issued = checks.date(issued_on, "La date d'émission") if issued_on else None
        summary = invoicing.run_period(self.db, period, issued)
        summary["invoice_ids"] = summary["invoice_ids"][:1000]
        return summary

    @rpc(expected_exceptions=EXPECTED)
    def record_payment(self, family_id, mode, amount, paid_on=None, invoice_id=None,
                       regie_code=None, reference=""):
        result = payments.record_payment(self.db, family_id, mode, amount, paid_on, invoice_id,
                                         regie_code, reference)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def sweep_online_payments(self, older_than_seconds=120):
        seconds = checks.integer(older_than_seconds, "Le délai", 0, 10 ** 9)
        return online.sweep(self.db, self.bank, dt.timedelta(seconds=seconds))

    @rpc(expected_exceptions=EXPECTED)
    def online_payments_for_review(self):
        return online.transactions_for_review(self.db)

    @rpc(expected_exceptions=EXPECTED)
    def mandates(self, family_id):
        """The family's SEPA direct-debit mandates, newest first (IBAN masked)."""
        return mandates.family_mandates(self.db, family_id)

    @timer(interval=SWEEP_EVERY)
    def sweep(self):
        counts = online.sweep(self.db, self.bank)
        if counts:
            log.info("online payments swept: %s", counts)

    # --- events -----------------------------------------------------------------------------

    @subscribe("accounts", "collectivity.updated")
    def on_collectivity_updated(self, data, envelope):
        tariffs.apply_collectivity(self.db, data)

    @subscribe("accounts", "family.created")
    def on_family_created(self, data, envelope):
        copies.apply_family(self.db, data)

    @subscribe("accounts", "family.updated")
    def on_family_updated(self, data, envelope):
        copies.apply_family(self.db, data)

    @subscribe("children", "booking.confirmed")
    def on_booking_confirmed(self, data, envelope):
        copies.apply_booking_confirmed(self.db, data)

    @subscribe("children", "booking.cancelled")
    def on_booking_cancelled(self, data, envelope):
        copies.apply_booking_cancelled(self.db, data)

    @subscribe("children", "attendance.recorded")
    def on_attendance_recorded(self, data, envelope):
        copies.apply_attendance(self.db, data, envelope["occurred_at"])

    @subscribe("requests", "request.accepted")
    def on_request_accepted(self, data, envelope):
        """An accepted bank-details request: a SEPA mandate when the family asks for direct
        debit (the IBAN, masked in the event, is asked from requests)."""
        if data["type"] != "bancaires":
            return
        iban = None
        if data["new_values"].get("prelevement_automatique"):
            iban = self.requests.sensitive_values(data["id"]).get("iban")
        mandates.apply_bank_request(self.db, data, iban)
