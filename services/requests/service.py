"""requests service: RPC entrypoints and event handlers only; the logic lives in workflow.py
(kinds.py: the kinds of request and their fields, validation.py: the checks).

Parents' methods take the family_id of the gateway's session first: a child or a request of
another family is "not found", as a missing one.
"""
import sqlalchemy as sa
from nameko.rpc import rpc

from services.common.db import Database
from services.common.errors import EXPECTED
from services.common.events import OutboxRelay, subscribe
from services.common.rpc import ServiceRpc
from services.requests import kinds, workflow

# Back-office decisions on the copies of the children's requests are the children service's.
CHILDREN_DECISIONS = {"reservation": "decide_booking", "absence": "decide_absence",
                      "preinscription": "decide_preinscription"}


class RequestsService:
    name = "requests"

    db = Database()
    relay = OutboxRelay()
    accounts = ServiceRpc("accounts")
    children = ServiceRpc("children")

    @rpc
    def health(self):
        self.db.execute(sa.text("SELECT 1"))
        return {"service": self.name, "status": "ok"}

    def _record(self, family_id, code, child_id=None):
        """(kind, today's values, subject) of the record a request is about, from its owner;
        a child of another family raises NotFound there."""
        kind = workflow.get_kind(code)
        if kind.category == kinds.ENFANT:
            child = self.children.get_child(family_id, child_id)
            return kind, workflow.current_values(kind, child=child), \
                workflow.subject_of(kind, child=child)
        family = self.accounts.get_family(family_id)
        return kind, workflow.current_values(kind, family=family), \
            workflow.subject_of(kind, family=family)

    # --- parents (through the gateway) ---------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def request_types(self):
        """Every kind with its fields and labels: the gateway's forms and tables."""
        return [kind.as_dict() for kind in kinds.KINDS]

    @rpc(expected_exceptions=EXPECTED)
    def request_form(self, family_id, code, child_id=None):
        """The form of a request pre-filled with today's values (the IBAN masked), and
        whether one of that kind is already pending."""
        kind, values, subject = self._record(family_id, code, child_id)
        pending = workflow.pending_id(self.db, family_id, kind, child_id)
        return {"kind": kind.as_dict(), "values": values, "subject": subject,
                "pending": bool(pending)}

    @rpc(expected_exceptions=EXPECTED)
    def submit_request(self, family_id, code, values, child_id=None):
        kind, current, subject = self._record(family_id, code, child_id)
        row = workflow.submit(self.db, family_id, code, values, current, subject, child_id)
        self.db.commit()
        return workflow.request_dict(row)

    @rpc(expected_exceptions=EXPECTED)
    def family_requests(self, family_id, category=None, code=None):
        """"Liste des demandes": less than one month old, or still pending."""
        return workflow.family_requests(self.db, family_id, category, code)

    @rpc(expected_exceptions=EXPECTED)
    def family_request(self, family_id, request_id):
        return workflow.request_dict(workflow.get_row(self.db, request_id, family_id=family_id))

    # --- back office ------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def pending_requests(self, code=None, start=None, end=None):
        """Pending requests, oldest first, of one kind and between two days if given."""
        return workflow.pending(self.db, code, start, end)

    @rpc(expected_exceptions=EXPECTED)
    def get_request(self, request_id, reveal=False):
        """One request with its old and new values side by side (`changes`); the IBAN and
        health data masked unless `reveal`."""
        return workflow.request_dict(workflow.get_row(self.db, request_id), reveal=reveal)

    @rpc(expected_exceptions=EXPECTED)
    def accept_request(self, request_id, child_data=None):
        return self._decide(request_id, True, "", child_data)

    @rpc(expected_exceptions=EXPECTED)
    def refuse_request(self, request_id, motif):
        return self._decide(request_id, False, motif)

    def _decide(self, request_id, accept, motif, child_data=None):
        row = workflow.get_row(self.db, request_id)
        if row.origin == "children":
            # The children service decides its own requests; its event updates the copy.
            method = getattr(self.children, CHILDREN_DECISIONS[row.type])
            args = (child_data,) if row.type == "preinscription" else ()
            method(row.origin_id, accept, motif, *args)
            return {**workflow.request_dict(row), "transmise": True}
        row = workflow.decide(self.db, request_id, accept, motif)
        self.db.commit()
        return workflow.request_dict(row)

    @rpc(expected_exceptions=EXPECTED)
    def get_settings(self):
        return workflow.get_settings(self.db)

    @rpc(expected_exceptions=EXPECTED)
    def update_settings(self, auto_accept):
        """The kinds accepted at once, e.g. ["autorisations", "lunettes"]."""
        result = workflow.update_settings(self.db, auto_accept)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def sensitive_values(self, request_id):
        """For the owner applying an accepted request: the IBAN or health data in clear."""
        return workflow.sensitive_values(self.db, request_id)

    # --- events: the children's own requests, listed here too --------------------------------

    @subscribe("children", "planning_request.submitted")
    def on_planning_request_submitted(self, data, envelope):
        workflow.copy_planning_request(self.db, data, envelope["occurred_at"], decided=False)

    @subscribe("children", "planning_request.decided")
    def on_planning_request_decided(self, data, envelope):
        workflow.copy_planning_request(self.db, data, envelope["occurred_at"], decided=True)

    @subscribe("children", "preinscription.submitted")
    def on_preinscription_submitted(self, data, envelope):
        workflow.copy_preinscription(self.db, data)

    @subscribe("children", "preinscription.decided")
    def on_preinscription_decided(self, data, envelope):
        workflow.copy_preinscription(self.db, data)
