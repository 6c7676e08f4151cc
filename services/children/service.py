"""children service: RPC entrypoints only; the logic lives in records.py, catalogue.py,
bookings.py, planning.py and ical.py.

Parents' methods take the family_id of the gateway's session first, and answer NotFound
("Enfant introuvable.") for a child of another family, as for a missing one.
"""
import sqlalchemy as sa
from nameko.rpc import rpc

from services.children import (bookings, catalogue, collectivity, forms, ical, planning,
                               records)
from services.common.db import Database
from services.common.errors import EXPECTED
from services.common.events import OutboxRelay, subscribe
from services.common.rpc import ServiceRpc


class ChildrenService:
    name = "children"

    db = Database()
    relay = OutboxRelay()
    requests = ServiceRpc("requests")

    @rpc
    def health(self):
        self.db.execute(sa.text("SELECT 1"))
        return {"service": self.name, "status": "ok"}

    def _commit(self, result):
        self.db.commit()
        return result

    # --- parents (through the gateway) ---------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_children(self, family_id):
        return records.list_children(self.db, family_id)

    @rpc(expected_exceptions=EXPECTED)
    def get_child(self, family_id, child_id):
        """The child's whole record, health data decrypted."""
        return records.get_child(self.db, family_id, child_id)

    @rpc(expected_exceptions=EXPECTED)
    def planning(self, family_id, child_id, year, month):
        return planning.month_grid(self.db, family_id, child_id, year, month)

    @rpc(expected_exceptions=EXPECTED)
    def current_enrolments(self, family_id, child_id):
        return catalogue.current_enrolments(self.db, family_id, child_id)

    @rpc(expected_exceptions=EXPECTED)
    def family_structures(self, family_id):
        """Structures the family's children attend: whom it may write to."""
        return catalogue.family_structures(self.db, family_id)

    @rpc(expected_exceptions=EXPECTED)
    def families_enrolled(self, prestation_id):
        """Back office / messaging: families with a child enrolled in the prestation."""
        return catalogue.families_enrolled(self.db, prestation_id)

    @rpc(expected_exceptions=EXPECTED)
    def book(self, family_id, child_id, prestation_id, date):
        """"Demande de Réservation": {booking_id, status, message[, rang]}."""
        return self._commit(bookings.book(self.db, family_id, child_id, prestation_id, date))

    @rpc(expected_exceptions=EXPECTED)
    def declare_absence(self, family_id, child_id, prestation_id, date, motif, confirme):
        return self._commit(bookings.declare_absence(self.db, family_id, child_id,
                                                     prestation_id, date, motif, confirme))

    @rpc(expected_exceptions=EXPECTED)
    def registration_form(self, family_id, child_id=None, parents=None):
        """"Fiche d'inscription" PDF {filename, pdf (base64)}: blank without child_id, else
        the child's, pre-filled (`parents`: responsable and conjoint as accounts gives them)."""
        return forms.registration_form(self.db, family_id, child_id, parents)

    @rpc(expected_exceptions=EXPECTED)
    def submit_preinscription(self, family_id, data):
        """"Ajouter un enfant": stored as a request for the collectivity."""
        return self._commit(records.submit_preinscription(self.db, family_id, data))

    @rpc(expected_exceptions=EXPECTED)
    def renew_ical_token(self, family_id, child_id):
        """A new private token for the child's iCal feed; the previous one stops working."""
        return self._commit(records.renew_ical_token(self.db, family_id, child_id))

    @rpc(expected_exceptions=EXPECTED)
    def revoke_ical_token(self, family_id, child_id):
        self._commit(records.revoke_ical_token(self.db, family_id, child_id))

    @rpc(expected_exceptions=EXPECTED)
    def ical_feed(self, token):
        """The feed's text (text/calendar), or NotFound for an unknown or revoked token."""
        return ical.feed(self.db, token)

    # --- back office ------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def create_structure(self, nom, position=0):
        return self._commit(catalogue.create_structure(self.db, nom, position))

    @rpc(expected_exceptions=EXPECTED)
    def list_structures(self):
        return catalogue.list_structures(self.db)

    @rpc(expected_exceptions=EXPECTED)
    def create_prestation(self, structure_id, **fields):
        return self._commit(catalogue.create_prestation(self.db, structure_id, **fields))

    @rpc(expected_exceptions=EXPECTED)
    def update_prestation(self, prestation_id, **fields):
        """Capacity, deadlines, days, confirmation mode, waiting list."""
        return self._commit(catalogue.update_prestation(self.db, prestation_id, **fields))

    @rpc(expected_exceptions=EXPECTED)
    def list_prestations(self):
        return catalogue.list_prestations(self.db)

    @rpc(expected_exceptions=EXPECTED)
    def add_closure(self, date, motif="", prestation_id=None):
        """A "Fermeture"; that day's bookings are cancelled (billing is told)."""
        return self._commit(bookings.close_day(self.db, date, motif, prestation_id))

    @rpc(expected_exceptions=EXPECTED)
    def remove_closure(self, closure_id):
        self._commit(catalogue.remove_closure(self.db, closure_id))

    @rpc(expected_exceptions=EXPECTED)
    def list_closures(self, start, end):
        return catalogue.list_closures(self.db, start, end)

    @rpc(expected_exceptions=EXPECTED)
    def create_child(self, family_id, data):
        return self._commit(records.create_child(self.db, family_id, data))

    @rpc(expected_exceptions=EXPECTED)
    def enrol(self, child_id, prestation_id, debut, fin, responsable, jours_reguliers=()):
        return self._commit(catalogue.enrol(self.db, child_id, prestation_id, debut, fin,
                                            responsable, jours_reguliers))

    @rpc(expected_exceptions=EXPECTED)
    def enrolments(self, child_id):
        return catalogue.current_enrolments(self.db, None, child_id)

    @rpc(expected_exceptions=EXPECTED)
    def record_attendance(self, child_id, prestation_id, date, status, quantite=None):
        """présent (present), absent excusé, absent facturé, heure hors contrat (+ hours)."""
        return self._commit(bookings.record_attendance(self.db, child_id, prestation_id, date,
                                                       status, quantite))

    @rpc(expected_exceptions=EXPECTED)
    def pending_requests(self):
        return bookings.pending_requests(self.db)

    @rpc(expected_exceptions=EXPECTED)
    def decide_booking(self, booking_id, accept, motif=""):
        return self._commit(bookings.decide_booking(self.db, booking_id, accept, motif))

    @rpc(expected_exceptions=EXPECTED)
    def decide_absence(self, absence_id, accept, motif=""):
        return self._commit(bookings.decide_absence(self.db, absence_id, accept, motif))

    @rpc(expected_exceptions=EXPECTED)
    def headcount(self, start, end=None, prestation_id=None):
        """Children expected per day and prestation, e.g. the canteen's count each morning."""
        return bookings.headcount(self.db, start, end, prestation_id)

    @rpc(expected_exceptions=EXPECTED)
    def list_preinscriptions(self, status="en_traitement"):
        return records.list_preinscriptions(self.db, status)

    @rpc(expected_exceptions=EXPECTED)
    def decide_preinscription(self, preinscription_id, accept, motif="", child_data=None):
        return self._commit(records.decide_preinscription(self.db, preinscription_id, accept,
                                                          motif, child_data))

    # --- events -----------------------------------------------------------------------------

    @subscribe("requests", "request.accepted")
    def on_request_accepted(self, data, envelope):
        """The owner applies an accepted change of a child's record."""
        if data["type"] not in records.CHILD_REQUEST_TYPES:
            return
        # Health data travels masked in the event: the clear values are asked from requests.
        secrets = self.requests.sensitive_values(data["id"]) if data["type"] == "sante" else None
        records.apply_request(self.db, data, secrets)

    @subscribe("accounts", "collectivity.updated")
    def on_collectivity_updated(self, data, envelope):
        """The settings children applies: planning requests, registration form, zone."""
        collectivity.apply(self.db, data)
